/**
 * Events: named listeners, each isolated from the others, and a hold that keeps what happens during the task that
 * created a client until that task's end, so that listeners added right after `connect()` see every event.
 *
 * @module pulse/emitter
 */

export class Emitter {
    /** @type {readonly string[]} */
    #names;
    /** @type {Map<string, Set<(detail: any) => void>>} */
    #listeners = new Map();
    /** @type {Array<[string, any]>|null} events waiting for {@link Emitter#release}, null when not held */
    #held = null;

    /** @param {readonly string[]} names the only event names {@link Emitter#on} accepts */
    constructor(names) {
        this.#names = names;
    }

    /**
     * @param {string} event one of the names given to the constructor; any other throws, so a typo fails loudly
     * @param {(detail: any) => void} fn
     * @returns {() => void} removes the listener
     */
    on(event, fn) {
        if (!this.#names.includes(event)) {
            throw new TypeError(`unknown event "${event}"; one of ${this.#names.join(', ')}`);
        }
        if (typeof fn !== 'function') {
            throw new TypeError('a listener must be a function');
        }
        let listeners = this.#listeners.get(event);
        if (!listeners) {
            listeners = new Set();
            this.#listeners.set(event, listeners);
        }
        const wrapped = (/** @type {any} */ detail) => fn(detail); // the same function twice is two listeners
        listeners.add(wrapped);
        return () => {
            listeners.delete(wrapped);
        };
    }

    /**
     * Delivers an event to its listeners now, or queues it while held.
     *
     * @param {string} event
     * @param {any} detail
     */
    emit(event, detail) {
        if (this.#held) {
            this.#held.push([event, detail]);
            return;
        }
        this.#deliver(event, detail);
    }

    /** Queues events from now until {@link Emitter#release}. */
    hold() {
        this.#held ??= [];
    }

    /** Delivers what was queued, in order (also what listeners emit meanwhile), then delivers directly again. */
    release() {
        const queue = this.#held;
        if (!queue) {
            return;
        }
        while (queue.length > 0) {
            const [event, detail] = /** @type {[string, any]} */ (queue.shift());
            this.#deliver(event, detail);
        }
        this.#held = null;
    }

    /**
     * @param {string} event
     * @param {any} detail
     */
    #deliver(event, detail) {
        const listeners = this.#listeners.get(event);
        if (!listeners) {
            return;
        }
        for (const listener of [...listeners]) {
            try {
                listener(detail);
            } catch (e) {
                // a failing listener must not break the connection or the other listeners
                (globalThis.reportError ?? console.error)(e);
            }
        }
    }
}
