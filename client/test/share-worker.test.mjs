import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browser, fakeServer, loadPulse, settle } from './fakes.mjs';
import { SWEEP_EVERY, TOKEN_WAIT, WorkerHost } from '../src/pulse/share/host.js';

const { Pulse } = await loadPulse();
const HB = { interval: 1000, timeout: 2000 };

/** Tabs of a browser with SharedWorker: the worker (a WorkerHost on the test's clock) holds the socket. */
async function setup(count, extra = {}) {
    const b = browser({ worker: { Pulse, WorkerHost } });
    const server = fakeServer(b.env.WebSocket);
    for (let i = 0; i < count; i++) {
        b.open(Pulse, undefined, extra);
    }
    await settle();
    b.welcome = async () => {
        const live = b.env.WebSocket.live;
        assert.equal(live.length, 1, 'one socket for all tabs');
        live[0].accept(HB, 'ann');
        await settle();
        server.pump();
        await settle();
        return live[0];
    };
    b.step = async () => {
        server.pump();
        await settle();
        server.pump();
        await settle();
    };
    b.host = () => [...b.SharedWorker.workers.values()][0];
    return { ...b, server };
}

const seqs = (tab, topic = 'room') => tab.seen.message.filter((m) => m.topic === topic).map((m) => m.seq);
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const sent = (server, type) => server.received.filter(({ m }) => m.type === type).map(({ m }) => m.topic);

function closeAll(tabs) {
    tabs.forEach((t) => t.pulse.close());
}

test('worker: five tabs, one worker, one socket: one subscribe per topic, every tab gets each message once, in order', async () => {
    const { env, tabs, server, welcome, step, SharedWorker, BroadcastChannel } = await setup(5);
    assert.equal(SharedWorker.workers.size, 1, 'one worker for the five tabs');
    assert.equal(SharedWorker.instances.length, 5, 'each tab connected to it');
    assert.equal(BroadcastChannel.instances.length, 0, 'no channel between tabs: the worker leads');
    assert.equal(env.WebSocket.instances.length, 1, 'only the worker opened a socket');
    const ws = await welcome();
    tabs.forEach((t) => t.pulse.subscribe('room'));
    await step();
    for (const seq of range(1, 5)) {
        server.publish('room', { n: seq });
    }
    ws.deliver({ type: 'message', topic: 'room', seq: 5, epoch: 'E1', time: 0, data: { n: 5 } }); // a duplicate
    await settle();
    for (const tab of tabs) {
        assert.deepEqual(seqs(tab), range(1, 5), `${tab.name}: each seq once, in order`);
        assert.equal(tab.pulse.state, 'open');
        assert.equal(tab.pulse.welcome.session, 's0', 'every tab names the one session');
        assert.equal(tab.pulse.sharing, 'worker');
        assert.equal(tab.pulse.holdsSocket, false, 'no tab holds it: the worker does');
    }
    assert.equal(env.WebSocket.live.length, 1);
    closeAll(tabs);
});

test('worker: a topic is left when its last tab leaves it, and kept while any tab is in it', async () => {
    const { env, tabs, server, welcome, step } = await setup(3);
    await welcome();
    const [a, b, c] = tabs;
    a.pulse.subscribe('room');
    b.pulse.subscribe('room', { presence: true });
    c.pulse.subscribe('other');
    await step();
    assert.deepEqual(tabs.map((t) => t.seen.subscribed.length), [1, 1, 1], 'each answer only to the tab it was for');
    assert.equal(a.pulse.unsubscribe('room'), true);
    await step();
    assert.deepEqual(sent(server, 'unsubscribe'), [], 'b is still in room');
    server.publish('room', 'one');
    await settle();
    assert.deepEqual(seqs(b), [1], 'b still gets room');
    assert.deepEqual(seqs(a), [], 'a left room');
    b.pulse.unsubscribe('room');
    await step();
    assert.deepEqual(sent(server, 'unsubscribe'), ['room'], 'the last tab left room: the socket leaves it');
    assert.equal(server.subscriptions.get(env.WebSocket.live[0]).has('other'), true);
    closeAll(tabs);
});

test('worker: publishes, presence answers and presence events go to the tab that asked', async () => {
    const { tabs, welcome, step, server } = await setup(3);
    const ws = await welcome();
    const [a, b, c] = tabs;
    a.pulse.subscribe('room');
    b.pulse.subscribe('room', { presence: true });
    await step();
    assert.equal(server.received.filter(({ m }) => m.type === 'subscribe' && m.topic === 'room').at(-1).m.presence, true,
        'presence asked of the server, for the tab that wants it');
    const fromB = b.pulse.publish('room', { text: 'from b' });
    const fromC = c.pulse.publish('elsewhere', { text: 'from c' });
    const members = a.pulse.presence('room');
    await step();
    assert.deepEqual(await fromB, { topic: 'room', seq: 1 });
    assert.deepEqual(await fromC, { topic: 'elsewhere', seq: 1 });
    assert.deepEqual(await members, [{ user: 'ann', since: 0, connections: 1 }]);
    assert.deepEqual(seqs(a), [1]);
    ws.deliver({ type: 'join', topic: 'room', user: 'bob', time: 1 });
    await settle();
    assert.deepEqual(tabs.map((t) => t.seen.join.length), [0, 1, 0], 'only b asked for presence');
    closeAll(tabs);
});

test('worker: the tab that started the worker closes mid-stream: the others miss nothing, on the same socket', async () => {
    const { env, tabs, server, welcome, step, host } = await setup(3);
    const ws = await welcome();
    const [a, b, c] = tabs;
    tabs.forEach((t) => t.pulse.subscribe('room'));
    await step();
    for (const n of range(1, 3)) {
        server.publish('room', n);
    }
    await settle();
    await a.close(); // pagehide, then its port and locks go
    for (const n of range(4, 6)) {
        server.publish('room', n);
    }
    await settle();
    assert.equal(env.WebSocket.instances.length, 1, 'no new socket');
    assert.equal(env.WebSocket.live[0], ws);
    assert.equal(host().running, true);
    for (const tab of [b, c]) {
        assert.deepEqual(seqs(tab), range(1, 6), `${tab.name}: each seq once, in order`);
        assert.equal(tab.pulse.state, 'open');
        assert.equal(tab.seen.state.at(-1).state, 'open', `${tab.name} never left open`);
    }
    assert.deepEqual(sent(server, 'unsubscribe'), [], 'b and c are still in room');
    closeAll(tabs);
});

test('worker: a frozen tab does not stall the others, and catches up once and in order when thawed', async () => {
    const { env, tabs, server, welcome, step } = await setup(3);
    await welcome();
    const [a, b, c] = tabs;
    tabs.forEach((t) => t.pulse.subscribe('room'));
    await step();
    a.freeze(); // the tab that started the worker
    for (const n of range(1, 4)) {
        server.publish('room', n);
        await env.clock.advance(1_000);
        env.WebSocket.live[0].answerPings();
    }
    assert.deepEqual(seqs(b), range(1, 4));
    assert.deepEqual(seqs(c), range(1, 4));
    assert.deepEqual(seqs(a), []);
    for (let t = 0; t < 20_000; t += 500) { // longer than any lease or sweep: the worker keeps the frozen tab, and its socket
        await env.clock.advance(500);
        env.WebSocket.live[0].answerPings();
    }
    assert.equal(env.WebSocket.instances.length, 1);
    await a.thaw();
    assert.deepEqual(seqs(a), range(1, 4), 'thawed, it gets what queued in its port, once, in order');
    closeAll(tabs);
});

test('worker: a tab that dies without a word loses its topics within two sweeps; a frozen one keeps them', async () => {
    const { env, tabs, server, welcome, step } = await setup(3);
    await welcome();
    const [, b, c] = tabs;
    b.pulse.subscribe('crashed');
    c.pulse.subscribe('frozen');
    await step();
    c.freeze();
    await b.kill();
    for (let t = 0; t < 3 * SWEEP_EVERY; t += 500) {
        await env.clock.advance(500);
        env.WebSocket.live[0].answerPings();
        server.pump();
    }
    assert.deepEqual(sent(server, 'unsubscribe'), ['crashed'], 'the dead tab\'s topic is left; the frozen tab\'s is kept');
    await c.thaw();
    closeAll(tabs);
});

test('worker: the socket closes when the last tab leaves, and a tab that comes later opens another', async () => {
    const { env, tabs, welcome, host, open } = await setup(2);
    const first = await welcome();
    await tabs[0].close();
    assert.equal(first.closedByClient, null, 'one tab is left');
    tabs[1].pulse.close();
    await settle();
    assert.notEqual(first.closedByClient, null, 'no tab left: the worker closed the socket');
    assert.equal(host().running, false);
    assert.equal(env.WebSocket.live.length, 0);
    const late = open(Pulse);
    await settle();
    assert.equal(env.WebSocket.live.length, 1, 'the worker opens a socket for the new tab');
    env.WebSocket.live[0].accept(HB, 'ann');
    await settle();
    assert.equal(late.pulse.state, 'open');
    late.pulse.close();
});

test('worker: the last tab crashing closes the socket too, after the sweeps', async () => {
    const { env, tabs, welcome, host } = await setup(1);
    const ws = await welcome();
    await tabs[0].kill();
    for (let t = 0; t < 3 * SWEEP_EVERY && host().running; t += 500) {
        await env.clock.advance(500);
        ws.answerPings();
    }
    assert.equal(host().running, false);
    assert.notEqual(ws.closedByClient, null);
});

test('worker: a tab that joins an open socket is open at once, with the welcome, and gets what follows its subscribe', async () => {
    const { tabs, server, welcome, step, open } = await setup(1);
    await welcome();
    tabs[0].pulse.subscribe('room');
    await step();
    server.publish('room', 1);
    const late = open(Pulse);
    late.pulse.subscribe('room');
    await settle();
    server.publish('room', 2);
    await step();
    server.publish('room', 3);
    await settle();
    assert.equal(late.pulse.state, 'open');
    assert.equal(late.seen.welcome.length, 1);
    assert.equal(late.pulse.welcome.session, 's0');
    assert.deepEqual(seqs(late), [3], 'what followed the answer to its subscribe');
    assert.deepEqual(seqs(tabs[0]), [1, 2, 3]);
    closeAll([...tabs]);
});

test('worker: a token function runs in a tab; a tab that does not answer is passed over for the next', async () => {
    const { env, tabs, open } = await setup(0);
    open(Pulse, 'tab1', { token: () => 'from-tab1' });
    open(Pulse, 'tab2', { token: async () => 'from-tab2' });
    await settle();
    const ws = env.WebSocket.live[0];
    assert.deepEqual(ws.protocols, ['pulse.v1', 'bearer.from-tab1'], 'the worker\'s socket carries a tab\'s token');
    ws.accept(HB, 'ann');
    await settle();
    tabs.forEach((t) => t.freeze());
    ws.serverClose(4001, 'expired'); // one fresh token, from a tab: both are frozen
    await env.clock.advance(TOKEN_WAIT);
    assert.equal(env.WebSocket.instances.length, 1, 'no token, no socket');
    await tabs[1].thaw();
    for (let i = 0; i < 10 && env.WebSocket.instances.length === 1; i++) {
        await env.clock.advance(1_000);
    }
    assert.equal(env.WebSocket.instances.length, 2, 'the thawed tab was asked next');
    assert.deepEqual(env.WebSocket.last.protocols, ['pulse.v1', 'bearer.from-tab2']);
    await tabs[0].thaw();
    closeAll(tabs);
});

test('worker: a close after which retrying cannot help (4003) closes every tab', async () => {
    const { env, tabs, welcome } = await setup(3);
    const ws = await welcome();
    const answer = tabs[1].pulse.subscribe('room');
    ws.serverClose(4003, 'forbidden');
    await settle();
    for (const tab of tabs) {
        assert.equal(tab.pulse.state, 'closed', tab.name);
        assert.equal(tab.seen.state.at(-1).code, 4003);
    }
    await assert.rejects(answer, (e) => e.code === 'closed');
    await env.clock.advance(10_000);
    assert.equal(env.WebSocket.instances.length, 1, 'nobody opened another socket');
});

test('sharedWorker: false takes the leader-tab path where the browser has SharedWorker', async () => {
    const { env, tabs, SharedWorker, BroadcastChannel } = await setup(2, { sharedWorker: false });
    assert.equal(SharedWorker.instances.length, 0);
    assert.equal(BroadcastChannel.instances.length, 2);
    assert.equal(env.WebSocket.instances.length, 1, 'still one socket, held by a tab');
    assert.deepEqual(tabs.map((t) => t.pulse.sharing), ['tabs', 'tabs']);
    assert.deepEqual(tabs.map((t) => t.pulse.holdsSocket), [true, false]);
    assert.throws(() => Pulse.connect('ws://h/ws', { ...env.options, share: true, sharedWorker: 'no' }), TypeError);
    closeAll(tabs);
});

test('worker: a worker that dies is noticed by its lock: the tabs start another and resume without a gap', async () => {
    const { env, tabs, server, welcome, step, SharedWorker } = await setup(3);
    const first = await welcome();
    tabs.forEach((t) => t.pulse.subscribe('room'));
    await step();
    for (const n of range(1, 3)) {
        server.publish('room', n);
    }
    await settle();
    tabs[2].freeze(); // c falls behind: 3 and 4 wait in its port, which dies with the worker
    server.publish('room', 4);
    await settle();
    SharedWorker.kill((worker) => worker.die());
    first.onmessage = first.onclose = null;
    first.readyState = 3; // the browser closed the dead worker's socket
    server.publish('room', 5);
    await settle();
    assert.equal(SharedWorker.workers.size, 1, 'a tab started a new worker');
    assert.deepEqual(tabs.slice(0, 2).map((t) => t.pulse.state), ['connecting', 'connecting']);
    await tabs[2].thaw();
    const second = env.WebSocket.live[0];
    assert.notEqual(second, first);
    second.accept(HB, 'ann');
    await step();
    assert.deepEqual(second.sentOf('subscribe').filter((m) => m.topic === 'room').map((m) => m.since), [3],
        'one subscribe, from the lowest position of the three tabs');
    server.publish('room', 6);
    await settle();
    for (const tab of tabs) {
        assert.deepEqual(seqs(tab), range(1, 6), `${tab.name}: each seq once, in order`);
        assert.equal(tab.pulse.state, 'open');
    }
    assert.equal(env.WebSocket.live.length, 1);
    closeAll(tabs);
});

test('worker: a worker script that fails to load leaves the tabs to elect a leader among them', async () => {
    class Failing {
        static started = 0;
        port = { postMessage() {}, close() {}, start() {}, onmessage: null };
        onerror = null;

        constructor() {
            Failing.started++;
            queueMicrotask(() => this.onerror?.({ message: '404' }));
        }
    }
    const errors = [];
    const reportError = globalThis.reportError;
    globalThis.reportError = (e) => errors.push(e.message);
    try {
        const { env, tabs } = await setup(2, { SharedWorker: Failing });
        assert.equal(Failing.started, 2);
        assert.deepEqual(tabs.map((t) => t.pulse.sharing), ['tabs', 'tabs']);
        assert.equal(env.WebSocket.live.length, 1, 'one socket, held by the tab elected');
        assert.equal(tabs.filter((t) => t.pulse.holdsSocket).length, 1);
        env.WebSocket.live[0].accept(HB, 'ann');
        await settle();
        assert.deepEqual(tabs.map((t) => t.pulse.state), ['open', 'open']);
        assert.equal(errors.length, 2, 'each tab reported the failure');
        closeAll(tabs);
    } finally {
        globalThis.reportError = reportError;
    }
});
