/**
 * The shared worker's side of a shared socket: the same {@link Hub} a leading tab runs, serving every tab that
 * connects to the worker over a MessagePort. The worker leads for as long as it lives (one term), so there is no
 * election, no lease and no takeover; the socket opens when the first tab says hello and closes when the last one
 * is gone: it left (close, pagehide), or its lock is gone (a closed or crashed tab; a MessagePort has no close event,
 * but every tab holds a Web Lock of its own while it lives, and a frozen tab keeps it, and its topics). The worker
 * holds a lock of its own too, `<name>:worker`, for the tabs to learn when it is gone.
 *
 * @module pulse/share/host
 */
import { Hub } from './hub.js';

export const SWEEP_EVERY = 5_000; // ms between two looks at the tabs' locks; a tab missing from two in a row is gone
export const TOKEN_WAIT = 5_000; // ms a tab has to answer the worker's ask for a token (a frozen one cannot)
/** ms a port has to name its tab: a page that closed before it did is forgotten then (a port has no close event) */
export const NAME_WAIT = 2 * SWEEP_EVERY;

/**
 * @typedef {object} HostOptions
 * @property {string} name the worker's name, as the tabs name it: their locks are `<name>:tab:<id>`
 * @property {any} locks the worker's LockManager; null: only a tab's leave releases its topics
 * @property {{now: () => number, setTimeout: (fn: () => void, ms: number) => unknown, clearTimeout: (id: any) => void,
 *     setInterval: (fn: () => void, ms: number) => unknown, clearInterval: (id: any) => void}} clock
 * @property {(url: string, options: Record<string, any>, tap: (frame: any) => void) => import('./hub.js').Core} makeCore
 *     opens the socket: a core Pulse whose topic frames go to the tap
 */

/** @typedef {{postMessage: (message: any) => void, onmessage: any, start?: () => void}} Port */

export class WorkerHost {
    /** @type {HostOptions} */
    #o;
    /** @type {Set<Port>} every port connected, told every state change (a tab may not have said hello yet) */
    #ports = new Set();
    /** @type {Map<string, Port>} tab id → its port, from its first command on */
    #tabs = new Map();
    /** @type {Map<Port, number>} the ports that have not named their tab yet, and when they connected */
    #unnamed = new Map();
    /** @type {import('./port.js').WorkerConfig|null} the first tab's word on how to connect */
    #config = null;
    /** @type {Hub|null} while some tab is here */
    #hub = null;
    /** @type {import('./leader.js').Term} */
    #term;
    /** @type {unknown} */
    #sweeper = null;
    /** @type {Map<string, {resolve: (token: string|null) => void, reject: (e: Error) => void, timer: unknown}>} */
    #asks = new Map();
    #nextAsk = 1;
    #turn = 0;
    /** @type {string|null} the name of the lock this worker holds while it lives, once it holds it */
    #alive = null;

    /** @param {HostOptions} options */
    constructor(options) {
        this.#o = options;
        this.#term = { term: options.clock.now(), id: 'worker' }; // a worker started later is newer to every tab
        const lock = `${options.name}:worker`;
        // the tabs serve from the first moment on; they learn the lock's name once it is held (a tab of the worker
        // before may still hold it a moment, even a frozen one), and a tab that asks for it then is granted it only
        // when this worker is gone
        Promise.resolve(options.locks?.request(lock, () => {
            this.#alive = lock;
            this.#post({ k: 'beat', ...this.#summary(), alive: lock });
            return new Promise(() => {}); // held until the worker ends
        })).catch(() => {});
    }

    /** @returns {boolean} whether the socket is held (some tab is here) */
    get running() {
        return this.#hub !== null;
    }

    /**
     * A tab connected (`connect` event): it learns the leader, says hello, and is served from then on.
     *
     * @param {Port} port
     */
    connect(port) {
        this.#forgetUnnamed();
        this.#ports.add(port);
        this.#unnamed.set(port, this.#o.clock.now());
        port.onmessage = (/** @type {{data: any}} */ e) => this.#received(port, e.data);
        port.start?.();
        this.#to(port, { k: 'beat', ...this.#summary(), ...(this.#alive ? { alive: this.#alive } : {}) });
    }

    /**
     * @param {Port} port
     * @param {any} message
     */
    #received(port, message) {
        switch (message?.k) {
            case 'config':
                this.#config ??= { url: message.url, options: message.options };
                return;
            case 'token': return this.#tokenAnswered(message);
            case 'probe': return this.#to(port, { k: 'beat', ...this.#summary() });
            case 'leave':
                this.#tabs.delete(message.tab);
                this.#ports.delete(port);
                this.#unnamed.delete(port);
                this.#hub?.command(message);
                return this.#stopWhenAlone();
            default:
                if (typeof message?.tab !== 'string' || !this.#config) {
                    return;
                }
                this.#tabs.set(message.tab, port);
                this.#unnamed.delete(port);
                this.#ports.add(port); // again, if it was forgotten while its tab was frozen before its first word
                return this.#running().command(message);
        }
    }

    /** @returns {Hub} the hub, started with the socket if no tab was here */
    #running() {
        if (this.#hub) {
            return this.#hub;
        }
        const { url, options } = /** @type {import('./port.js').WorkerConfig} */ (this.#config);
        const coreOptions = { ...options, token: options.tokenFromTab ? () => this.#askToken() : options.token };
        const hub = new Hub((tap) => this.#o.makeCore(url, coreOptions, tap), (message) => this.#post(message));
        this.#hub = hub;
        hub.start();
        if (this.#o.locks && typeof this.#o.locks.query === 'function') {
            this.#sweeper = this.#o.clock.setInterval(() => this.#sweep(), SWEEP_EVERY);
        }
        return hub;
    }

    /** No tab left: the socket closes (the browser ends the worker itself once no page that used it is left). */
    #stopWhenAlone() {
        if (this.#tabs.size > 0 || !this.#hub) {
            return;
        }
        const hub = this.#hub;
        this.#hub = null;
        this.#o.clock.clearInterval(this.#sweeper);
        this.#sweeper = null;
        hub.stop();
        for (const [id, ask] of [...this.#asks]) {
            this.#asks.delete(id);
            this.#o.clock.clearTimeout(ask.timer);
            ask.reject(new Error('no tab left'));
        }
    }

    /** Forgets the tabs whose lock is gone (closed or crashed without a word), as the leading tab's hub does. */
    #sweep() {
        const prefix = `${this.#o.name}:tab:`;
        Promise.resolve(this.#o.locks.query()).then((/** @type {any} */ snapshot) => {
            const hub = this.#hub;
            if (!hub) {
                return;
            }
            /** @type {string[]} */
            const names = (snapshot?.held ?? []).map((/** @type {any} */ l) => String(l.name));
            hub.sweep(new Set(names.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length))));
            const known = new Set(hub.tabs);
            for (const [tab, port] of [...this.#tabs]) {
                if (!known.has(tab)) {
                    this.#tabs.delete(tab);
                    this.#ports.delete(port);
                }
            }
            this.#forgetUnnamed();
            this.#stopWhenAlone();
        }, () => {});
    }

    /** Forgets the ports that did not name their tab within {@link NAME_WAIT}: their pages are most likely gone. */
    #forgetUnnamed() {
        const now = this.#o.clock.now();
        for (const [port, since] of [...this.#unnamed]) {
            if (now - since >= NAME_WAIT) {
                this.#unnamed.delete(port);
                this.#ports.delete(port);
            }
        }
    }

    /** @returns {{state: any, welcome: any}} */
    #summary() {
        return this.#hub?.summary ?? { state: null, welcome: null };
    }

    /**
     * The hub's message: to the tabs it names, or to every port.
     *
     * @param {{k: string, to?: string[], [key: string]: any}} message
     */
    #post(message) {
        const ports = message.to ? new Set(message.to.map((tab) => this.#tabs.get(tab))) : this.#ports;
        for (const port of ports) {
            if (port) {
                this.#to(port, message);
            }
        }
    }

    /**
     * @param {Port} port
     * @param {{k: string, [key: string]: any}} message
     */
    #to(port, message) {
        try {
            port.postMessage({ ...message, term: this.#term.term, leader: this.#term.id });
        } catch (e) {
            (globalThis.reportError ?? console.error)(e); // a message that cannot be cloned would be a bug of ours
        }
    }

    /**
     * The core needs a token: one tab at a time is asked (in turn, so that a frozen one is passed over next time).
     *
     * @returns {Promise<string|null>}
     */
    #askToken() {
        const ports = [...new Set(this.#tabs.values())];
        if (ports.length === 0) {
            return Promise.reject(new Error('no tab to ask for a token'));
        }
        const port = ports[this.#turn++ % ports.length];
        const id = `t${this.#nextAsk++}`;
        return new Promise((resolve, reject) => {
            const timer = this.#o.clock.setTimeout(() => {
                this.#asks.delete(id);
                reject(new Error(`no tab answered within ${TOKEN_WAIT} ms`));
            }, TOKEN_WAIT);
            this.#asks.set(id, { resolve, reject, timer });
            this.#to(port, { k: 'token', id });
        });
    }

    /** @param {{id: string, value?: string|null, error?: string}} answer */
    #tokenAnswered({ id, value, error }) {
        const ask = this.#asks.get(id);
        if (!ask) {
            return;
        }
        this.#asks.delete(id);
        this.#o.clock.clearTimeout(ask.timer);
        if (error !== undefined) {
            ask.reject(new Error(error));
        } else {
            ask.resolve(value ?? null);
        }
    }
}
