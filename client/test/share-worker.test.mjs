import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, loadPulse, range, seqs, settle, sharedTabs } from './fakes.mjs';
import { NAME_WAIT, SWEEP_EVERY, TOKEN_WAIT, WorkerHost } from '../src/pulse/share/host.js';

const { Pulse } = await loadPulse();
const HB = { interval: 1000, timeout: 2000 };

/**
 * Tabs of a browser with SharedWorker: the worker (a WorkerHost on the test's clock) holds the socket. What holds for
 * a leading tab as well is in share.test.mjs, run for both.
 */
const setup = (count, extra = {}) => sharedTabs(Pulse, count, { worker: { Pulse, WorkerHost }, extra });

test('worker: the tab that started the worker closes mid-stream: the others miss nothing, on the same socket', async () => {
    const { env, tabs, server, welcome, host, roomWith } = await setup(3);
    const ws = await welcome();
    const [a, b, c] = tabs;
    await roomWith(3);
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
    assert.deepEqual(server.topicsOf('unsubscribe'), [], 'b and c are still in room');
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

test('worker: a port that never names its tab is forgotten, and served again if its tab speaks after all', async () => {
    const { env, tabs, welcome, host } = await setup(1);
    const ws = await welcome();
    const got = [];
    const silent = { postMessage: (m) => got.push(m), onmessage: null }; // a page closed before its first word
    host().connect(silent);
    assert.equal(got.length, 1, 'told the leader at once, as every port');
    for (let t = 0; t < NAME_WAIT + 2 * SWEEP_EVERY; t += 500) {
        await env.clock.advance(500);
        ws.answerPings();
    }
    const before = got.length;
    ws.serverClose(1012, 'retry-after=100'); // a state change, told to every port
    await settle();
    assert.notEqual(tabs[0].seen.state.at(-1).state, 'open', 'the tab was told');
    assert.equal(got.length, before, 'the unnamed port was not: it is forgotten');
    silent.onmessage({ data: { k: 'hello', tab: 'late', topics: [] } }); // its tab was only frozen
    await env.clock.advance(200);
    await settle();
    assert.ok(got.length > before, 'a port that names its tab is served again');
    closeAll(tabs);
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
    const { env, tabs, server, welcome, step, SharedWorker, roomWith } = await setup(3);
    const first = await welcome();
    await roomWith(3);
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
