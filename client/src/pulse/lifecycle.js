/**
 * The page lifecycle: what the browser says about the page and the network, turned into five calls. A page that
 * becomes visible, resumes from a freeze or gets the focus may have slept (wake); one going into the back/forward
 * cache or unloading must not keep a socket (hide), and one shown from that cache needs one again (show).
 *
 * @module pulse/lifecycle
 */

/**
 * @typedef {object} LifecycleHandlers
 * @property {() => void} wake visible again, resumed, or focused: check the connection at once
 * @property {() => void} hide `pagehide`: unloading, or into the back/forward cache
 * @property {() => void} show `pageshow`: shown, possibly from the back/forward cache
 * @property {() => void} online the browser says the network is back
 * @property {() => void} offline the browser says the network is gone
 */

/**
 * @typedef {object} EventSource
 * @property {(type: string, fn: () => void) => void} addEventListener
 * @property {(type: string, fn: () => void) => void} removeEventListener
 */

export class PageLifecycle {
    /** @type {EventSource|null} */
    #window;
    /** @type {(EventSource & {visibilityState?: string})|null} */
    #document;
    /** @type {Array<[EventSource, string, () => void]>} */
    #bindings;

    /**
     * @param {EventSource|null} window where `online`, `offline`, `focus`, `pagehide` and `pageshow` fire
     * @param {(EventSource & {visibilityState?: string})|null} document where `visibilitychange` and `resume` fire
     * @param {LifecycleHandlers} handlers
     */
    constructor(window, document, handlers) {
        this.#window = window;
        this.#document = document;
        const visible = () => document?.visibilityState !== 'hidden' && handlers.wake();
        /** @type {Array<[EventSource|null, string, () => void]>} */
        const all = [
            [document, 'visibilitychange', visible],
            [document, 'resume', handlers.wake], // Page Lifecycle: a frozen page runs again
            [window, 'focus', handlers.wake],
            [window, 'pagehide', handlers.hide],
            [window, 'pageshow', handlers.show],
            [window, 'online', handlers.online],
            [window, 'offline', handlers.offline],
        ];
        this.#bindings = /** @type {Array<[EventSource, string, () => void]>} */ (all.filter(([target]) => target));
    }

    /** @returns {boolean} whether the browser says it is offline right now (only where there is a window) */
    get offline() {
        return this.#window !== null && globalThis.navigator?.onLine === false;
    }

    attach() {
        for (const [target, type, fn] of this.#bindings) {
            target.addEventListener(type, fn);
        }
    }

    detach() {
        for (const [target, type, fn] of this.#bindings) {
            target.removeEventListener(type, fn);
        }
    }
}
