/**
 * Pulse browser client: one WebSocket to a Pulse server that notices a dead server by itself, comes back, and
 * resumes its topics where it left off, so that the application never tracks sequence numbers.
 *
 * Browsers cannot send or see WebSocket Ping frames, so this client sends the contract's app-level
 * `{"type":"ping"}` every heartbeat interval and judges the server dead when nothing at all has arrived for the
 * server's own interval + timeout. It judges by elapsed wall-clock time, never by counting timer callbacks: a
 * background tab's timers may run once a minute, and a page that was frozen or a laptop that slept runs its
 * overdue timers late. A timer that comes late therefore never condemns the socket by itself: it sends a probe
 * (a ping) at once and waits a short probe timeout for any answer.
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

/** The events a {@link Pulse} emits; `on` refuses any other name, so a typo fails loudly. */
export const EVENTS = Object.freeze(['state', 'welcome', 'subscribed', 'message', 'gap', 'join', 'leave', 'error', 'rtt']);

/** The defaults of every tuning option of {@link Pulse.connect}, in ms. */
export const DEFAULTS = Object.freeze({
    backoffBase: 500, // the first retry waits up to this; each failure in a row doubles the bound
    backoffCap: 15_000, // no retry waits longer, so a returning server is found within 15 s
    healthyAfter: 10_000, // a connection open this long resets the backoff; a server that drops us at once does not
    probeTimeout: 1_000, // after a late timer, a wake-up or an 'online': this long for any answer to a probe ping
    connectTimeout: 10_000, // a handshake + welcome that takes longer is abandoned and retried
    requestTimeout: 10_000, // publish() and presence() reject when no answer came within this
    heartbeat: Object.freeze({ interval: 25_000, timeout: 20_000 }), // the server's defaults, until its welcome tells
});

const SUBPROTOCOL = 'pulse.v1';
const TOPIC = /^[A-Za-z0-9:._@-]{1,200}$/;
const RETRY_AFTER_MAX_MS = 5 * 60_000; // a retry-after hint beyond this is taken as this
const LATE_SLACK_MS = 1_000; // a tick this much later than its period means the page was asleep, frozen or throttled
const OPEN = 1; // WebSocket.OPEN, spelled out so that an injected WebSocket needs no constants
const CONNECTING = 0;
const FATAL_CLOSE_CODES = new Set([4001, 4003]); // unauthenticated/forbidden: retrying with the same credentials cannot help

/** An answer the server or the client gave instead of a result: `code` is the server's error code or a client one. */
export class PulseError extends Error {
    /**
     * @param {string} code e.g. `forbidden` from the server, or `timeout`, `connection_lost`, `not_connected`, `closed`
     * @param {string} message human text
     * @param {string|null} [ref] the request's id the server named in its error
     */
    constructor(code, message, ref = null) {
        super(message);
        this.name = 'PulseError';
        this.code = code;
        this.ref = ref;
    }
}

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
 * The retry delay after `attempt` failures in a row: "full jitter", a uniform pick between 0 and the exponential
 * bound, so that clients dropped together by a restart do not all come back together.
 *
 * @param {number} attempt failures in a row, 0 for the first retry
 * @param {{base?: number, cap?: number, random?: () => number}} [options] bound of the first retry, largest
 *     bound, and a source of [0, 1) numbers (for tests)
 * @returns {number} ms to wait, in [0, min(cap, base * 2^attempt))
 */
export function backoffDelay(attempt, { base = DEFAULTS.backoffBase, cap = DEFAULTS.backoffCap, random = Math.random } = {}) {
    if (!Number.isInteger(attempt) || attempt < 0) {
        throw new TypeError(`attempt must be a non-negative integer, not ${attempt}`);
    }
    const bound = Math.min(cap, base * 2 ** Math.min(attempt, 30));
    return Math.floor(random() * bound);
}

/**
 * The ms a close asks the client to wait: a 1012 (service restart) close says in its reason when the server
 * expects clients back (`retry-after=<ms>`); 0 for any other close.
 *
 * @param {number|null} code the close code
 * @param {string} [reason] the close reason
 * @returns {number}
 */
export function retryAfter(code, reason) {
    const match = code === 1012 && /^retry-after=(\d+)$/.exec(reason ?? '');
    return match ? Math.min(Number(match[1]), RETRY_AFTER_MAX_MS) : 0;
}

/**
 * One logical connection to a Pulse server: at most one socket at a time, replaced when it dies, until
 * {@link Pulse#close}; the topics it subscribed to survive every replacement.
 */
export class Pulse {
    #url;
    #options;
    #clock;
    #WebSocket;
    #window;
    #document;
    #listeners = new Map();

    #socket = null; // the only socket whose events count; every other one has its handlers detached
    #generation = 0; // bumped by every attempt, so a token that arrives late cannot open a second socket
    #state = 'closed';
    #stopped = false;
    #offline = false;
    #hidden = false; // the page was hidden into the back/forward cache or is unloading: no socket until it is shown
    #attempt = 0; // failures in a row since the last healthy connection
    #heartbeat;
    #welcome = null;
    #welcomedAt = null;
    #lastReceivedAt = 0; // clock.now(): wall-clock time keeps counting while a background tab's timers sleep
    #lastPingAt = 0;
    #lastTickAt = 0;
    #tickEvery = 1_000;
    #probeAt = null; // when the probe in flight was sent; any frame after it clears it
    #lastLoss = { code: null, reason: '' };
    #notBefore = 0; // a 1012 retry-after: no attempt before this, whatever wakes us
    #retryAt = null;

    #tickTimer = null;
    #retryTimer = null;
    #connectTimer = null;
    #probeTimer = null;

    #tokenSource;
    #token = null;
    #tokenRefreshed = false; // the current token came from a refresh after 4001 and has not yet been welcomed

    #topics = new Map(); // topic -> {presence, seq, epoch, waiters}: what the application subscribed to
    #tracked = new Map(); // topic -> {seq, epoch}: broadcast and user: topics, which the server subscribes us to
    #requests = new Map(); // id -> {resolve, reject, timer, kind, topic}
    #nextId = 1;

    #onWake = () => this.#wake();
    #onVisibility = () => this.#document && this.#document.visibilityState !== 'hidden' && this.#wake();
    #onOnline = () => this.#online();
    #onOffline = () => this.#offlineNow();
    #onPageHide = () => this.#pageHidden();
    #onPageShow = () => this.#pageShown();

    /**
     * Connects to a Pulse server.
     *
     * @param {string|URL|object} [url] a `ws:` or `wss:` URL; defaults to {@link socketUrl} of this page. May be
     *     left out and the options given first.
     * @param {object} [options]
     * @param {string|(() => (string|null|Promise<string|null>))} [options.token] a token, or a function that
     *     fetches one (called before the first connection and once more after a 4001 close); sent as the
     *     subprotocol `bearer.<token>` next to `pulse.v1`
     * @param {{interval: number, timeout: number}} [options.heartbeat] what to assume until the server's welcome
     * @param {number} [options.backoffBase] see {@link DEFAULTS}
     * @param {number} [options.backoffCap] see {@link DEFAULTS}
     * @param {number} [options.healthyAfter] see {@link DEFAULTS}
     * @param {number} [options.probeTimeout] see {@link DEFAULTS}
     * @param {number} [options.connectTimeout] see {@link DEFAULTS}
     * @param {number} [options.requestTimeout] see {@link DEFAULTS}
     * @param {() => number} [options.now] wall-clock epoch ms (tests); `Date.now`
     * @param {() => number} [options.perfNow] monotonic ms for round trips (tests); `performance.now`
     * @param {Function} [options.setTimeout] timers (tests); the global ones
     * @param {Function} [options.clearTimeout]
     * @param {Function} [options.setInterval]
     * @param {Function} [options.clearInterval]
     * @param {() => number} [options.random] [0, 1) numbers for the jitter (tests); `Math.random`
     * @param {Function} [options.WebSocket] the WebSocket class (tests); the global one
     * @param {EventTarget|null} [options.window] where `online`, `offline`, `focus` and `pageshow` fire
     * @param {EventTarget|null} [options.document] where `visibilitychange`, `freeze` and `resume` fire
     * @returns {Pulse} already connecting; add listeners with {@link Pulse#on} in the same task to see every event
     */
    static connect(url, options) {
        if (url !== undefined && url !== null && typeof url === 'object' && !(url instanceof URL) && options === undefined) {
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
        if (options === null || typeof options !== 'object') {
            throw new TypeError('options must be an object');
        }
        const resolved = new URL(url === undefined || url === null ? socketUrl() : String(url));
        if (resolved.protocol !== 'ws:' && resolved.protocol !== 'wss:') {
            throw new TypeError(`a Pulse URL must be ws: or wss:, not ${resolved.protocol}`);
        }
        this.#url = resolved.href;
        const tuning = {};
        for (const key of ['backoffBase', 'backoffCap', 'healthyAfter', 'probeTimeout', 'connectTimeout', 'requestTimeout']) {
            const value = options[key] ?? DEFAULTS[key];
            if (!Number.isFinite(value) || value < 0) {
                throw new TypeError(`options.${key} must be a number of ms >= 0, not ${value}`);
            }
            tuning[key] = value;
        }
        this.#options = Object.freeze(tuning);
        this.#heartbeat = Pulse.#checkHeartbeat(options.heartbeat ?? DEFAULTS.heartbeat);
        if (options.token !== undefined && typeof options.token !== 'string' && typeof options.token !== 'function') {
            throw new TypeError('options.token must be a string or a function returning one');
        }
        this.#tokenSource = options.token;
        this.#token = typeof options.token === 'string' ? options.token : null;
        const fn = (name, fallback) => {
            const value = options[name] ?? fallback;
            if (typeof value !== 'function') {
                throw new TypeError(`options.${name} must be a function`);
            }
            return value;
        };
        this.#clock = Object.freeze({
            now: fn('now', () => Date.now()),
            perfNow: fn('perfNow', options.now ?? (() => globalThis.performance.now())),
            setTimeout: fn('setTimeout', (f, ms) => globalThis.setTimeout(f, ms)),
            clearTimeout: fn('clearTimeout', (t) => globalThis.clearTimeout(t)),
            setInterval: fn('setInterval', (f, ms) => globalThis.setInterval(f, ms)),
            clearInterval: fn('clearInterval', (t) => globalThis.clearInterval(t)),
            random: fn('random', Math.random),
        });
        this.#WebSocket = fn('WebSocket', globalThis.WebSocket);
        this.#window = 'window' in options ? options.window : globalThis.window ?? null;
        this.#document = 'document' in options ? options.document : globalThis.document ?? null;
    }

    /** @returns {string} the socket URL */
    get url() {
        return this.#url;
    }

    /** @returns {'connecting'|'open'|'reconnecting'|'offline'|'closed'} */
    get state() {
        return this.#state;
    }

    /** @returns {object|null} the current socket's welcome message, null until it arrives */
    get welcome() {
        return this.#welcome;
    }

    /** @returns {{interval: number, timeout: number}} the heartbeat in use (the last welcome's) */
    get heartbeat() {
        return this.#heartbeat;
    }

    /** @returns {string[]} the topics subscribed with {@link Pulse#subscribe} */
    get topics() {
        return [...this.#topics.keys()];
    }

    /**
     * Listens to an event; the listener gets the event's detail.
     * - `state`: `{state, code, reason, delay, retryAt, attempt}`. `state` is `connecting` (first attempt),
     *   `open` (welcomed), `reconnecting` (lost; waiting until `retryAt`, epoch ms, or attempting when it is
     *   null), `offline` (the browser says so: attempts paused until `online`) or `closed` (for good). `code` and
     *   `reason` tell why the last socket ended.
     * - `welcome`: the server's welcome `{session, user, heartbeat: {interval, timeout}, time}`
     * - `subscribed`: `{topic, epoch, seq, members?, resumed}` after each (re)subscription; `members` with presence
     * - `message`: `{topic, seq, epoch, time, data}`, each seq once and in order across reconnects
     * - `gap`: `{topic, from, to, reason}`: messages the server no longer has (`expired`) or a reset history
     *   (`reset`, `from`/`to` null: everything of the new epoch follows)
     * - `join` / `leave`: `{topic, user, time}` (+ `reason` on leave) for presence subscriptions
     * - `error`: `{code, message, ref}`; a server `error` message, or `code` null for a client-side problem
     * - `rtt`: `{rtt, time}`: round trip in ms of an app-level ping, and the server's epoch ms in its pong
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
        if (!this.#listeners.has(event)) {
            this.#listeners.set(event, new Set());
        }
        const wrapped = (detail) => fn(detail);
        this.#listeners.get(event).add(wrapped);
        return () => this.#listeners.get(event).delete(wrapped);
    }

    /**
     * Subscribes to a topic, now if connected and again after every reconnect, then with `since` and `epoch`
     * so that the server replays what was missed (or says with a `gap` what it cannot).
     *
     * @param {string} topic 1–200 characters of `[A-Za-z0-9:._@-]`
     * @param {{presence?: boolean}} [options] `presence`: also get the members and `join`/`leave` events
     * @returns {Promise<object>} the first `subscribed` answer; rejects with a {@link PulseError} when the server
     *     refuses (the topic is then forgotten) or when the client is closed first
     */
    subscribe(topic, options = {}) {
        Pulse.#checkTopic(topic);
        if (options === null || typeof options !== 'object') {
            throw new TypeError('subscribe options must be an object');
        }
        if (options.presence !== undefined && typeof options.presence !== 'boolean') {
            throw new TypeError('options.presence must be true or false');
        }
        if (this.#stopped) {
            return Promise.reject(new PulseError('closed', 'this Pulse is closed'));
        }
        let sub = this.#topics.get(topic);
        if (!sub) {
            const tracked = this.#tracked.get(topic); // e.g. an explicit subscribe to broadcast keeps its position
            sub = { presence: false, seq: tracked?.seq ?? 0, epoch: tracked?.epoch ?? null, waiters: [] };
            this.#topics.set(topic, sub);
            this.#tracked.delete(topic);
        }
        if (options.presence !== undefined) {
            sub.presence = options.presence;
        }
        const answer = new Promise((resolve, reject) => sub.waiters.push({ resolve, reject }));
        answer.catch(() => {}); // an application that does not wait for the answer must not see an unhandled rejection
        if (this.#welcome) {
            this.#sendSubscribe(topic, sub);
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
        Pulse.#checkTopic(topic);
        const sub = this.#topics.get(topic);
        if (!sub) {
            return false;
        }
        this.#topics.delete(topic);
        for (const waiter of sub.waiters) {
            waiter.reject(new PulseError('unsubscribed', `unsubscribed from ${topic} before the answer`));
        }
        this.send({ type: 'unsubscribe', topic });
        return true;
    }

    /**
     * Publishes a message to a topic through the socket.
     *
     * @param {string} topic
     * @param {*} data any JSON value
     * @returns {Promise<{topic: string, seq: number}>} settled by the server's `ack`; rejects with a
     *     {@link PulseError}: the server's `error` for it (e.g. `forbidden`), `not_connected` when no socket is
     *     open (nothing is queued), `timeout`, or `connection_lost`/`closed` when the socket ends before the ack
     *     (the message may or may not have been published)
     */
    publish(topic, data) {
        Pulse.#checkTopic(topic);
        if (data === undefined) {
            throw new TypeError('publish needs data (any JSON value)');
        }
        const id = `p${this.#nextId++}`;
        const body = JSON.stringify({ type: 'publish', topic, data, id });
        return this.#request(id, 'publish', topic, body);
    }

    /**
     * Asks who is subscribed to a topic.
     *
     * @param {string} topic
     * @returns {Promise<Array<{user: string, since: number, connections: number}>>} the members; rejects like
     *     {@link Pulse#publish}
     */
    presence(topic) {
        Pulse.#checkTopic(topic);
        const id = `q${this.#nextId++}`;
        return this.#request(id, 'presence', topic, JSON.stringify({ type: 'presence', topic, id }));
    }

    /**
     * Sends one message when a socket is open and welcomed. Nothing is queued: a message sent while
     * reconnecting would reach a server that may no longer know the context it was written in.
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
        return this.#sendText(JSON.stringify(message));
    }

    /** Closes for good: no reconnect, pending requests rejected, no more events after the final `closed`. */
    close() {
        this.#stop(1000, 'closed by client');
    }

    // ---- lifecycle -------------------------------------------------------------------------------------------

    #start() {
        this.#document?.addEventListener('visibilitychange', this.#onVisibility);
        this.#document?.addEventListener('resume', this.#onWake); // Page Lifecycle: a frozen page runs again
        this.#window?.addEventListener('focus', this.#onWake);
        this.#window?.addEventListener('pagehide', this.#onPageHide); // unloading, or into the back/forward cache
        this.#window?.addEventListener('pageshow', this.#onPageShow); // back from the back/forward cache
        this.#window?.addEventListener('online', this.#onOnline);
        this.#window?.addEventListener('offline', this.#onOffline);
        this.#offline = globalThis.navigator?.onLine === false && this.#window !== null;
        this.#restartTicks();
        this.#state = 'connecting';
        // deferred, so that listeners added right after connect() see the first state
        queueMicrotask(() => this.#state === 'connecting' && this.#emitState('connecting'));
        this.#connect();
        return this;
    }

    /** One attempt: fetch a token when needed, then replace whatever socket there was by a new one. */
    #connect() {
        if (this.#stopped || this.#hidden) {
            return;
        }
        this.#clearRetry();
        const generation = ++this.#generation;
        if (typeof this.#tokenSource === 'function' && this.#token === null) {
            this.#drop('replaced');
            let pending;
            try {
                pending = Promise.resolve(this.#tokenSource());
            } catch (e) {
                pending = Promise.reject(e);
            }
            pending.then((token) => {
                if (generation !== this.#generation || this.#stopped) {
                    return; // another attempt or close() came first
                }
                if (typeof token !== 'string' || token === '') {
                    this.#stop(4001, 'no token');
                    return;
                }
                this.#token = token;
                this.#openSocket();
            }, (e) => {
                if (generation === this.#generation && !this.#stopped) {
                    this.#lost(null, `token: ${e?.message ?? e}`); // the app's backend failing is worth a retry
                }
            });
            return;
        }
        this.#openSocket();
    }

    #openSocket() {
        this.#drop('replaced'); // never two sockets: the old one is silenced before the new one exists
        this.#welcome = null;
        this.#probeAt = null;
        this.#lastReceivedAt = this.#clock.now();
        const protocols = this.#token === null ? [SUBPROTOCOL] : [SUBPROTOCOL, `bearer.${this.#token}`];
        let socket;
        try {
            socket = new this.#WebSocket(this.#url, protocols);
        } catch (e) {
            this.#lost(null, `cannot open: ${e.message}`);
            return;
        }
        this.#socket = socket;
        socket.onmessage = (e) => socket === this.#socket && this.#received(e.data);
        socket.onerror = () => socket === this.#socket && this.#emit('error', { code: null, message: 'WebSocket error', ref: null });
        socket.onclose = (e) => socket === this.#socket && this.#lost(e.code, e.reason);
        // a handshake that hangs (a dead link accepts nothing) is abandoned; a pending one is cheap to keep a while,
        // and completes at once when the link comes back
        this.#connectTimer = this.#clock.setTimeout(() => {
            if (socket === this.#socket && this.#welcome === null) {
                this.#drop('connect timeout');
                this.#lost(null, `no welcome within ${this.#options.connectTimeout} ms`);
            }
        }, this.#options.connectTimeout);
        if (this.#state !== 'connecting') {
            this.#emitState('reconnecting', { ...this.#lastLoss, attempt: this.#attempt });
        }
    }

    /** Detaches the current socket's handlers, then closes it: whatever it still does is no longer news. */
    #drop(reason) {
        this.#clock.clearTimeout(this.#connectTimer);
        this.#clock.clearTimeout(this.#probeTimer);
        this.#connectTimer = this.#probeTimer = null;
        const socket = this.#socket;
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

    /** The socket ended (closed, failed, or judged dead): fail what waited on it, then plan the next attempt. */
    #lost(code, reason) {
        this.#drop('lost');
        const now = this.#clock.now();
        this.#welcome = null;
        this.#failRequests('connection_lost', `connection lost before the answer${reason ? ` (${reason})` : ''}`);
        if (this.#stopped) {
            return;
        }
        if (FATAL_CLOSE_CODES.has(code)) {
            if (code === 4001 && typeof this.#tokenSource === 'function' && !this.#tokenRefreshed) {
                this.#tokenRefreshed = true; // one fresh token; if that one is refused too, stop
                this.#token = null;
                this.#lastLoss = { code, reason };
                this.#emitState('reconnecting', { code, reason, attempt: this.#attempt });
                this.#connect();
                return;
            }
            this.#stop(code, reason);
            return;
        }
        if (this.#welcomedAt !== null && now - this.#welcomedAt >= this.#options.healthyAfter) {
            this.#attempt = 0; // it stayed healthy: this is a new trouble, not the next failure of an old one
        }
        this.#welcomedAt = null;
        const { backoffBase: base, backoffCap: cap } = this.#options;
        let delay = backoffDelay(this.#attempt, { base, cap, random: this.#clock.random });
        this.#attempt = Math.min(this.#attempt + 1, 30);
        const hint = retryAfter(code, reason);
        if (hint > 0) {
            delay = Math.max(delay, hint);
            this.#notBefore = now + hint;
        }
        this.#lastLoss = { code, reason };
        if (this.#hidden) {
            return; // nobody is looking; pageshow connects again
        }
        if (this.#offline) {
            this.#emitState('offline', { code, reason, attempt: this.#attempt });
            return;
        }
        this.#scheduleRetry(delay);
    }

    #scheduleRetry(delay) {
        this.#clearRetry();
        this.#retryAt = this.#clock.now() + delay;
        this.#retryTimer = this.#clock.setTimeout(() => {
            this.#retryTimer = null;
            this.#connect();
        }, delay);
        this.#emitState('reconnecting', { ...this.#lastLoss, delay, retryAt: this.#retryAt, attempt: this.#attempt });
    }

    #clearRetry() {
        this.#clock.clearTimeout(this.#retryTimer);
        this.#retryTimer = null;
        this.#retryAt = null;
    }

    #stop(code, reason) {
        if (this.#stopped) {
            return;
        }
        this.#stopped = true;
        this.#generation++;
        this.#clearRetry();
        this.#clock.clearInterval(this.#tickTimer);
        this.#tickTimer = null;
        this.#document?.removeEventListener('visibilitychange', this.#onVisibility);
        this.#document?.removeEventListener('resume', this.#onWake);
        this.#window?.removeEventListener('focus', this.#onWake);
        this.#window?.removeEventListener('pagehide', this.#onPageHide);
        this.#window?.removeEventListener('pageshow', this.#onPageShow);
        this.#window?.removeEventListener('online', this.#onOnline);
        this.#window?.removeEventListener('offline', this.#onOffline);
        this.#drop('closed by client');
        this.#welcome = null;
        this.#failRequests('closed', 'the client was closed');
        for (const sub of this.#topics.values()) {
            sub.waiters.splice(0).forEach((w) => w.reject(new PulseError('closed', 'the client was closed')));
        }
        this.#emitState('closed', { code, reason });
    }

    // ---- receiving -------------------------------------------------------------------------------------------

    #received(data) {
        this.#lastReceivedAt = this.#clock.now(); // any frame proves the server alive, whatever it contains
        this.#probeAt = null;
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
            case 'welcome': return this.#welcomed(message);
            case 'pong': return this.#ponged(message);
            case 'subscribed': return this.#subscribed(message);
            case 'message': return this.#message(message);
            case 'gap': return this.#gap(message);
            case 'join':
            case 'leave':
                return this.#topics.has(message.topic) && this.#emit(message.type, Pulse.#without(message, 'type'));
            case 'ack': return this.#answered(message.id, { topic: message.topic, seq: message.seq });
            case 'presence': return this.#presenceAnswer(message);
            case 'error': return this.#serverError(message);
            default: return undefined; // unsubscribed, and whatever a newer server adds
        }
    }

    #welcomed(message) {
        try {
            this.#heartbeat = Pulse.#checkHeartbeat(message.heartbeat);
        } catch (e) {
            this.#emit('error', { code: null, message: `welcome: ${e.message}; keeping ${this.#heartbeat.interval}/${this.#heartbeat.timeout} ms`, ref: 'welcome' });
        }
        this.#clock.clearTimeout(this.#connectTimer);
        this.#connectTimer = null;
        this.#welcome = message;
        this.#welcomedAt = this.#clock.now();
        this.#tokenRefreshed = false;
        this.#lastLoss = { code: null, reason: '' };
        for (const topic of this.#tracked.keys()) {
            if (topic.startsWith('user:') && topic !== `user:${message.user}`) {
                this.#tracked.delete(topic); // another identity: that user's messages are not ours to resume
            }
        }
        this.#restartTicks();
        this.#emitState('open', { attempt: this.#attempt });
        this.#emit('welcome', message);
        for (const [topic, sub] of this.#topics) {
            this.#sendSubscribe(topic, sub);
        }
        for (const [topic, position] of this.#tracked) {
            // the server subscribed this session to them quietly; asking again with since replays what we missed
            if (topic === 'broadcast' || topic === `user:${message.user}`) {
                this.#sendText(JSON.stringify({ type: 'subscribe', topic, since: position.seq, epoch: position.epoch }));
            }
        }
        this.#ping(); // measure the round trip now rather than one interval from now
    }

    #sendSubscribe(topic, sub) {
        const message = { type: 'subscribe', topic, id: `s:${topic}` };
        if (sub.epoch !== null) {
            message.since = sub.seq;
            message.epoch = sub.epoch;
        }
        if (sub.presence) {
            message.presence = true;
        }
        this.#sendText(JSON.stringify(message));
    }

    #subscribed(message) {
        const sub = this.#topics.get(message.topic) ?? this.#tracked.get(message.topic);
        if (!sub || typeof message.epoch !== 'string') {
            return; // unsubscribed meanwhile
        }
        const resumed = sub.epoch !== null;
        if (sub.epoch === null) {
            sub.seq = Number.isInteger(message.seq) ? message.seq : 0; // older messages are history, not news
            sub.epoch = message.epoch;
        } else if (sub.epoch !== message.epoch) {
            sub.epoch = message.epoch; // history was reset: a gap "reset" and the new epoch's messages follow
            sub.seq = 0;
        }
        if (!this.#topics.has(message.topic)) {
            return;
        }
        for (const waiter of sub.waiters.splice(0)) {
            waiter.resolve(message);
        }
        this.#emit('subscribed', { ...Pulse.#without(message, 'type'), resumed });
    }

    #message(message) {
        const { topic, seq, epoch } = message;
        if (typeof topic !== 'string' || !Number.isInteger(seq)) {
            return;
        }
        let sub = this.#topics.get(topic) ?? this.#tracked.get(topic);
        if (!sub) {
            if (topic !== 'broadcast' && !topic.startsWith('user:')) {
                return; // a message of a topic we just unsubscribed from, still in flight
            }
            sub = { seq: 0, epoch: null };
            this.#tracked.set(topic, sub);
        }
        if (sub.epoch === epoch && seq <= sub.seq) {
            return; // a duplicate: a replay overlapping what we already had
        }
        sub.epoch = epoch;
        sub.seq = seq;
        this.#emit('message', Pulse.#without(message, 'type'));
    }

    #gap(message) {
        const sub = this.#topics.get(message.topic) ?? this.#tracked.get(message.topic);
        if (!sub) {
            return;
        }
        if (message.reason === 'reset' || message.from === null) {
            sub.seq = 0; // everything of the current epoch is replayed next
        } else if (Number.isInteger(message.to)) {
            sub.seq = Math.max(sub.seq, message.to);
        }
        this.#emit('gap', Pulse.#without(message, 'type'));
    }

    #ponged(message) {
        if (typeof message.t !== 'number') {
            return; // not an answer to one of our pings
        }
        const rtt = this.#clock.perfNow() - message.t;
        if (rtt >= 0) {
            this.#emit('rtt', { rtt, time: typeof message.time === 'number' ? message.time : null });
        }
    }

    #serverError(message) {
        const error = { code: message.code ?? null, message: message.message ?? '', ref: message.ref ?? null };
        if (typeof error.ref === 'string') {
            if (this.#requests.has(error.ref)) {
                this.#answered(error.ref, null, new PulseError(error.code, error.message, error.ref));
            } else if (error.ref.startsWith('s:')) {
                const topic = error.ref.slice(2);
                const sub = this.#topics.get(topic);
                if (sub && error.code !== 'rate_limited') {
                    this.#topics.delete(topic); // refused: resubscribing after every reconnect would be refused too
                    sub.waiters.splice(0).forEach((w) => w.reject(new PulseError(error.code, error.message, error.ref)));
                }
            }
        }
        this.#emit('error', error);
    }

    // ---- requests --------------------------------------------------------------------------------------------

    #request(id, kind, topic, body) {
        if (this.#stopped) {
            return Promise.reject(new PulseError('closed', 'this Pulse is closed'));
        }
        return new Promise((resolve, reject) => {
            if (!this.#sendText(body)) {
                reject(new PulseError('not_connected', `not connected (${this.#state}); nothing was sent`));
                return;
            }
            const timer = this.#clock.setTimeout(() => {
                this.#answered(id, null, new PulseError('timeout', `no answer within ${this.#options.requestTimeout} ms`, id));
            }, this.#options.requestTimeout);
            this.#requests.set(id, { resolve, reject, timer, kind, topic });
        });
    }

    #answered(id, value, error = null) {
        const request = this.#requests.get(id);
        if (!request) {
            return;
        }
        this.#requests.delete(id);
        this.#clock.clearTimeout(request.timer);
        if (error) {
            request.reject(error);
        } else {
            request.resolve(value);
        }
    }

    /** Presence answers carry no id: they answer the oldest question about that topic. */
    #presenceAnswer(message) {
        for (const [id, request] of this.#requests) {
            if (request.kind === 'presence' && request.topic === message.topic) {
                this.#answered(id, Array.isArray(message.members) ? message.members : []);
                return;
            }
        }
    }

    #failRequests(code, text) {
        for (const id of [...this.#requests.keys()]) {
            this.#answered(id, null, new PulseError(code, text, id));
        }
    }

    // ---- liveness --------------------------------------------------------------------------------------------

    #restartTicks() {
        const { interval, timeout } = this.#heartbeat;
        this.#tickEvery = Math.max(100, Math.min(1_000, Math.floor(Math.min(interval, timeout) / 4)));
        this.#clock.clearInterval(this.#tickTimer);
        this.#lastTickAt = this.#clock.now();
        this.#tickTimer = this.#clock.setInterval(() => this.#tick(), this.#tickEvery);
    }

    /** Runs every tick (or whenever the browser lets it): health reset, pings, and the dead-server verdict. */
    #tick() {
        const now = this.#clock.now();
        const late = now - this.#lastTickAt > this.#tickEvery + LATE_SLACK_MS; // we were asleep, frozen or throttled
        this.#lastTickAt = now;
        if (this.#stopped || !this.#socket || this.#welcome === null) {
            if (late && this.#retryTimer !== null && now >= this.#retryAt) {
                this.#connect(); // a throttled retry timer: it is due, do not wait for the browser to get round to it
            }
            return;
        }
        if (this.#attempt > 0 && now - this.#welcomedAt >= this.#options.healthyAfter) {
            this.#attempt = 0;
        }
        const limit = this.#heartbeat.interval + this.#heartbeat.timeout;
        const silent = now - this.#lastReceivedAt;
        if (silent < 0) {
            this.#lastReceivedAt = now; // the wall clock went back: start counting again
        } else if (late) {
            // frames that arrived while we slept may still be queued behind this timer: ask, do not condemn
            this.#probe();
            return;
        } else if (silent > limit && this.#probeAt === null) {
            this.#dead(`nothing from the server for ${silent} ms (limit ${limit} ms)`);
            return;
        }
        if (now - this.#lastPingAt >= this.#heartbeat.interval - this.#tickEvery / 2) {
            this.#ping();
        }
    }

    /** Sends a ping now and judges the socket dead if nothing at all arrives within the probe timeout. */
    #probe() {
        if (this.#stopped) {
            return;
        }
        if (!this.#socket || this.#welcome === null || this.#socket.readyState !== OPEN) {
            if (this.#socket === null && this.#retryTimer !== null && !this.#offline && this.#clock.now() >= this.#notBefore) {
                this.#connect(); // waiting out a backoff after a wake-up only delays: try now
            }
            return;
        }
        if (this.#probeAt !== null) {
            return; // one probe at a time
        }
        const sentAt = this.#clock.now();
        this.#ping();
        this.#probeAt = sentAt;
        const socket = this.#socket;
        const verdict = () => {
            if (socket !== this.#socket || this.#probeAt !== sentAt) {
                return; // answered, or another socket by now
            }
            const waited = this.#clock.now() - sentAt;
            if (waited < this.#options.probeTimeout) {
                this.#probeTimer = this.#clock.setTimeout(verdict, this.#options.probeTimeout - waited);
                return;
            }
            this.#dead(`no answer to a probe within ${this.#options.probeTimeout} ms`);
        };
        this.#clock.clearTimeout(this.#probeTimer);
        this.#probeTimer = this.#clock.setTimeout(verdict, this.#options.probeTimeout);
    }

    #dead(reason) {
        this.#drop('server silent');
        this.#lost(null, reason);
    }

    #ping() {
        if (this.#sendText(JSON.stringify({ type: 'ping', t: this.#clock.perfNow() }))) {
            this.#lastPingAt = this.#clock.now();
        }
    }

    #sendText(text) {
        const socket = this.#socket;
        if (this.#stopped || !socket || this.#welcome === null || socket.readyState !== OPEN) {
            return false;
        }
        try {
            socket.send(text);
        } catch (e) {
            this.#emit('error', { code: null, message: `send failed: ${e.message}`, ref: null });
            return false;
        }
        return true;
    }

    // ---- what the page tells us ----------------------------------------------------------------------------------

    /** Visible again, resumed from a freeze, focused: probe at once. */
    #wake() {
        this.#probe();
    }

    /**
     * The page is unloading or going into the back/forward cache, where a socket would keep its user "present" in
     * every room while nobody looks (Chromium keeps a cached page's socket answering Pings): close it now.
     */
    #pageHidden() {
        if (this.#stopped || this.#hidden) {
            return;
        }
        this.#hidden = true;
        this.#generation++; // a token on its way must not open a socket either
        this.#clearRetry();
        const hadSocket = this.#socket !== null;
        this.#drop('page hidden');
        if (hadSocket) {
            this.#lost(1000, 'page hidden');
        }
        this.#emitState('reconnecting', { code: 1000, reason: 'page hidden' });
    }

    /** Shown again: from the back/forward cache, connect at once and resume; otherwise (first show) probe. */
    #pageShown() {
        if (this.#stopped) {
            return;
        }
        if (this.#hidden) {
            this.#hidden = false;
            this.#connect();
        } else {
            this.#probe();
        }
    }

    #online() {
        if (this.#stopped) {
            return;
        }
        const wasOffline = this.#offline;
        this.#offline = false;
        if (this.#socket) {
            this.#probe(); // the network changed under an open socket: it may be a dead one now
            return;
        }
        const now = this.#clock.now();
        if (now < this.#notBefore) {
            this.#scheduleRetry(this.#notBefore - now); // the server asked for time to restart: grant it
        } else if (wasOffline || this.#retryTimer !== null) {
            this.#connect(); // the network is back: waiting out the backoff would only delay
        }
    }

    #offlineNow() {
        if (this.#stopped) {
            return;
        }
        this.#offline = true;
        if (this.#socket && this.#welcome !== null) {
            this.#probe(); // the browser may be wrong (a VPN, a second interface): believe the socket, not the event
            return;
        }
        if (this.#retryTimer !== null) {
            this.#clearRetry();
            this.#emitState('offline', { ...this.#lastLoss, attempt: this.#attempt });
        }
        // an attempt in progress may finish; if it fails, #lost sees #offline and pauses
    }

    // ---- events ----------------------------------------------------------------------------------------------

    #emitState(state, { code = null, reason = '', delay = null, retryAt = null, attempt = this.#attempt } = {}) {
        this.#state = state;
        this.#emit('state', { state, code, reason, delay, retryAt, attempt });
    }

    #emit(type, detail) {
        const listeners = this.#listeners.get(type);
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

    static #without(message, key) {
        const copy = { ...message };
        delete copy[key];
        return copy;
    }

    static #checkTopic(topic) {
        if (typeof topic !== 'string' || !TOPIC.test(topic)) {
            throw new TypeError(`a topic is 1-200 characters of [A-Za-z0-9:._@-], not ${JSON.stringify(topic)}`);
        }
    }

    static #checkHeartbeat(heartbeat) {
        const { interval, timeout } = heartbeat ?? {};
        if (!(Number.isFinite(interval) && interval > 0 && Number.isFinite(timeout) && timeout > 0)) {
            throw new TypeError('heartbeat needs a positive interval and timeout in ms');
        }
        return Object.freeze({ interval, timeout });
    }
}
