/**
 * The connection's state machine: the states, the events that move between them, and the one table that says which
 * event moves which state where. Anything not in the table is ignored, so the facade may report whatever happened
 * and the table decides whether it changes anything.
 *
 * @module pulse/machine
 */

/**
 * @typedef {'idle'|'connecting'|'open'|'reconnecting'|'offline'|'paused'|'closed'} State
 *   `idle`: built, not started. `connecting`: an attempt is under way (readiness check, token, handshake, welcome).
 *   `open`: welcomed. `reconnecting`: lost, waiting for the next attempt. `offline`: lost while the browser is
 *   offline, waiting for `online`. `paused`: the page was hidden into the back/forward cache or is unloading, no
 *   socket until it is shown. `closed`: for good.
 */

/**
 * @typedef {'connect'|'welcome'|'wait'|'offline'|'hide'|'show'|'stop'} Transition
 *   `connect`: start an attempt. `welcome`: the server welcomed the socket. `wait`: the attempt or socket ended and
 *   a retry is scheduled. `offline`: it ended while the browser is offline. `hide`: pagehide. `show`: pageshow after
 *   a hide. `stop`: close() or a close code after which retrying cannot help.
 */

/**
 * Allowed transitions: `TRANSITIONS[state][event]` is the next state; an event missing from a state's row is
 * ignored in that state.
 *
 * @type {Readonly<Record<State, Readonly<Partial<Record<Transition, State>>>>>}
 */
export const TRANSITIONS = Object.freeze({
    idle: Object.freeze({ connect: 'connecting', stop: 'closed' }),
    connecting: Object.freeze({ welcome: 'open', wait: 'reconnecting', offline: 'offline', hide: 'paused', stop: 'closed' }),
    open: Object.freeze({ wait: 'reconnecting', offline: 'offline', hide: 'paused', stop: 'closed' }),
    reconnecting: Object.freeze({ connect: 'connecting', offline: 'offline', hide: 'paused', stop: 'closed' }),
    offline: Object.freeze({ connect: 'connecting', wait: 'reconnecting', hide: 'paused', stop: 'closed' }),
    paused: Object.freeze({ show: 'connecting', stop: 'closed' }),
    closed: Object.freeze({}),
});

/** @type {readonly State[]} */
export const STATES = Object.freeze(/** @type {State[]} */ (Object.keys(TRANSITIONS)));

/** @type {readonly Transition[]} */
export const TRANSITION_EVENTS = Object.freeze(['connect', 'welcome', 'wait', 'offline', 'hide', 'show', 'stop']);

/** Holds the current state; {@link Machine#fire} is the only way to change it, and reports every change once. */
export class Machine {
    /** @type {State} */
    #state = 'idle';
    /** @type {(from: State, to: State, event: Transition, detail: object) => void} */
    #changed;

    /**
     * @param {(from: State, to: State, event: Transition, detail: object) => void} changed called once for every
     *     change, with the detail given to {@link Machine#fire}
     */
    constructor(changed) {
        this.#changed = changed;
    }

    /** @returns {State} */
    get state() {
        return this.#state;
    }

    /**
     * @param {Transition} event
     * @returns {boolean} whether the table lets the event move the current state
     */
    can(event) {
        return TRANSITIONS[this.#state][event] !== undefined;
    }

    /**
     * The transition function: moves to `TRANSITIONS[state][event]` and reports it, or does nothing.
     *
     * @param {Transition} event
     * @param {object} [detail] what the change is reported with
     * @returns {boolean} whether the state changed
     */
    fire(event, detail = {}) {
        const to = TRANSITIONS[this.#state][event];
        if (to === undefined) {
            return false;
        }
        const from = this.#state;
        this.#state = to;
        this.#changed(from, to, event, detail);
        return true;
    }
}
