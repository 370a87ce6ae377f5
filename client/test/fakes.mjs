/**
 * Test doubles for pulse.js in node: a clock whose timers run only when the test moves time, a WebSocket whose
 * "server" side the test drives, a fetch for the readiness check, and the page's window/document as plain
 * EventTargets.
 */

/** The client, as the package exports it. */
export async function loadPulse() {
    return import('../src/pulse.js');
}

/** Lets promise callbacks (a token function, a publish settling) run. */
export async function flush() {
    for (let i = 0; i < 10; i++) {
        await Promise.resolve();
    }
}

/** Wall-clock time and timers that move only when the test says so. */
export class FakeClock {
    now = 1_700_000_000_000;
    #timers = [];
    #nextId = 1;

    setTimeout = (fn, ms) => this.#add(fn, ms, false);
    setInterval = (fn, ms) => this.#add(fn, ms, true);
    clearTimeout = (id) => this.#remove(id);
    clearInterval = (id) => this.#remove(id);
    nowFn = () => this.now;

    #add(fn, ms, repeat) {
        const id = this.#nextId++;
        this.#timers.push({ id, fn, at: this.now + Math.max(0, ms ?? 0), ms: Math.max(1, ms ?? 0), repeat });
        return id;
    }

    #remove(id) {
        this.#timers = this.#timers.filter((t) => t.id !== id);
    }

    /** Runs every timer due by now + ms in time order, as a browser with a free main thread would. */
    async advance(ms) {
        const target = this.now + ms;
        for (;;) {
            const due = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
            if (!due) {
                break;
            }
            this.now = Math.max(this.now, due.at);
            if (due.repeat) {
                due.at += due.ms;
            } else {
                this.#remove(due.id);
            }
            due.fn();
            await flush();
        }
        this.now = target;
        await flush();
    }

    /** Moves the clock without running any timer: a sleeping laptop, a frozen page, a throttled background tab. */
    jump(ms) {
        this.now += ms;
    }

    /**
     * Runs each overdue timer once, as a browser does when it lets a throttled or frozen page run again: a
     * repeating timer fires once, not once per missed period.
     */
    async runOverdue() {
        const due = this.#timers.filter((t) => t.at <= this.now).sort((a, b) => a.at - b.at || a.id - b.id);
        for (const t of due) {
            if (!this.#timers.includes(t)) {
                continue;
            }
            if (t.repeat) {
                t.at = this.now + t.ms;
            } else {
                this.#remove(t.id);
            }
            t.fn();
            await flush();
        }
    }

    get pending() {
        return this.#timers.length;
    }
}

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

/** A WebSocket class of its own per test, recording every instance; the test plays the server with its methods. */
export function fakeWebSocketClass() {
    class FakeWebSocket {
        static instances = [];
        readyState = CONNECTING;
        sent = [];
        closedByClient = null;
        onopen = null;
        onmessage = null;
        onerror = null;
        onclose = null;

        constructor(url, protocols) {
            this.url = url;
            this.protocols = protocols;
            FakeWebSocket.instances.push(this);
        }

        send(text) {
            if (this.readyState !== OPEN) {
                throw new Error('InvalidStateError: not open');
            }
            this.sent.push(JSON.parse(text));
        }

        /** The client closes: over a dead link the close event may take a minute, so none is fired here. */
        close(code, reason) {
            if (this.readyState === CONNECTING || this.readyState === OPEN) {
                this.readyState = CLOSING;
                this.closedByClient = { code, reason };
            }
        }

        // ---- the server's side ----

        /** The handshake completes; with a heartbeat, the welcome follows. */
        accept(heartbeat = { interval: 1000, timeout: 2000 }, user = null) {
            if (this.readyState !== CONNECTING) {
                return false;
            }
            this.readyState = OPEN;
            this.onopen?.({});
            if (heartbeat) {
                this.deliver({ type: 'welcome', session: `s${FakeWebSocket.instances.indexOf(this)}`, user, heartbeat, time: 0 });
            }
            return true;
        }

        deliver(message) {
            if (this.readyState === OPEN) {
                this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
            }
        }

        /** The server (or the network) closes the socket: the close event fires. */
        serverClose(code = 1006, reason = '') {
            if (this.readyState === CLOSED) {
                return;
            }
            this.readyState = CLOSED;
            this.onclose?.({ code, reason, wasClean: code !== 1006 });
        }

        /** Answers every ping sent so far that has not been answered. */
        answerPings() {
            for (const m of this.sent) {
                if (m.type === 'ping' && !m.answered) {
                    m.answered = true;
                    this.deliver({ type: 'pong', t: m.t, time: 0 });
                }
            }
        }

        sentOf(type) {
            return this.sent.filter((m) => m.type === type);
        }

        static get last() {
            return FakeWebSocket.instances.at(-1);
        }

        /** Instances the client still holds open or opening: never more than one. */
        static get live() {
            return FakeWebSocket.instances.filter((ws) => ws.readyState === CONNECTING || ws.readyState === OPEN);
        }
    }
    return FakeWebSocket;
}

/** A seeded [0, 1) generator (mulberry32), so a failing random order can be replayed. */
export function seeded(seed) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/**
 * A fetch for the readiness check: `ready` says what the server answers (true: 200, false: nothing, it is down; a
 * number: that status), `retryAfter` the Retry-After header of a 503; `calls` counts the checks.
 */
export function fakeFetch() {
    const fetch = async (url, init) => {
        fetch.calls.push({ url, init });
        if (fetch.ready === false) {
            throw new TypeError('fetch failed: ECONNREFUSED');
        }
        const status = fetch.ready === true ? 200 : fetch.ready;
        const headers = new Map(fetch.retryAfter === undefined ? [] : [['retry-after', String(fetch.retryAfter)]]);
        return { ok: status >= 200 && status < 300, status, headers: { get: (name) => headers.get(name.toLowerCase()) ?? null } };
    };
    fetch.ready = true;
    fetch.retryAfter = undefined;
    fetch.calls = [];
    return fetch;
}

/** Everything a Pulse needs from the page, fake: clock, WebSocket, fetch, window and document. */
export function environment({ random = () => 0.5 } = {}) {
    const clock = new FakeClock();
    const WebSocket = fakeWebSocketClass();
    const fetch = fakeFetch();
    const window = new EventTarget();
    const document = new EventTarget();
    document.visibilityState = 'visible';
    const options = {
        now: clock.nowFn,
        setTimeout: clock.setTimeout,
        clearTimeout: clock.clearTimeout,
        setInterval: clock.setInterval,
        clearInterval: clock.clearInterval,
        random,
        WebSocket,
        fetch,
        window,
        document,
    };
    return { clock, WebSocket, fetch, window, document, options };
}

/** Collects a Pulse's events by name. */
export function record(pulse, names) {
    const seen = Object.fromEntries(names.map((n) => [n, []]));
    for (const n of names) {
        pulse.on(n, (detail) => seen[n].push(detail));
    }
    return seen;
}
