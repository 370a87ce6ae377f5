/**
 * Pulse client: one WebSocket to a Pulse server that notices a dead server by itself, comes back, and resumes its
 * topics where it left off, so that the application never tracks sequence numbers. Runs in browsers as it is (an
 * ES module, no build step) and in Node with a WebSocket class given as an option (e.g. the `ws` package's).
 *
 * This file is the facade: it owns the socket and wires small collaborators that each do one job: the state
 * machine (`pulse/machine.js`), backoff (`pulse/backoff.js`), the readiness check (`pulse/readiness.js`),
 * liveness and probes (`pulse/liveness.js`), the page lifecycle (`pulse/lifecycle.js`), the per-topic seq/epoch
 * ledger (`pulse/ledger.js`), request correlation (`pulse/requests.js`) and events (`pulse/emitter.js`). With the
 * `share` option the tabs of one origin share one socket (`pulse/share/`): the facade then works through its tab's
 * side of it, and a shared worker (or, without one, the tab that leads) holds the socket in a Pulse of its own.
 *
 * @example
 * const pulse = Pulse.connect({ token: () => fetch('/my/token').then((r) => r.text()) });
 * pulse.on('state', ({ state, reason, retryAt }) => console.log(state, reason, retryAt));
 * pulse.on('message', ({ topic, seq, data }) => console.log(topic, seq, data));
 * pulse.on('gap', ({ topic, from, to, reason }) => console.warn('missed', topic, from, to, reason));
 * pulse.subscribe('room:lobby', { presence: true });
 * await pulse.publish('room:lobby', { text: 'hi' });
 *
 * @module pulse
 */
import { Backoff, backoffDelay, retryAfter } from './pulse/backoff.js';
import { Emitter } from './pulse/emitter.js';
import { PulseError } from './pulse/errors.js';
import { Ledger } from './pulse/ledger.js';
import { PageLifecycle } from './pulse/lifecycle.js';
import { Liveness } from './pulse/liveness.js';
import { Machine, STATES, TRANSITIONS } from './pulse/machine.js';
import { Readiness, readyUrlOf } from './pulse/readiness.js';
import { Requests } from './pulse/requests.js';
import { Channel } from './pulse/share/channel.js';
import { PortChannel } from './pulse/share/port.js';
import { SharedTab } from './pulse/share/tab.js';

export { PulseError, backoffDelay, retryAfter, readyUrlOf, STATES, TRANSITIONS };

/** @typedef {import('./pulse/machine.js').State} State */
/** @typedef {import('./pulse/machine.js').Transition} Transition */

/**
 * @typedef {object} StateEvent
 * @property {State} state the new state
 * @property {State} previous the state it left
 * @property {number|null} code close code of the last socket that ended, if any
 * @property {string} reason close reason, or why the client gave up on the socket
 * @property {number|null} delay `reconnecting`: ms until the next attempt
 * @property {number|null} retryAt `reconnecting`: epoch ms of the next attempt
 * @property {number} attempt failures in a row
 */

/**
 * @typedef {object} Welcome
 * @property {string} session the session id, as `/api/connections` lists it
 * @property {string|null} user
 * @property {{interval: number, timeout: number}} heartbeat the server's heartbeat, ms
 * @property {number} time the server's epoch ms
 */

/** @typedef {{user: string, since: number, connections: number}} Member */

/**
 * @typedef {object} Subscribed
 * @property {string} topic
 * @property {string} epoch
 * @property {number} seq the topic's last seq when the server answered
 * @property {Member[]} [members] with presence
 * @property {boolean} resumed whether this answers a resubscription with `since`
 */

/**
 * @typedef {object} Message
 * @property {string} topic
 * @property {number} seq 1, 2, 3 … per topic; each delivered once and in order across reconnects
 * @property {string} epoch
 * @property {number} time the server's epoch ms when it was published
 * @property {any} data whatever JSON was published
 */

/**
 * @typedef {object} Gap
 * @property {string} topic
 * @property {number|null} from first seq missed (`expired`), null for `reset`
 * @property {number|null} to last seq missed (`expired`), null for `reset`
 * @property {'expired'|'reset'} reason `reset`: the history was reset, everything of the new epoch follows
 */

/** @typedef {{topic: string, user: string, time: number}} Join */
/** @typedef {{topic: string, user: string, time: number, reason: 'closed'|'evicted'|'unsubscribed'}} Leave */
/** @typedef {{code: string|null, message: string, ref: string|null}} ErrorDetail `code` null: a client-side problem */
/** @typedef {{rtt: number, time: number|null}} Rtt round trip in ms of an app-level ping; the server's epoch ms */

/**
 * What each event's listener gets.
 *
 * @typedef {object} PulseEvents
 * @property {StateEvent} state
 * @property {Welcome} welcome
 * @property {Subscribed} subscribed
 * @property {Message} message
 * @property {Gap} gap
 * @property {Join} join
 * @property {Leave} leave
 * @property {ErrorDetail} error
 * @property {Rtt} rtt
 */

/** @typedef {keyof PulseEvents} EventName */

/**
 * @typedef {object} ConnectOptions
 * @property {string|(() => (string|null|Promise<string|null>))} [token] a token, or a function that fetches one
 *     (called before the first connection and once more after a 4001 close); sent as the subprotocol
 *     `bearer.<token>` next to `pulse.v1`
 * @property {string|null} [readyUrl] the server's readiness URL, asked before a handshake while the server seems
 *     away; by default `health/ready` beside the socket's `ws` (same origin only); null: never ask
 * @property {{interval: number, timeout: number}} [heartbeat] what to assume until the server's welcome tells
 * @property {number} [backoffBase] see {@link DEFAULTS}
 * @property {number} [backoffCap] see {@link DEFAULTS}
 * @property {number} [readyEvery] see {@link DEFAULTS}
 * @property {number} [readyFor] see {@link DEFAULTS}
 * @property {number} [healthyAfter] see {@link DEFAULTS}
 * @property {number} [probeTimeout] see {@link DEFAULTS}
 * @property {number} [connectTimeout] see {@link DEFAULTS}
 * @property {number} [requestTimeout] see {@link DEFAULTS}
 * @property {any} [WebSocket] the WebSocket class; the global one (in Node: e.g. `ws`'s default export)
 * @property {(url: string, init: object) => Promise<any>} [fetch] for the readiness check; the global one
 * @property {EventTarget|null} [window] where `online`, `offline`, `focus`, `pagehide` and `pageshow` fire
 * @property {EventTarget|null} [document] where `visibilitychange` and `resume` fire
 * @property {() => number} [now] wall-clock epoch ms (tests); `Date.now`
 * @property {() => number} [perfNow] monotonic ms for round trips (tests); `performance.now`
 * @property {(fn: () => void, ms: number) => unknown} [setTimeout] timers (tests); the global ones
 * @property {(id: any) => void} [clearTimeout]
 * @property {(fn: () => void, ms: number) => unknown} [setInterval]
 * @property {(id: any) => void} [clearInterval]
 * @property {() => number} [random] [0, 1) numbers for the jitter (tests); `Math.random`
 * @property {boolean|string} [share] true: every tab of this origin that connects to the same URL with `share` uses
 *     one socket, with the same API and events in every tab: held by a shared worker (`pulse/share/worker.js`,
 *     served beside this module) where the browser has SharedWorker, otherwise by one of the tabs (elected with the
 *     Web Locks API; a BroadcastChannel between them). A string also separates the tabs by it (e.g. the user's id,
 *     when the URL does not name the user). Where the browser has no Web Locks, or neither SharedWorker nor
 *     BroadcastChannel, each tab has its own socket
 * @property {boolean} [sharedWorker] with `share`: false holds the socket in a tab even where the browser has
 *     SharedWorker (every tab of one `share` must agree); true by default
 * @property {any} [SharedWorker] the SharedWorker class for `share` (tests); the global one
 * @property {any} [BroadcastChannel] the BroadcastChannel class for `share` (tests); the global one
 * @property {any} [locks] the LockManager for `share` (tests); `navigator.locks`
 */

/** The event names; {@link Pulse#on} refuses any other, so a typo fails loudly (and, with the types, at compile time). */
export const EVENTS = /** @type {readonly EventName[]} */ (Object.freeze(
    ['state', 'welcome', 'subscribed', 'message', 'gap', 'join', 'leave', 'error', 'rtt']));

/** The defaults of every tuning option of {@link Pulse.connect}, in ms. */
export const DEFAULTS = /** @type {Readonly<{backoffBase: number, backoffCap: number, readyEvery: number,
    readyFor: number, healthyAfter: number, probeTimeout: number, connectTimeout: number, requestTimeout: number,
    heartbeat: Readonly<{interval: number, timeout: number}>}>} */ (Object.freeze({
    backoffBase: 500, // the first retry waits up to this; each failed handshake in a row doubles the bound
    backoffCap: 15_000, // no handshake retry waits longer, so a returning server is found within 15 s even unasked
    readyEvery: 1_000, // while the server is away, ask whether it is ready every [1/2, 1) of this ...
    readyFor: 120_000, // ... for this long into an outage; then the period grows with the outage's age, up to backoffCap
    healthyAfter: 10_000, // a connection open this long resets the backoff; a server that drops us at once does not
    probeTimeout: 1_000, // after a late timer, a wake-up or an 'online': this long for any answer to a probe ping
    connectTimeout: 10_000, // a handshake + welcome that takes longer is abandoned and retried
    requestTimeout: 10_000, // publish() and presence() reject when no answer came within this
    heartbeat: Object.freeze({ interval: 25_000, timeout: 20_000 }), // the server's defaults, until its welcome tells
}));

const SUBPROTOCOL = 'pulse.v1';
const TOPIC = /^[A-Za-z0-9:._@-]{1,200}$/;
const OPEN = 1; // WebSocket.OPEN, spelled out so that an injected WebSocket needs no constants
const CONNECTING = 0;
const FATAL_CLOSE_CODES = new Set([4001, 4003]); // unauthenticated/forbidden: retrying with the same credentials cannot help
const READY_MISSES = 3; // readiness answers in a row that are neither 2xx nor 503: try a handshake anyway
const WORKER = new URL('./pulse/share/worker.js', import.meta.url); // the shared worker's module, beside this one
const TUNING = /** @type {const} */ (['backoffBase', 'backoffCap', 'readyEvery', 'readyFor', 'healthyAfter',
    'probeTimeout', 'connectTimeout', 'requestTimeout']);

/**
 * The socket URL of a page: same host, ws or wss as the page is http or https, and the path of the page's
 * directory, so that a WAR deployed under any context root finds its own endpoint.
 *
 * @param {{protocol: string, host: string, pathname: string}} [loc] the page's location
 * @returns {string} e.g. `ws://host/pulse/ws` for a page at `http://host/pulse/index.html`
 */
export function socketUrl(loc = globalThis.location) {
    if (!loc || typeof loc.host !== 'string' || typeof loc.pathname !== 'string') {
        throw new TypeError('socketUrl needs a location (protocol, host, pathname)');
    }
    const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
    const directory = loc.pathname.slice(0, loc.pathname.lastIndexOf('/') + 1) || '/';
    return `${scheme}//${loc.host}${directory}ws`;
}

/**
 * One logical connection to a Pulse server: at most one socket at a time, replaced when it dies, until
 * {@link Pulse#close}; the topics it subscribed to survive every replacement.
 */
export class Pulse {
    /** @type {string} */
    #url;
    /** @type {Readonly<Record<typeof TUNING[number], number>>} */
    #options;
    /** @type {import('./pulse/liveness.js').Clock} */
    #clock;
    /** @type {any} */
    #WebSocket;
    #events = new Emitter(EVENTS);
    #machine = new Machine((from, to, _event, detail) => this.#changed(from, to, detail));
    /** @type {Backoff} */
    #backoff;
    /** @type {Liveness} */
    #liveness;
    /** @type {PageLifecycle} */
    #lifecycle;
    /** @type {Readiness|null} */
    #readiness;
    #ledger = new Ledger();
    /** @type {Requests} */
    #requests;
    /** @type {SharedTab|null} this tab's side of the socket it shares with the other tabs (option `share`) */
    #shared = null;
    /** @type {((frame: any) => void)|null} a shared socket's hub: gets every topic frame, instead of the ledger */
    #tap = null;

    /** @type {any} the only socket whose events count; every other one has its handlers detached */
    #socket = null;
    #generation = 0; // bumped by every attempt, so a token or readiness answer that arrives late opens nothing
    /** @type {Welcome|null} */
    #welcome = null;
    #offline = false;
    #readyMisses = 0;
    /** @type {{code: number|null, reason: string}} */
    #lastLoss = { code: null, reason: '' };
    /** @type {unknown} */
    #retryTimer = null;
    /** @type {number|null} */
    #retryAt = null;
    /** @type {unknown} */
    #connectTimer = null;

    /** @type {ConnectOptions['token']} */
    #tokenSource;
    /** @type {string|null} */
    #token = null;
    #tokenRefreshed = false; // the current token came from a refresh after 4001 and has not yet been welcomed

    /**
     * Connects to a Pulse server.
     *
     * @param {string|URL|ConnectOptions} [url] a `ws:` or `wss:` URL; defaults to {@link socketUrl} of this page.
     *     May be left out and the options given first.
     * @param {ConnectOptions} [options]
     * @returns {Pulse} already connecting; add listeners with {@link Pulse#on} in the same task to see every event
     */
    static connect(url, options) {
        if (url !== undefined && url !== null && typeof url === 'object' && !(url instanceof URL) && options === undefined) {
            return new Pulse(undefined, url).#start();
        }
        return new Pulse(/** @type {string|URL|undefined} */ (url), options).#start();
    }

    /**
     * Prefer {@link Pulse.connect}; the constructor does not connect (the state stays `idle`).
     *
     * @param {string|URL} [url] see {@link Pulse.connect}
     * @param {ConnectOptions} [options] see {@link Pulse.connect}
     */
    constructor(url, options = {}) {
        if (options === null || typeof options !== 'object') {
            throw new TypeError('options must be an object');
        }
        const resolved = new URL(url === undefined || url === null ? socketUrl() : String(url));
        if (resolved.protocol !== 'ws:' && resolved.protocol !== 'wss:') {
            throw new TypeError(`a Pulse URL must be ws: or wss:, not ${resolved.protocol}`);
        }
        this.#url = resolved.href;
        /** @type {Record<string, number>} */
        const tuning = {};
        for (const key of TUNING) {
            const value = options[key] ?? DEFAULTS[key];
            if (!Number.isFinite(value) || value < 0) {
                throw new TypeError(`options.${key} must be a number of ms >= 0, not ${value}`);
            }
            tuning[key] = value;
        }
        this.#options = /** @type {Readonly<Record<typeof TUNING[number], number>>} */ (Object.freeze(tuning));
        if (options.token !== undefined && typeof options.token !== 'string' && typeof options.token !== 'function') {
            throw new TypeError('options.token must be a string or a function returning one');
        }
        this.#tokenSource = options.token;
        this.#token = typeof options.token === 'string' ? options.token : null;
        /**
         * @template T
         * @param {string} name
         * @param {T} fallback
         * @returns {T}
         */
        const fn = (name, fallback) => {
            const value = /** @type {Record<string, any>} */ (options)[name] ?? fallback;
            if (typeof value !== 'function') {
                throw new TypeError(`options.${name} must be a function`);
            }
            return value;
        };
        this.#clock = Object.freeze({
            now: fn('now', () => Date.now()),
            perfNow: fn('perfNow', options.now ?? (() => globalThis.performance.now())),
            setTimeout: fn('setTimeout', (/** @type {() => void} */ f, /** @type {number} */ ms) => globalThis.setTimeout(f, ms)),
            clearTimeout: fn('clearTimeout', (/** @type {any} */ t) => globalThis.clearTimeout(t)),
            setInterval: fn('setInterval', (/** @type {() => void} */ f, /** @type {number} */ ms) => globalThis.setInterval(f, ms)),
            clearInterval: fn('clearInterval', (/** @type {any} */ t) => globalThis.clearInterval(t)),
            random: fn('random', Math.random),
        });
        this.#WebSocket = fn('WebSocket', globalThis.WebSocket);
        const window = 'window' in options ? options.window ?? null : globalThis.window ?? null;
        const document = 'document' in options ? options.document ?? null : globalThis.document ?? null;
        this.#shared = this.#share(options);
        this.#lifecycle = new PageLifecycle(/** @type {any} */ (window), /** @type {any} */ (document), this.#shared ? {
            wake: () => {},
            hide: () => this.#pageHidden(),
            show: () => this.#pageShown(),
            online: () => {},
            offline: () => {},
        } : {
            wake: () => this.#wake(),
            hide: () => this.#pageHidden(),
            show: () => this.#pageShown(),
            online: () => this.#online(),
            offline: () => this.#offlineNow(),
        });
        const readyUrl = options.readyUrl === undefined ? readyUrlOf(this.#url) : options.readyUrl;
        if (readyUrl !== null && typeof readyUrl !== 'string') {
            throw new TypeError('options.readyUrl must be a URL or null');
        }
        const fetch = options.fetch ?? (typeof globalThis.fetch === 'function' ? globalThis.fetch.bind(globalThis) : null);
        this.#readiness = readyUrl !== null && typeof fetch === 'function' ? new Readiness(readyUrl, fetch, this.#clock) : null;
        const o = this.#options;
        this.#backoff = new Backoff({ base: o.backoffBase, cap: o.backoffCap, healthyAfter: o.healthyAfter,
            readyEvery: o.readyEvery, readyFor: o.readyFor, random: this.#clock.random });
        this.#liveness = new Liveness({
            clock: this.#clock,
            probeTimeout: o.probeTimeout,
            heartbeat: checkHeartbeat(options.heartbeat ?? DEFAULTS.heartbeat),
            send: (text) => this.#sendText(text),
            dead: (reason) => this.#dead(reason),
            tick: (now, late) => this.#ticked(now, late),
        });
        this.#requests = new Requests(o.requestTimeout, this.#clock);
    }

    /**
     * The tab's side of a shared socket, when `share` asks for one and the browser can: through the shared worker
     * that holds it, or through the BroadcastChannel to the tab that leads.
     *
     * @param {ConnectOptions} options
     * @returns {SharedTab|null}
     */
    #share(options) {
        const { share } = options;
        if (share === undefined || share === false) {
            return null;
        }
        if (share !== true && (typeof share !== 'string' || share === '')) {
            throw new TypeError('options.share must be true, false or a non-empty string');
        }
        if (options.sharedWorker !== undefined && typeof options.sharedWorker !== 'boolean') {
            throw new TypeError('options.sharedWorker must be true or false');
        }
        const SharedWorker = options.SharedWorker ?? globalThis.SharedWorker;
        const BroadcastChannel = options.BroadcastChannel ?? globalThis.BroadcastChannel;
        const locks = options.locks ?? globalThis.navigator?.locks;
        const worker = options.sharedWorker !== false && typeof SharedWorker === 'function';
        if ((!worker && typeof BroadcastChannel !== 'function') || !locks || typeof locks.request !== 'function') {
            return null; // nothing to share with: a socket of its own
        }
        const name = `pulse:${this.#url}${share === true ? '' : `#${share}`}`;
        const token = typeof options.token === 'function' ? options.token : null;
        /** @type {import('./pulse/share/port.js').WorkerConfig} */
        const config = { url: this.#url, options: { ...this.#options, heartbeat: options.heartbeat, readyUrl: options.readyUrl,
            token: typeof options.token === 'string' ? options.token : undefined, tokenFromTab: token !== null } };
        const random = this.#clock.random;
        return new SharedTab({
            name,
            id: globalThis.crypto?.randomUUID?.() ?? `${random().toString(36).slice(2)}${random().toString(36).slice(2)}`,
            worker: worker ? (receive, events) => new PortChannel(SharedWorker, WORKER, name, receive,
                { config, token, locks, events }) : null,
            tabs: typeof BroadcastChannel === 'function' ? (receive) => new Channel(BroadcastChannel, name, receive) : null,
            locks,
            clock: this.#clock,
            requestTimeout: this.#options.requestTimeout,
            makeCore: (tap) => Pulse.core(this.#url, options, tap),
            emit: (event, detail) => this.#events.emit(event, detail),
            machine: this.#machine,
            stop: (code, reason) => this.#stop(code, reason),
        });
    }

    /**
     * The Pulse that holds a shared socket, in the leading tab or in the shared worker: a plain one whose topic
     * frames go to the hub. Not for applications: its topics are the hub's to track.
     *
     * @param {string} url
     * @param {ConnectOptions} options
     * @param {(frame: any) => void} tap
     * @returns {Pulse}
     */
    static core(url, options, tap) {
        const core = new Pulse(url, { ...options, share: false });
        core.#tap = tap;
        return core.#start();
    }

    /** @returns {string} the socket URL */
    get url() {
        return this.#url;
    }

    /** @returns {State} */
    get state() {
        return this.#machine.state;
    }

    /** @returns {Welcome|null} the current socket's welcome message, null until it arrives */
    get welcome() {
        return this.#shared ? this.#shared.welcome : this.#welcome;
    }

    /** @returns {{interval: number, timeout: number}} the heartbeat in use (the last welcome's) */
    get heartbeat() {
        return this.#shared?.welcome?.heartbeat ?? this.#liveness.heartbeat;
    }

    /**
     * @returns {boolean} whether this tab holds the socket: always without `share`; with it, while this tab leads
     *     (never when a shared worker holds it)
     */
    get holdsSocket() {
        return this.#shared ? this.#shared.leading : this.#machine.state !== 'closed';
    }

    /**
     * @returns {'worker'|'tabs'|null} who holds the socket this Pulse uses: a shared worker, one of the tabs that
     *     share it, or (null) this Pulse alone
     */
    get sharing() {
        return this.#shared ? (this.#shared.worker ? 'worker' : 'tabs') : null;
    }

    /** @returns {string[]} the topics subscribed with {@link Pulse#subscribe} */
    get topics() {
        return this.#shared ? this.#shared.topics : this.#ledger.topics;
    }

    /**
     * Listens to an event; the listener gets the event's detail.
     * - `state`: {@link StateEvent}, once for every change of state: `connecting` (an attempt), `open` (welcomed),
     *   `reconnecting` (lost; the next attempt at `retryAt`), `offline` (lost while the browser is offline:
     *   attempts wait for `online`), `paused` (the page was hidden into the back/forward cache: no socket until it
     *   is shown) or `closed` (for good). `code` and `reason` tell why the last socket ended.
     * - `welcome`: the server's welcome {@link Welcome}
     * - `subscribed`: {@link Subscribed} after each (re)subscription; `members` with presence
     * - `message`: {@link Message}, each seq once and in order across reconnects
     * - `gap`: {@link Gap}: messages the server no longer has (`expired`) or a reset history (`reset`)
     * - `join` / `leave`: {@link Join} / {@link Leave} for presence subscriptions
     * - `error`: {@link ErrorDetail}; a server `error` message, or `code` null for a client-side problem
     * - `rtt`: {@link Rtt}
     *
     * @template {EventName} K
     * @param {K} event one of {@link EVENTS}
     * @param {(detail: PulseEvents[K]) => void} fn the listener
     * @returns {() => void} removes the listener
     */
    on(event, fn) {
        return this.#events.on(event, fn);
    }

    /**
     * Subscribes to a topic, now if connected and again after every reconnect, then with `since` and `epoch`
     * so that the server replays what was missed (or says with a `gap` what it cannot).
     *
     * @param {string} topic 1–200 characters of `[A-Za-z0-9:._@-]`
     * @param {{presence?: boolean}} [options] `presence`: also get the members and `join`/`leave` events
     * @returns {Promise<Subscribed>} the first `subscribed` answer; rejects with a {@link PulseError} when the
     *     server refuses (the topic is then forgotten) or when the client is closed first
     */
    subscribe(topic, options = {}) {
        checkTopic(topic);
        if (options === null || typeof options !== 'object') {
            throw new TypeError('subscribe options must be an object');
        }
        if (options.presence !== undefined && typeof options.presence !== 'boolean') {
            throw new TypeError('options.presence must be true or false');
        }
        if (this.#machine.state === 'closed') {
            return Promise.reject(new PulseError('closed', 'this Pulse is closed'));
        }
        const sub = this.#shared ? this.#shared.subscribe(topic, options.presence) : this.#ledger.subscribe(topic, options.presence);
        /** @type {Promise<Subscribed>} */
        const answer = new Promise((resolve, reject) => sub.waiters.push({ resolve, reject }));
        answer.catch(() => {}); // an application that does not wait for the answer must not see an unhandled rejection
        if (!this.#shared && this.#welcome) {
            this.#sendText(JSON.stringify(Ledger.subscribeMessage(topic, sub)));
        }
        return answer;
    }

    /**
     * Unsubscribes: no more messages of the topic, and it is not resubscribed after a reconnect.
     *
     * @param {string} topic
     * @returns {boolean} whether it was subscribed
     */
    unsubscribe(topic) {
        checkTopic(topic);
        const sub = this.#shared ? this.#shared.unsubscribe(topic) : this.#ledger.remove(topic);
        if (!sub) {
            return false;
        }
        for (const waiter of sub.waiters) {
            waiter.reject(new PulseError('unsubscribed', `unsubscribed from ${topic} before the answer`));
        }
        if (!this.#shared) {
            this.send({ type: 'unsubscribe', topic });
        }
        return true;
    }

    /**
     * Publishes a message to a topic through the socket.
     *
     * @param {string} topic
     * @param {any} data any JSON value
     * @returns {Promise<{topic: string, seq: number}>} settled by the server's `ack`; rejects with a
     *     {@link PulseError}: the server's `error` for it (e.g. `forbidden`), `not_connected` when no socket is
     *     open (nothing is queued), `timeout`, or `connection_lost`/`closed` when the socket ends before the ack
     *     (the message may or may not have been published)
     */
    publish(topic, data) {
        checkTopic(topic);
        if (data === undefined) {
            throw new TypeError('publish needs data (any JSON value)');
        }
        if (this.#shared && this.#machine.state !== 'closed') {
            return this.#shared.request('publish', topic, data);
        }
        const id = this.#requests.nextId('p');
        return this.#request(id, 'publish', topic, JSON.stringify({ type: 'publish', topic, data, id }));
    }

    /**
     * Asks who is subscribed to a topic.
     *
     * @param {string} topic
     * @returns {Promise<Member[]>} the members; rejects like {@link Pulse#publish}
     */
    presence(topic) {
        checkTopic(topic);
        if (this.#shared && this.#machine.state !== 'closed') {
            return this.#shared.request('presence', topic);
        }
        const id = this.#requests.nextId('q');
        return this.#request(id, 'presence', topic, JSON.stringify({ type: 'presence', topic, id }));
    }

    /**
     * Sends one message when a socket is open and welcomed. Nothing is queued: a message sent while
     * reconnecting would reach a server that may no longer know the context it was written in.
     *
     * @param {{type: string, [key: string]: unknown}} message a JSON object with a string `type`
     * @returns {boolean} whether it was handed to an open socket
     */
    send(message) {
        if (message === null || typeof message !== 'object' || Array.isArray(message)) {
            throw new TypeError('a message must be a JSON object');
        }
        if (typeof message.type !== 'string' || message.type === '') {
            throw new TypeError('a message needs a string "type"');
        }
        return this.#shared ? this.#shared.send(message) : this.#sendText(JSON.stringify(message));
    }

    /** Closes for good: no reconnect, pending requests rejected, no more events after the final `closed`. */
    close() {
        this.#stop(1000, 'closed by client');
    }

    // ---- the state machine -----------------------------------------------------------------------------------

    /**
     * @param {State} from
     * @param {State} to
     * @param {{code?: number|null, reason?: string, delay?: number|null, retryAt?: number|null, attempt?: number}} detail
     */
    #changed(from, to, { code = null, reason = '', delay = null, retryAt = null, attempt = this.#backoff.failures }) {
        this.#events.emit('state', { state: to, previous: from, code, reason, delay, retryAt, attempt });
    }

    /**
     * Fires a transition; true when it happened and no listener moved the state on meanwhile (e.g. by close()),
     * so that the caller may carry out what the new state needs.
     *
     * @param {Transition} event
     * @param {object} [detail]
     * @returns {boolean}
     */
    #move(event, detail) {
        const to = TRANSITIONS[this.#machine.state][event];
        return this.#machine.fire(event, detail) && this.#machine.state === to;
    }

    // ---- lifecycle -------------------------------------------------------------------------------------------

    #start() {
        if (this.#shared) {
            this.#lifecycle.attach();
            this.#events.hold();
            queueMicrotask(() => this.#events.release());
            this.#move('connect', {});
            this.#shared.start();
            return this;
        }
        this.#lifecycle.attach();
        this.#offline = this.#lifecycle.offline;
        this.#liveness.start();
        this.#events.hold(); // the events of this task reach the listeners added right after connect()
        queueMicrotask(() => this.#events.release());
        this.#connect('connect');
        return this;
    }

    /**
     * One attempt: ask whether the server is ready when it seems away, fetch a token when needed, then replace
     * whatever socket there was by a new one.
     *
     * @param {'connect'|'show'} event
     */
    #connect(event = 'connect') {
        if (!this.#move(event, this.#lastLoss)) {
            return;
        }
        this.#clearRetry();
        this.#drop('replaced');
        const generation = ++this.#generation;
        const ask = this.#readiness !== null && this.#backoff.serverAway && this.#readyMisses < READY_MISSES;
        if (!ask) {
            this.#readyMisses = 0;
            this.#authenticate(generation);
            return;
        }
        /** @type {Readiness} */ (this.#readiness).check().then((answer) => {
            if (generation !== this.#generation || this.#machine.state !== 'connecting') {
                return; // another attempt, a hide or close() came first
            }
            if (answer.ready) {
                this.#readyMisses = 0;
                this.#authenticate(generation);
                return;
            }
            this.#readyMisses = answer.status === null || answer.status === 503 ? 0 : this.#readyMisses + 1;
            this.#retryLater(this.#backoff.notReady(this.#clock.now(), answer.retryAfter));
        });
    }

    /** @param {number} generation */
    #authenticate(generation) {
        if (typeof this.#tokenSource !== 'function' || this.#token !== null) {
            this.#openSocket();
            return;
        }
        /** @type {Promise<string|null>} */
        let pending;
        try {
            pending = Promise.resolve(this.#tokenSource());
        } catch (e) {
            pending = Promise.reject(e);
        }
        pending.then((token) => {
            if (generation !== this.#generation || this.#machine.state !== 'connecting') {
                return;
            }
            if (typeof token !== 'string' || token === '') {
                this.#stop(4001, 'no token');
                return;
            }
            this.#token = token;
            this.#openSocket();
        }, (e) => {
            if (generation === this.#generation && this.#machine.state === 'connecting') {
                this.#lost(null, `token: ${e?.message ?? e}`); // the app's backend failing is worth a retry
            }
        });
    }

    #openSocket() {
        this.#drop('replaced'); // never two sockets: the old one is silenced before the new one exists
        this.#liveness.opened();
        const protocols = this.#token === null ? [SUBPROTOCOL] : [SUBPROTOCOL, `bearer.${this.#token}`];
        let socket;
        try {
            socket = new this.#WebSocket(this.#url, protocols);
        } catch (e) {
            this.#lost(null, `cannot open: ${/** @type {Error} */ (e).message}`);
            return;
        }
        this.#socket = socket;
        socket.onmessage = (/** @type {{data: any}} */ e) => socket === this.#socket && this.#received(e.data);
        socket.onerror = () => socket === this.#socket
            && this.#events.emit('error', { code: null, message: 'WebSocket error', ref: null });
        socket.onclose = (/** @type {{code: number, reason: string}} */ e) => socket === this.#socket && this.#lost(e.code, e.reason);
        // a handshake that hangs (a dead link accepts nothing) is abandoned; a pending one is cheap to keep a while,
        // and completes at once when the link comes back
        this.#connectTimer = this.#clock.setTimeout(() => {
            if (socket === this.#socket && this.#welcome === null) {
                this.#drop('connect timeout');
                this.#lost(null, `no welcome within ${this.#options.connectTimeout} ms`);
            }
        }, this.#options.connectTimeout);
    }

    /**
     * Detaches the current socket's handlers, then closes it: whatever it still does is no longer news.
     *
     * @param {string} reason
     */
    #drop(reason) {
        this.#clock.clearTimeout(this.#connectTimer);
        this.#connectTimer = null;
        this.#liveness.closed();
        const socket = this.#socket;
        this.#welcome = null;
        if (!socket) {
            return;
        }
        this.#socket = null;
        socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
        if (socket.readyState === CONNECTING || socket.readyState === OPEN) {
            try {
                socket.close(1000, reason);
            } catch {
                // already closing; nothing left to do
            }
        }
    }

    /**
     * The socket or the attempt ended (closed, failed, or judged dead): fail what waited on it, then plan the next
     * attempt.
     *
     * @param {number|null} code
     * @param {string} reason
     */
    #lost(code, reason) {
        this.#drop('lost');
        this.#requests.failAll('connection_lost', `connection lost before the answer${reason ? ` (${reason})` : ''}`);
        const state = this.#machine.state;
        if (state !== 'connecting' && state !== 'open') {
            return;
        }
        this.#lastLoss = { code, reason };
        if (code !== null && FATAL_CLOSE_CODES.has(code)) {
            if (code === 4001 && typeof this.#tokenSource === 'function' && !this.#tokenRefreshed) {
                this.#tokenRefreshed = true; // one fresh token; if that one is refused too, stop
                this.#token = null;
                if (this.#move('wait', { code, reason, delay: 0, retryAt: this.#clock.now() })) {
                    this.#connect();
                }
                return;
            }
            this.#stop(code, reason);
            return;
        }
        this.#retryLater(this.#backoff.failed(this.#clock.now(), code, reason));
    }

    /** @param {number} delay */
    #retryLater(delay) {
        if (this.#offline) {
            this.#move('offline', this.#lastLoss);
            return;
        }
        this.#clearRetry();
        const retryAt = this.#clock.now() + delay;
        if (!this.#move('wait', { ...this.#lastLoss, delay, retryAt })) {
            return;
        }
        this.#retryAt = retryAt;
        this.#retryTimer = this.#clock.setTimeout(() => {
            this.#retryTimer = null;
            this.#connect();
        }, delay);
    }

    #clearRetry() {
        this.#clock.clearTimeout(this.#retryTimer);
        this.#retryTimer = null;
        this.#retryAt = null;
    }

    /**
     * @param {number|null} code
     * @param {string} reason
     */
    #stop(code, reason) {
        if (this.#machine.state === 'closed') {
            return;
        }
        this.#generation++;
        this.#clearRetry();
        this.#liveness.stop();
        this.#lifecycle.detach();
        if (this.#shared) {
            this.#shared.stop('closed');
            this.#shared.rejectWaiters();
        }
        this.#drop('closed by client');
        this.#requests.failAll('closed', 'the client was closed');
        for (const sub of this.#ledger.subscriptions()) {
            sub.waiters.splice(0).forEach((w) => w.reject(new PulseError('closed', 'the client was closed')));
        }
        this.#machine.fire('stop', { code, reason });
    }

    // ---- what the page and the timers say ------------------------------------------------------------------------

    /**
     * Every liveness tick: the backoff resets after a healthy while, and a retry timer the browser throttled runs now.
     *
     * @param {number} now
     * @param {boolean} late
     */
    #ticked(now, late) {
        this.#backoff.check(now);
        if (late && this.#machine.state === 'reconnecting' && this.#retryAt !== null && now >= this.#retryAt) {
            this.#connect(); // a throttled retry timer: it is due, do not wait for the browser to get round to it
        }
    }

    /** @param {string} reason */
    #dead(reason) {
        this.#drop('server silent');
        this.#lost(null, reason);
    }

    /** Visible again, resumed from a freeze, focused: probe at once; waiting out a backoff would only delay. */
    #wake() {
        if (this.#liveness.probe()) {
            return;
        }
        if (this.#machine.state === 'reconnecting' && !this.#offline && this.#clock.now() >= this.#backoff.notBefore) {
            this.#connect();
        }
    }

    /**
     * The page is unloading or going into the back/forward cache, where a socket would keep its user "present" in
     * every room while nobody looks (Chromium keeps a cached page's socket answering Pings): close it now.
     */
    #pageHidden() {
        if (!this.#machine.can('hide')) {
            return;
        }
        if (this.#shared) {
            this.#shared.stop('page hidden'); // its topics are released; if it held the socket, another tab takes it
            this.#move('hide', { code: 1000, reason: 'page hidden' });
            return;
        }
        this.#generation++; // a token or readiness answer on its way must not open a socket either
        this.#clearRetry();
        this.#drop('page hidden');
        this.#requests.failAll('connection_lost', 'connection lost before the answer (page hidden)');
        this.#lastLoss = { code: 1000, reason: 'page hidden' };
        this.#move('hide', this.#lastLoss);
    }

    /** Shown again: from the back/forward cache, connect at once and resume; otherwise (first show) probe. */
    #pageShown() {
        if (this.#machine.state === 'paused' && this.#shared) {
            this.#move('show', {});
            this.#shared.start();
        } else if (this.#machine.state === 'paused') {
            this.#connect('show');
        } else {
            this.#wake();
        }
    }

    #online() {
        if (this.#machine.state === 'closed') {
            return;
        }
        this.#offline = false;
        if (this.#socket) {
            this.#liveness.probe(); // the network changed under an open socket: it may be a dead one now
            return;
        }
        const state = this.#machine.state;
        if (state !== 'reconnecting' && state !== 'offline') {
            return;
        }
        const wait = this.#backoff.notBefore - this.#clock.now();
        if (wait <= 0) {
            this.#connect(); // the network is back: waiting out the backoff would only delay
        } else if (state === 'offline') {
            this.#retryLater(wait); // the server asked for time to restart: grant it
        }
    }

    #offlineNow() {
        if (this.#machine.state === 'closed') {
            return;
        }
        this.#offline = true;
        if (this.#socket && this.#welcome !== null) {
            this.#liveness.probe(); // the browser may be wrong (a VPN, a second interface): believe the socket, not the event
            return;
        }
        if (this.#machine.state === 'reconnecting') {
            this.#clearRetry();
            this.#move('offline', this.#lastLoss);
        }
        // an attempt in progress may finish; if it fails, #lost sees #offline and pauses
    }

    // ---- receiving -------------------------------------------------------------------------------------------

    /** @param {unknown} data */
    #received(data) {
        this.#liveness.received(); // any frame proves the server alive, whatever it contains
        let message;
        try {
            message = JSON.parse(/** @type {string} */ (data));
        } catch {
            this.#events.emit('error', { code: null, message: 'the server sent something that is not JSON', ref: null });
            return;
        }
        if (message === null || typeof message !== 'object' || typeof message.type !== 'string') {
            this.#events.emit('error', { code: null, message: 'the server sent a message without a type', ref: null });
            return;
        }
        switch (message.type) {
            case 'welcome': return this.#welcomed(message);
            case 'pong': {
                const rtt = this.#liveness.pong(message);
                return rtt ? this.#events.emit('rtt', rtt) : undefined;
            }
            case 'subscribed':
            case 'message':
            case 'gap':
            case 'join':
            case 'leave':
                if (this.#tap) {
                    return this.#tap(message); // a shared socket: the hub routes them to the tabs
                }
        }
        switch (message.type) {
            case 'subscribed': return this.#subscribed(message);
            case 'message':
                if (typeof message.topic === 'string' && Number.isInteger(message.seq) && this.#ledger.accept(message)) {
                    this.#events.emit('message', without(message, 'type'));
                }
                return undefined;
            case 'gap': return this.#ledger.gap(message) ? this.#events.emit('gap', without(message, 'type')) : undefined;
            case 'join':
            case 'leave':
                return this.#ledger.has(message.topic) ? this.#events.emit(message.type, without(message, 'type')) : undefined;
            case 'ack': return void this.#requests.settle(message.id, { topic: message.topic, seq: message.seq });
            case 'presence': return void this.#requests.presence(message);
            case 'error': return this.#serverError(message);
            default: return undefined; // unsubscribed, and whatever a newer server adds
        }
    }

    /** @param {any} message */
    #welcomed(message) {
        if (this.#machine.state !== 'connecting' || this.#welcome !== null) {
            return; // a second welcome on one socket: nothing new
        }
        let heartbeat = this.#liveness.heartbeat;
        try {
            heartbeat = checkHeartbeat(message.heartbeat);
        } catch (e) {
            this.#events.emit('error', { code: null, ref: 'welcome',
                message: `welcome: ${/** @type {Error} */ (e).message}; keeping ${heartbeat.interval}/${heartbeat.timeout} ms` });
        }
        this.#clock.clearTimeout(this.#connectTimer);
        this.#connectTimer = null;
        this.#welcome = message;
        this.#backoff.welcomed(this.#clock.now());
        this.#tokenRefreshed = false;
        this.#lastLoss = { code: null, reason: '' };
        if (!this.#move('welcome', {})) {
            return;
        }
        this.#events.emit('welcome', message);
        if (this.#welcome !== message) {
            return; // a listener closed it
        }
        for (const subscribe of this.#ledger.resubscriptions(message.user)) {
            this.#sendText(JSON.stringify(subscribe));
        }
        this.#liveness.welcomed(heartbeat);
    }

    /** @param {any} message */
    #subscribed(message) {
        if (typeof message.topic !== 'string' || typeof message.epoch !== 'string') {
            return;
        }
        const answered = this.#ledger.subscribed(message);
        if (!answered) {
            return;
        }
        const detail = { ...without(message, 'type'), resumed: answered.resumed };
        for (const waiter of answered.sub.waiters.splice(0)) {
            waiter.resolve(detail);
        }
        this.#events.emit('subscribed', detail);
    }

    /** @param {any} message */
    #serverError(message) {
        this.#tap?.(message);
        const error = { code: message.code ?? null, message: message.message ?? '', ref: message.ref ?? null };
        if (typeof error.ref === 'string') {
            if (this.#requests.has(error.ref)) {
                this.#requests.settle(error.ref, null, new PulseError(error.code, error.message, error.ref));
            } else if (error.ref.startsWith('s:') && error.code !== 'rate_limited') {
                const sub = this.#ledger.remove(error.ref.slice(2)); // refused: resubscribing would be refused too
                sub?.waiters.splice(0).forEach((w) => w.reject(new PulseError(error.code, error.message, error.ref)));
            }
        }
        this.#events.emit('error', error);
    }

    // ---- sending ---------------------------------------------------------------------------------------------

    /**
     * @param {string} id
     * @param {'publish'|'presence'} kind
     * @param {string} topic
     * @param {string} body
     * @returns {Promise<any>}
     */
    #request(id, kind, topic, body) {
        if (this.#machine.state === 'closed') {
            return Promise.reject(new PulseError('closed', 'this Pulse is closed'));
        }
        if (!this.#sendText(body)) {
            return Promise.reject(new PulseError('not_connected', `not connected (${this.#machine.state}); nothing was sent`));
        }
        return this.#requests.await(id, kind, topic);
    }

    /**
     * @param {string} text
     * @returns {boolean} whether it was handed to an open, welcomed socket
     */
    #sendText(text) {
        const socket = this.#socket;
        if (!socket || this.#welcome === null || socket.readyState !== OPEN) {
            return false;
        }
        try {
            socket.send(text);
        } catch (e) {
            this.#events.emit('error', { code: null, message: `send failed: ${/** @type {Error} */ (e).message}`, ref: null });
            return false;
        }
        return true;
    }
}

/**
 * @param {Record<string, unknown>} message
 * @param {string} key
 * @returns {any}
 */
function without(message, key) {
    const copy = { ...message };
    delete copy[key];
    return copy;
}

/** @param {unknown} topic */
function checkTopic(topic) {
    if (typeof topic !== 'string' || !TOPIC.test(topic)) {
        throw new TypeError(`a topic is 1-200 characters of [A-Za-z0-9:._@-], not ${JSON.stringify(topic)}`);
    }
}

/**
 * @param {any} heartbeat
 * @returns {{interval: number, timeout: number}}
 */
function checkHeartbeat(heartbeat) {
    const { interval, timeout } = heartbeat ?? {};
    if (!(Number.isFinite(interval) && interval > 0 && Number.isFinite(timeout) && timeout > 0)) {
        throw new TypeError('heartbeat needs a positive interval and timeout in ms');
    }
    return Object.freeze({ interval, timeout });
}
