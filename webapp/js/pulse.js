/**
 * Pulse browser client: one WebSocket to a Pulse server that notices a dead server by itself and comes back.
 *
 * Browsers cannot send or see WebSocket Ping frames, so this client sends the contract's app-level
 * `{"type":"ping"}` to measure the round trip, and judges the server dead when nothing at all has
 * arrived for the server's own heartbeat interval + timeout.
 *
 * @example
 * const pulse = Pulse.connect();
 * pulse.on('state', ({ state, code, reason }) => console.log(state, code, reason));
 * pulse.on('rtt', ({ rtt }) => console.log(`${rtt} ms`));
 *
 * @module pulse
 */

/** The events a {@link Pulse} emits; `on` refuses any other name, so a typo fails loudly. */
export const EVENTS = Object.freeze(['state', 'welcome', 'rtt', 'message', 'error']);

const BACKOFF_BASE_MS = 500; // first retry waits up to this; each failure doubles it
const BACKOFF_CAP_MS = 15_000; // no retry waits longer, so a returning server is found within 15 s
const CHECK_EVERY_MS = 1_000; // timer granularity of pings and the dead-server check
const DEFAULT_HEARTBEAT = Object.freeze({ interval: 25_000, timeout: 20_000 }); // the server's defaults, until its welcome says otherwise
const FATAL_CLOSE_CODES = new Set([4001, 4003]); // unauthenticated/forbidden: retrying with the same credentials cannot help

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
 * The retry delay after `attempt` failures in a row: "full jitter" (a uniform pick between 0 and the
 * exponential bound), so that clients dropped together by a restart do not all come back together.
 *
 * @param {number} attempt failures in a row, 0 for the first retry
 * @param {() => number} [random] source of [0, 1) numbers, for tests
 * @returns {number} ms to wait
 */
export function backoffDelay(attempt, random = Math.random) {
    if (!Number.isInteger(attempt) || attempt < 0) {
        throw new TypeError(`attempt must be a non-negative integer, not ${attempt}`);
    }
    const bound = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 30));
    return Math.floor(random() * bound);
}

/**
 * One logical connection to a Pulse server: at most one socket at a time, replaced when it dies, until
 * {@link Pulse#close}.
 */
export class Pulse {
    #url;
    #events = new EventTarget();
    #socket = null;
    #state = 'closed';
    #stopped = false;
    #attempt = 0; // failures in a row since the last welcome
    #heartbeat = DEFAULT_HEARTBEAT;
    #welcome = null;
    #lastReceivedAt = 0; // Date.now(): wall-clock time keeps counting while a background tab's timers sleep
    #lastSentAt = 0;
    #retryTimer = null;
    #checkTimer = null;
    #onWake = () => this.#checkAlive();
    #onOnline = () => this.#online();

    /**
     * Connects to a Pulse server.
     *
     * @param {string|URL|object} [url] a `ws:` or `wss:` URL; defaults to {@link socketUrl} of this page.
     *     May be left out and the options given first.
     * @param {{heartbeat?: {interval: number, timeout: number}}} [options] `heartbeat`: what to assume
     *     until the server's welcome tells (the contract's defaults otherwise)
     * @returns {Pulse} already connecting; subscribe with {@link Pulse#on} in the same task to see every event
     */
    static connect(url, options) {
        if (url !== undefined && typeof url === 'object' && !(url instanceof URL) && options === undefined) {
            return new Pulse(undefined, url).#start();
        }
        return new Pulse(url, options).#start();
    }

    /**
     * Prefer {@link Pulse.connect}; the constructor does not connect.
     *
     * @param {string|URL} [url] see {@link Pulse.connect}
     * @param {object} [options] see {@link Pulse.connect}
     */
    constructor(url, options = {}) {
        const resolved = new URL(url === undefined ? socketUrl() : String(url));
        if (resolved.protocol !== 'ws:' && resolved.protocol !== 'wss:') {
            throw new TypeError(`a Pulse URL must be ws: or wss:, not ${resolved.protocol}`);
        }
        if (options === null || typeof options !== 'object') {
            throw new TypeError('options must be an object');
        }
        if (options.heartbeat !== undefined) {
            this.#heartbeat = Pulse.#checkHeartbeat(options.heartbeat);
        }
        this.#url = resolved.href;
    }

    /** @returns {string} the socket URL */
    get url() {
        return this.#url;
    }

    /** @returns {'connecting'|'open'|'reconnecting'|'closed'} */
    get state() {
        return this.#state;
    }

    /** @returns {object|null} the current socket's welcome message, null before it arrives */
    get welcome() {
        return this.#welcome;
    }

    /**
     * Listens to an event; the listener gets the event's detail.
     * - `state`: `{state, code, reason, delay}`; `code` and `reason` tell why a socket ended, `delay` the
     *   ms until the next attempt while reconnecting
     * - `welcome`: `{session, user, heartbeat: {interval, timeout}, time}`
     * - `rtt`: `{rtt, time}`: round trip in ms of an app-level ping, and the server's epoch ms in its pong
     * - `message`: any other message from the server, parsed
     * - `error`: `{code, message, ref}`; a server `error` message, or `code` null for a client-side problem
     *
     * @param {string} event one of {@link EVENTS}
     * @param {(detail: object) => void} fn the listener
     * @returns {() => void} removes the listener
     */
    on(event, fn) {
        if (!EVENTS.includes(event)) {
            throw new TypeError(`unknown event "${event}"; one of ${EVENTS.join(', ')}`);
        }
        if (typeof fn !== 'function') {
            throw new TypeError('a listener must be a function');
        }
        const listener = (e) => fn(e.detail);
        this.#events.addEventListener(event, listener);
        return () => this.#events.removeEventListener(event, listener);
    }

    /**
     * Sends one message when a socket is open. Nothing is queued: a message sent while reconnecting would
     * reach a server that may no longer know the context it was written in.
     *
     * @param {{type: string}} message a JSON object with a string `type`, as the contract requires
     * @returns {boolean} whether it was handed to an open socket
     */
    send(message) {
        if (message === null || typeof message !== 'object' || Array.isArray(message)) {
            throw new TypeError('a message must be a JSON object');
        }
        if (typeof message.type !== 'string' || message.type === '') {
            throw new TypeError('a message needs a string "type"');
        }
        const socket = this.#socket;
        if (this.#stopped || !socket || socket.readyState !== WebSocket.OPEN) {
            return false;
        }
        socket.send(JSON.stringify(message));
        this.#lastSentAt = Date.now();
        return true;
    }

    /** Closes for good: no reconnect, no more events after the final `closed`. */
    close() {
        this.#stop(1000, 'closed by client');
    }

    #start() {
        // a throttled background tab runs timers late or not at all: check again as soon as it wakes up
        if (typeof document !== 'undefined') {
            document.addEventListener('visibilitychange', this.#onWake);
        }
        if (typeof window !== 'undefined') {
            window.addEventListener('focus', this.#onWake);
            window.addEventListener('online', this.#onOnline);
        }
        this.#checkTimer = setInterval(() => this.#tick(), CHECK_EVERY_MS);
        this.#open();
        return this;
    }

    #open() {
        this.#drop(1000, 'replaced'); // never two sockets: the old one is silenced before the new one exists
        this.#retryTimer = null;
        this.#welcome = null;
        this.#lastReceivedAt = this.#lastSentAt = Date.now(); // a handshake that hangs counts as silence too
        if (this.#state === 'closed') {
            // later attempts stay 'reconnecting', keeping why the last one ended; deferred so that listeners
            // added right after connect() see it
            this.#state = 'connecting';
            queueMicrotask(() => this.#state === 'connecting' && this.#setState('connecting', {}));
        }
        let socket;
        try {
            socket = new WebSocket(this.#url);
        } catch (e) {
            this.#lost(null, `cannot open: ${e.message}`);
            return;
        }
        socket.onopen = () => this.#opened();
        socket.onmessage = (e) => this.#received(e.data);
        socket.onerror = () => this.#emit('error', { code: null, message: 'WebSocket error', ref: null });
        socket.onclose = (e) => this.#lost(e.code, e.reason);
        this.#socket = socket;
    }

    /** Detaches the current socket's handlers, then closes it: whatever it still does is no longer news. */
    #drop(code, reason) {
        const socket = this.#socket;
        if (!socket) {
            return;
        }
        this.#socket = null;
        socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
        if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) {
            try {
                socket.close(code, reason);
            } catch {
                // already closing; nothing left to do
            }
        }
    }

    #opened() {
        this.#lastReceivedAt = Date.now();
        this.#setState('open', {});
    }

    #received(data) {
        this.#lastReceivedAt = Date.now(); // any frame proves the server alive, whatever it contains
        let message;
        try {
            message = JSON.parse(data);
        } catch {
            this.#emit('error', { code: null, message: 'the server sent something that is not JSON', ref: null });
            return;
        }
        if (message === null || typeof message !== 'object' || typeof message.type !== 'string') {
            this.#emit('error', { code: null, message: 'the server sent a message without a type', ref: null });
            return;
        }
        switch (message.type) {
            case 'welcome':
                this.#welcomed(message);
                break;
            case 'pong':
                this.#ponged(message);
                break;
            case 'error':
                this.#emit('error', { code: message.code ?? null, message: message.message ?? '', ref: message.ref ?? null });
                break;
            default:
                this.#emit('message', message);
        }
    }

    #welcomed(message) {
        try {
            this.#heartbeat = Pulse.#checkHeartbeat(message.heartbeat);
        } catch (e) {
            this.#emit('error', { code: null, message: `welcome: ${e.message}; keeping ${this.#heartbeat.interval}/${this.#heartbeat.timeout} ms`, ref: 'welcome' });
        }
        this.#attempt = 0; // only a welcome proves the server works; an open that closes at once must keep backing off
        this.#welcome = message;
        this.#emit('welcome', message);
        this.#ping(); // measure the round trip now rather than one interval from now
    }

    #ponged(message) {
        if (typeof message.t !== 'number') {
            this.#emit('message', message); // not an answer to one of our pings
            return;
        }
        const rtt = performance.now() - message.t;
        if (rtt >= 0) {
            this.#emit('rtt', { rtt, time: typeof message.time === 'number' ? message.time : null });
        }
    }

    #ping() {
        this.send({ type: 'ping', t: performance.now() });
    }

    #tick() {
        // half a tick of slack, or a timer that fires a hair early would stretch the period by a whole tick
        const due = this.#heartbeat.interval - CHECK_EVERY_MS / 2;
        if (this.#checkAlive() && this.#welcome && Date.now() - this.#lastSentAt >= due) {
            this.#ping();
        }
    }

    /** @returns {boolean} whether the current socket may still be alive */
    #checkAlive() {
        if (this.#stopped || !this.#socket) {
            return false;
        }
        const silentFor = Date.now() - this.#lastReceivedAt;
        const limit = this.#heartbeat.interval + this.#heartbeat.timeout;
        if (silentFor < 0) {
            this.#lastReceivedAt = Date.now(); // the wall clock went back: start counting again
        } else if (silentFor > limit) {
            this.#drop(1000, 'server silent');
            this.#lost(null, `nothing from the server for ${Math.round(silentFor)} ms (limit ${limit} ms)`);
            return false;
        }
        return true;
    }

    #online() {
        if (this.#retryTimer !== null && !this.#stopped) {
            clearTimeout(this.#retryTimer); // the network is back: waiting out the backoff would only delay
            this.#open();
        } else {
            this.#checkAlive();
        }
    }

    #lost(code, reason) {
        this.#socket = null;
        if (this.#stopped) {
            return;
        }
        if (FATAL_CLOSE_CODES.has(code)) {
            this.#stop(code, reason);
            return;
        }
        const delay = Math.max(backoffDelay(this.#attempt++), Pulse.#retryAfter(code, reason));
        this.#retryTimer = setTimeout(() => this.#open(), delay);
        this.#setState('reconnecting', { code, reason, delay });
    }

    #stop(code, reason) {
        if (this.#stopped) {
            return;
        }
        this.#stopped = true;
        clearTimeout(this.#retryTimer);
        clearInterval(this.#checkTimer);
        this.#retryTimer = this.#checkTimer = null;
        if (typeof document !== 'undefined') {
            document.removeEventListener('visibilitychange', this.#onWake);
        }
        if (typeof window !== 'undefined') {
            window.removeEventListener('focus', this.#onWake);
            window.removeEventListener('online', this.#onOnline);
        }
        this.#drop(1000, 'closed by client');
        this.#setState('closed', { code, reason });
    }

    #setState(state, { code = null, reason = '', delay = null }) {
        this.#state = state;
        this.#emit('state', { state, code, reason, delay });
    }

    #emit(type, detail) {
        this.#events.dispatchEvent(new CustomEvent(type, { detail }));
    }

    /** A 1012 (service restart) close says in its reason when the server expects clients back. */
    static #retryAfter(code, reason) {
        const match = code === 1012 && /^retry-after=(\d+)$/.exec(reason ?? '');
        return match ? Math.min(Number(match[1]), 5 * 60_000) : 0;
    }

    static #checkHeartbeat(heartbeat) {
        const { interval, timeout } = heartbeat ?? {};
        if (!(Number.isFinite(interval) && interval > 0 && Number.isFinite(timeout) && timeout > 0)) {
            throw new TypeError('heartbeat needs a positive interval and timeout in ms');
        }
        return Object.freeze({ interval, timeout });
    }
}
