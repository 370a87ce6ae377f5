/**
 * Test doubles for pulse.js in node: a clock whose timers run only when the test moves time, a WebSocket whose
 * "server" side the test drives, a fetch for the readiness check, and the page's window/document as plain
 * EventTargets.
 */

import assert from 'node:assert/strict';

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

/**
 * What a BroadcastChannel and a MessagePort of a page do with a message that reaches them: a frozen one keeps it
 * until thawed, as a frozen page does; a closed one drops it.
 */
class Mailbox {
    onmessage = null;
    closed = false;
    frozen = false;
    inbox = [];

    arrive(data) {
        if (this.closed) {
            return;
        }
        if (this.frozen) {
            this.inbox.push(data);
            return;
        }
        this.onmessage?.({ data });
    }

    thaw() {
        this.frozen = false;
        for (const data of this.inbox.splice(0)) {
            if (!this.closed) {
                this.onmessage?.({ data });
            }
        }
    }

    close() {
        this.closed = true;
    }
}

/**
 * A BroadcastChannel class of its own per test: a message reaches every other open channel of the same name, in the
 * order its sender posted, after the current microtasks (as a task would); a frozen channel keeps what arrives
 * until it is thawed, as a frozen page does.
 */
export function fakeBroadcastChannelClass() {
    class FakeBroadcastChannel extends Mailbox {
        static instances = [];
        static log = []; // every message posted, in order

        constructor(name) {
            super();
            this.name = name;
            FakeBroadcastChannel.instances.push(this);
        }

        postMessage(message) {
            if (this.closed) {
                throw new Error('InvalidStateError: closed');
            }
            const copy = structuredClone(message);
            FakeBroadcastChannel.log.push(copy);
            for (const other of FakeBroadcastChannel.instances) {
                if (other !== this && !other.closed && other.name === this.name) {
                    queueMicrotask(() => other.arrive(structuredClone(copy)));
                }
            }
        }
    }
    return FakeBroadcastChannel;
}

/**
 * The Web Locks API as one browser has it, shared by the tabs of a test: `forTab(name)` is one tab's
 * `navigator.locks`; `closeTab(name)` releases what it held and drops what it queued, as closing a tab does.
 * Supports `ifAvailable`, `steal` (the holder's request rejects with an AbortError) and `signal`.
 */
export function fakeLocks() {
    const held = new Map(); // lock name → request
    const queues = new Map(); // lock name → requests waiting
    const abortError = () => Object.assign(new Error('AbortError'), { name: 'AbortError' });

    function grant(request) {
        held.set(request.name, request);
        Promise.resolve().then(() => request.callback({ name: request.name, mode: 'exclusive' })).then((value) => {
            release(request);
            request.resolve(value);
        }, (error) => {
            release(request);
            request.reject(error);
        });
    }

    function release(request) {
        if (held.get(request.name) !== request) {
            return;
        }
        held.delete(request.name);
        const next = queues.get(request.name)?.shift();
        if (next) {
            grant(next);
        }
    }

    function request(tab, name, options, callback) {
        if (typeof options === 'function') {
            callback = options;
            options = {};
        }
        return new Promise((resolve, reject) => {
            const req = { tab, name, callback, resolve, reject };
            const queue = queues.get(name) ?? [];
            queues.set(name, queue);
            if (options.steal) {
                const holder = held.get(name);
                if (holder) {
                    held.delete(name);
                    holder.reject(abortError());
                }
                grant(req);
            } else if (!held.has(name) && queue.length === 0) {
                grant(req);
            } else if (options.ifAvailable) {
                Promise.resolve().then(() => callback(null)).then(resolve, reject);
            } else {
                queue.push(req);
                options.signal?.addEventListener('abort', () => {
                    const i = queue.indexOf(req);
                    if (i >= 0) {
                        queue.splice(i, 1);
                        reject(abortError());
                    }
                });
            }
        });
    }

    return {
        forTab: (tab) => ({
            request: (name, options, callback) => request(tab, name, options, callback),
            query: async () => ({ held: [...held.values()].map((r) => ({ name: r.name, clientId: r.tab, mode: 'exclusive' })),
                pending: [...queues.values()].flat().map((r) => ({ name: r.name, clientId: r.tab, mode: 'exclusive' })) }),
        }),
        closeTab(tab) {
            for (const [name, queue] of queues) {
                queues.set(name, queue.filter((r) => r.tab !== tab));
            }
            for (const r of [...held.values()]) {
                if (r.tab === tab) {
                    release(r);
                }
            }
        },
        holder: (name) => held.get(name)?.tab ?? null,
    };
}

/**
 * One end of a MessagePort pair: a message reaches the other end after the current microtasks, in order; a frozen
 * end keeps what arrives until thawed, a closed one drops it (a MessagePort has no close event: the other end is not
 * told).
 */
class FakePort extends Mailbox {
    other = null;

    static pair() {
        const a = new FakePort();
        const b = new FakePort();
        a.other = b;
        b.other = a;
        return [a, b];
    }

    postMessage(message) {
        if (this.closed) {
            return;
        }
        const copy = structuredClone(message);
        const other = this.other;
        queueMicrotask(() => other.arrive(copy));
    }

    start() {}
}

/**
 * A SharedWorker class of its own per test: the first `new` of a (url, name) starts the worker with `start(url,
 * options)`, which returns something with `connect(port)` (the worker's `connect` event); every `new` connects a
 * fresh port pair to it. `workers` maps `url name` to what `start` returned.
 */
export function fakeSharedWorkerClass(start) {
    class FakeSharedWorker {
        static instances = [];
        static workers = new Map();
        onerror = null;

        constructor(url, options = {}) {
            const key = `${url} ${options.name ?? ''}`;
            let worker = FakeSharedWorker.workers.get(key);
            if (!worker) {
                worker = start(String(url), options);
                FakeSharedWorker.workers.set(key, worker);
            }
            const [mine, theirs] = FakePort.pair();
            this.url = String(url);
            this.options = options;
            this.port = mine;
            (worker.ports ??= []).push(theirs);
            FakeSharedWorker.instances.push(this);
            queueMicrotask(() => worker.connect(theirs));
        }

        /** Every worker dies (a crash): its ports go dead, and `died(worker)` lets the test take away the rest. */
        static kill(died) {
            for (const worker of FakeSharedWorker.workers.values()) {
                worker.ports?.forEach((port) => port.close());
                died(worker);
            }
            FakeSharedWorker.workers.clear();
        }
    }
    return FakeSharedWorker;
}

/**
 * Tabs of one browser for the `share` option: one clock, one WebSocket class (so a test sees every socket), one
 * BroadcastChannel class and one lock manager; each tab has its own window and document, and can be frozen (its
 * timers and channel wait; a repeating timer fires once when thawed) or closed. With `worker` ({Pulse, WorkerHost}),
 * the browser has SharedWorker too: the worker runs a WorkerHost on the same clock (never frozen), with the lock
 * manager as the worker's own; each tab's port counts among its channels (frozen and closed with it).
 */
export function browser({ worker = null } = {}) {
    const env = environment();
    const BroadcastChannel = fakeBroadcastChannelClass();
    const locks = fakeLocks();
    const tabs = [];
    let started = 0;
    const SharedWorker = worker && fakeSharedWorkerClass((url, options) => {
        const id = `worker${++started}`;
        const state = { dead: false };
        const alive = (set) => (fn, ms) => set(() => state.dead || fn(), ms);
        const clock = { now: env.clock.nowFn, setTimeout: alive(env.clock.setTimeout), clearTimeout: env.clock.clearTimeout,
            setInterval: alive(env.clock.setInterval), clearInterval: env.clock.clearInterval };
        const host = new worker.WorkerHost({
            name: options.name,
            locks: locks.forTab(id),
            clock,
            makeCore: (coreUrl, coreOptions, tap) => worker.Pulse.core(coreUrl,
                { ...coreOptions, ...env.options, ...clock, window: null, document: null }, tap),
        });
        /** The worker's process is gone: its timers stop, its locks go, its socket is closed by the browser. */
        host.die = () => {
            state.dead = true;
            locks.closeTab(id);
        };
        return host;
    });
    const open = (Pulse, name = `tab${tabs.length + 1}`, extra = {}) => {
        const tab = { name, frozen: false, deferred: new Map(), channels: [] };
        const wrap = (set) => (fn, ms) => {
            const id = set(() => {
                if (tab.frozen) {
                    tab.deferred.set(id, fn);
                } else {
                    fn();
                }
            }, ms);
            return id;
        };
        const clear = (id) => {
            tab.deferred.delete(id);
            env.clock.clearTimeout(id);
        };
        const window = new EventTarget();
        const document = new EventTarget();
        document.visibilityState = 'visible';
        class TabChannel extends BroadcastChannel {
            constructor(channelName) {
                super(channelName);
                tab.channels.push(this);
                this.frozen = tab.frozen;
            }
        }
        const TabSharedWorker = SharedWorker && class extends SharedWorker {
            constructor(url, options) {
                super(url, options);
                tab.channels.push(this.port);
                this.port.frozen = tab.frozen;
            }
        };
        tab.pulse = Pulse.connect('ws://h/ws', { ...env.options, share: true, BroadcastChannel: TabChannel,
            SharedWorker: TabSharedWorker ?? undefined, locks: locks.forTab(name), window, document,
            setTimeout: wrap(env.clock.setTimeout), setInterval: wrap(env.clock.setInterval), clearTimeout: clear,
            clearInterval: clear, ...extra });
        tab.seen = record(tab.pulse, ['state', 'message', 'gap', 'subscribed', 'join', 'leave', 'error', 'welcome']);
        tab.window = window;
        tab.leading = () => locks.holder('pulse:ws://h/ws') === name;
        tab.freeze = () => {
            tab.frozen = true;
            tab.channels.forEach((c) => {
                c.frozen = true;
            });
        };
        tab.thaw = async () => {
            tab.frozen = false;
            for (const [id, fn] of [...tab.deferred]) {
                tab.deferred.delete(id);
                fn();
                await settle();
            }
            tab.channels.forEach((c) => c.thaw());
            await settle();
        };
        /** The tab closes: pagehide, then the browser drops its locks and channels. */
        tab.close = async () => {
            window.dispatchEvent(new Event('pagehide'));
            await settle();
            locks.closeTab(name);
            tab.channels.forEach((c) => c.close());
            await settle();
        };
        /** The tab crashes or is killed: no pagehide, its locks go. */
        tab.kill = async () => {
            tab.channels.forEach((c) => c.close());
            locks.closeTab(name);
            tab.frozen = true;
            await settle();
        };
        tabs.push(tab);
        return tab;
    };
    return { env, locks, tabs, open, BroadcastChannel, SharedWorker };
}

/** Lets the channel and lock hops between tabs run (many rounds of microtasks). */
export async function settle() {
    for (let i = 0; i < 20; i++) {
        await flush();
    }
}

/**
 * The server's side, as far as these tests need it: topics with a log per epoch, subscribe (with since: replay),
 * unsubscribe, publish (ack to the publisher, the message to every subscribed socket). `pump()` answers what the
 * sockets sent since the last pump.
 */
export function fakeServer(WebSocket) {
    const topics = new Map();
    const topicOf = (name) => {
        if (!topics.has(name)) {
            topics.set(name, { epoch: 'E1', log: [] });
        }
        return topics.get(name);
    };
    const server = {
        subscriptions: new Map(), // socket → Set of topics
        received: [], // everything any socket sent, with its socket
        /** The topic of every frame of that type the server received, in order. */
        topicsOf: (type) => server.received.filter(({ m }) => m.type === type).map(({ m }) => m.topic),
        publish(topic, data) {
            const t = topicOf(topic);
            const message = { type: 'message', topic, seq: t.log.length + 1, epoch: t.epoch, time: 0, data };
            t.log.push(message);
            for (const ws of WebSocket.instances) {
                if (ws.readyState === OPEN && server.subscriptions.get(ws)?.has(topic)) {
                    ws.deliver(message);
                }
            }
            return message.seq;
        },
        pump() {
            for (const ws of WebSocket.instances) {
                ws.pumped ??= 0;
                while (ws.readyState === OPEN && ws.pumped < ws.sent.length) {
                    const m = ws.sent[ws.pumped++];
                    server.received.push({ ws, m });
                    const subs = server.subscriptions.get(ws) ?? new Set();
                    server.subscriptions.set(ws, subs);
                    if (m.type === 'subscribe') {
                        const t = topicOf(m.topic);
                        subs.add(m.topic);
                        ws.deliver({ type: 'subscribed', topic: m.topic, epoch: t.epoch, seq: t.log.length,
                            ...(m.presence ? { members: [] } : {}) });
                        if (m.since !== undefined) {
                            t.log.filter((x) => x.seq > m.since).forEach((x) => ws.deliver(x));
                        }
                    } else if (m.type === 'ping') {
                        ws.deliver({ type: 'pong', t: m.t, time: 0 });
                    } else if (m.type === 'unsubscribe') {
                        subs.delete(m.topic);
                        ws.deliver({ type: 'unsubscribed', topic: m.topic });
                    } else if (m.type === 'publish') {
                        const seq = server.publish(m.topic, m.data);
                        ws.deliver({ type: 'ack', id: m.id, topic: m.topic, seq });
                    } else if (m.type === 'presence') {
                        ws.deliver({ type: 'presence', id: m.id, topic: m.topic, members: [{ user: 'ann', since: 0, connections: 1 }] });
                    }
                }
            }
        },
    };
    return server;
}

/**
 * `count` tabs of a `browser` (with SharedWorker if `worker` is given) opened with `share` and `extra` options, and a
 * fakeServer answering their sockets. `welcome()` checks that the tabs have one socket, accepts it, lets the server
 * answer what it sent, and returns it; `step()` lets the server answer twice (a request, then what its answer
 * brought on); `roomWith(last)` puts every tab in a topic with messages; `host()` is the worker's WorkerHost, if any.
 */
export async function sharedTabs(Pulse, count, { worker = null, extra = {} } = {}) {
    const b = browser({ worker });
    const server = fakeServer(b.env.WebSocket);
    for (let i = 0; i < count; i++) {
        b.open(Pulse, undefined, extra);
    }
    await settle();
    const welcome = async () => {
        const live = b.env.WebSocket.live;
        assert.equal(live.length, 1, 'one socket for all tabs');
        live[0].accept({ interval: 1000, timeout: 2000 }, 'ann');
        await settle();
        server.pump();
        await settle();
        return live[0];
    };
    const step = async () => {
        server.pump();
        await settle();
        server.pump();
        await settle();
    };
    /** Every tab subscribes to room (the server answers), then the server publishes 1 to `last` to it. */
    const roomWith = async (last) => {
        b.tabs.forEach((t) => t.pulse.subscribe('room'));
        await step();
        for (const n of range(1, last)) {
            server.publish('room', n);
        }
        await settle();
    };
    const host = () => [...(b.SharedWorker?.workers.values() ?? [])][0];
    return { ...b, server, welcome, step, roomWith, host };
}

/** The seqs a tab got of a topic, in the order it got them. */
export const seqs = (tab, topic = 'room') => tab.seen.message.filter((m) => m.topic === topic).map((m) => m.seq);

/** from, from + 1, …, to. */
export const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Closes every tab's Pulse. */
export function closeAll(tabs) {
    tabs.forEach((t) => t.pulse.close());
}
