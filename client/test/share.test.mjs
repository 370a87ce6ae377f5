import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPEN, closeAll, loadPulse, range, seqs, settle, sharedTabs } from './fakes.mjs';
import { SWEEP_EVERY, WorkerHost } from '../src/pulse/share/host.js';

const { Pulse } = await loadPulse();
const HB = { interval: 1000, timeout: 2000 };

/**
 * The two ways tabs share a socket: a tab elected with Web Locks holds it and passes on what it gets through
 * BroadcastChannel ('tabs'), or a SharedWorker holds it ('worker'). The tests in the loop hold for both; those after
 * it for a leading tab only (share-worker.test.mjs has the worker's own).
 */
const transports = [
    {
        name: 'tabs',
        setup: (count) => sharedTabs(Pulse, count),
        holder: 'the leader',
        sharing: 'tabs',
        holdsSocket: (i) => i === 0,
        layout: (count) => ({ workers: 0, ports: 0, channels: count }),
        frozen: 2, // a follower (a frozen leader loses the lead: a test of its own below)
        leader: (tabs) => tabs[0],
        crashNoticedWithin: 30 * 500,
    },
    {
        name: 'worker',
        setup: (count) => sharedTabs(Pulse, count, { worker: { Pulse, WorkerHost } }),
        holder: 'the worker',
        sharing: 'worker',
        holdsSocket: () => false, // no tab holds it: the worker does
        layout: (count) => ({ workers: 1, ports: count, channels: 0 }), // no channel between tabs: the worker leads
        frozen: 0, // the tab that started the worker
        leader: () => undefined, // no tab leads
        crashNoticedWithin: 3 * SWEEP_EVERY, // two sweeps, whenever the first falls
    },
];
const setup = transports[0].setup; // the tests below the loop are about a leading tab only

const leaderOf = (tabs) => tabs.filter((t) => t.pulse.state !== 'closed' && t.leading());

for (const transport of transports) {
    const { name, setup } = transport;

    test(`${name}: five tabs share one socket: one subscribe per topic, every tab gets each message once, in order`, async () => {
        const { env, tabs, server, welcome, step, SharedWorker, BroadcastChannel } = await setup(5);
        assert.deepEqual({ workers: SharedWorker?.workers.size ?? 0, ports: SharedWorker?.instances.length ?? 0,
            channels: BroadcastChannel.instances.length }, transport.layout(5), 'workers, ports to them, channels');
        assert.equal(env.WebSocket.instances.length, 1, `only ${transport.holder} opened a socket`);
        const ws = await welcome();
        tabs.forEach((t) => t.pulse.subscribe('room'));
        await step();
        assert.equal(server.received.filter(({ m }) => m.type === 'subscribe' && m.topic === 'room').length <= 5, true);
        for (const seq of range(1, 5)) {
            server.publish('room', { n: seq });
        }
        ws.deliver({ type: 'message', topic: 'room', seq: 5, epoch: 'E1', time: 0, data: { n: 5 } }); // a duplicate
        await settle();
        for (const [i, tab] of tabs.entries()) {
            assert.deepEqual(seqs(tab), range(1, 5), `${tab.name}: each seq once, in order`);
            assert.equal(tab.pulse.state, 'open');
            assert.equal(tab.pulse.welcome.session, 's0', 'every tab names the one session');
            assert.equal(tab.pulse.sharing, transport.sharing);
            assert.equal(tab.pulse.holdsSocket, transport.holdsSocket(i), `${tab.name} holds the socket`);
        }
        assert.equal(env.WebSocket.live.length, 1);
        closeAll(tabs);
    });

    test(`${name}: a topic is left when its last tab leaves it, and kept while any tab is in it`, async () => {
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
        assert.deepEqual(server.topicsOf('unsubscribe'), [], 'b is still in room');
        server.publish('room', 'one');
        await settle();
        assert.deepEqual(seqs(b), [1], 'b still gets room');
        assert.deepEqual(seqs(a), [], 'a left room');
        b.pulse.unsubscribe('room');
        await step();
        assert.deepEqual(server.topicsOf('unsubscribe'), ['room'], 'the last tab left room: the socket leaves it');
        assert.equal(server.subscriptions.get(env.WebSocket.live[0]).has('other'), true);
        closeAll(tabs);
    });

    test(`${name}: publishes, presence answers and presence events go to the tab that asked`, async () => {
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
        assert.deepEqual(tabs.map((t) => t.seen.join.length), [0, 1, 0], 'only b asked for presence (c is not in room)');
        closeAll(tabs);
    });

    test(`${name}: a refused subscribe is refused in the tab that asked`, async () => {
        const { tabs, welcome, env } = await setup(2);
        const ws = await welcome();
        const answer = tabs[1].pulse.subscribe('user:bob');
        await settle();
        assert.equal(ws.sentOf('subscribe').at(-1).id, 's:user:bob');
        ws.deliver({ type: 'error', code: 'forbidden', message: 'not yours', ref: 's:user:bob' });
        await settle();
        await assert.rejects(answer, (e) => e.code === 'forbidden');
        assert.deepEqual(tabs[1].pulse.topics, []);
        assert.equal(tabs[0].seen.error.length, 0, 'the other tab is not told');
        assert.equal(env.WebSocket.live.length, 1);
        closeAll(tabs);
    });

    test(`${name}: a tab that joins an open socket mid-stream is open at once, with the welcome, and gets what follows its subscribe`, async () => {
        const { tabs, server, welcome, step, open } = await setup(1);
        await welcome();
        tabs[0].pulse.subscribe('room');
        await step();
        server.publish('room', 1);
        const late = open(Pulse);
        late.pulse.subscribe('room');
        await settle();
        server.publish('room', 2); // the first thing the late tab hears from the holder is a frame, not a beat
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

    test(`${name}: a close after which retrying cannot help (4003) closes every tab, as it closes a tab of its own`, async () => {
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

    test(`${name}: a frozen tab does not stall the others, and catches up once and in order when thawed`, async () => {
        const { env, tabs, server, welcome, step } = await setup(3);
        await welcome();
        tabs.forEach((t) => t.pulse.subscribe('room'));
        await step();
        const frozen = tabs[transport.frozen];
        const others = tabs.filter((t) => t !== frozen);
        frozen.freeze();
        for (const n of range(1, 4)) {
            server.publish('room', n);
            await env.clock.advance(1_000);
            env.WebSocket.live[0].answerPings();
        }
        for (const tab of others) {
            assert.deepEqual(seqs(tab), range(1, 4), tab.name);
        }
        assert.deepEqual(seqs(frozen), []);
        assert.equal(leaderOf(tabs)[0], transport.leader(tabs), 'the leader, if a tab leads, is unaffected');
        for (let t = 0; t < 20_000; t += 500) { // longer than any lease or sweep: the frozen tab is kept, and the socket
            await env.clock.advance(500);
            env.WebSocket.live[0].answerPings();
        }
        assert.equal(env.WebSocket.instances.length, 1);
        await frozen.thaw();
        assert.deepEqual(seqs(frozen), range(1, 4), 'thawed, it gets what queued in its channel or port, once, in order');
        closeAll(tabs);
    });

    test(`${name}: a tab that dies without a word (a crash) loses its topics within seconds; a frozen one keeps them`, async () => {
        const { env, tabs, server, welcome, step } = await setup(3);
        await welcome();
        const [, b, c] = tabs;
        b.pulse.subscribe('crashed');
        c.pulse.subscribe('frozen');
        await step();
        c.freeze();
        await b.kill();
        for (let t = 0; t < transport.crashNoticedWithin; t += 500) {
            await env.clock.advance(500);
            env.WebSocket.live[0].answerPings();
            server.pump();
        }
        assert.deepEqual(server.topicsOf('unsubscribe'), ['crashed'], 'the dead tab\'s topic is left; the frozen tab\'s is kept');
        await c.thaw();
        closeAll(tabs);
    });

    test(`${name}: a gap right after the answer to one tab's subscribe reaches that tab only`, async () => {
        const { tabs, welcome } = await setup(2);
        const ws = await welcome();
        const [a, b] = tabs;
        a.pulse.subscribe('room');
        await settle();
        ws.deliver({ type: 'subscribed', topic: 'room', epoch: 'E1', seq: 10 });
        ws.deliver({ type: 'message', topic: 'room', seq: 11, epoch: 'E1', time: 0, data: 11 });
        await settle();
        b.pulse.subscribe('room');
        await settle();
        ws.deliver({ type: 'subscribed', topic: 'room', epoch: 'E1', seq: 11 }); // b's answer
        ws.deliver({ type: 'gap', topic: 'room', from: 1, to: 5, reason: 'expired' }); // about b's subscribe only
        ws.deliver({ type: 'message', topic: 'room', seq: 12, epoch: 'E1', time: 0, data: 12 });
        await settle();
        assert.equal(a.seen.gap.length, 0, 'a is live: the gap is not about it');
        assert.equal(b.seen.gap.length, 1);
        assert.deepEqual(seqs(a), [11, 12]);
        assert.deepEqual(seqs(b), [12]);
        assert.deepEqual(a.seen.subscribed.map((s) => s.seq), [10], 'b\'s answer is b\'s');
        closeAll(tabs);
    });
}

test('the leader tab closes mid-stream: the next one resumes from the lowest seq any tab needs, no gap, no duplicate', async () => {
    const { env, tabs, server, welcome, step, roomWith } = await setup(3);
    await welcome();
    const [a, b, c] = tabs;
    assert.deepEqual(leaderOf(tabs), [a]);
    await roomWith(3);
    c.freeze(); // c falls behind: what follows waits in its channel
    for (const n of range(4, 6)) {
        server.publish('room', n);
    }
    await settle();
    assert.deepEqual(seqs(c), [1, 2, 3]);
    await a.close();
    assert.deepEqual(leaderOf(tabs), [b], 'b was next in the lock queue');
    assert.equal(env.WebSocket.live.length, 1, 'a closed its socket; b opened one');
    const second = env.WebSocket.live[0];
    second.accept(HB, 'ann');
    await step();
    assert.equal(second.sentOf('subscribe').find((m) => m.topic === 'room').since, 6, 'b had 6');
    server.publish('room', 7);
    await settle();
    // c missed what the old leader sent while c was frozen (as if that leader had died before passing it on): c
    // tells the new one it is at 3, and the hub asks again from there, for c
    c.channels.forEach((ch) => {
        ch.inbox = ch.inbox.filter((m) => !(m.k === 'frame' && m.frame.type === 'message'));
    });
    await c.thaw();
    await step();
    assert.deepEqual(second.sentOf('subscribe').filter((m) => m.topic === 'room').map((m) => m.since), [6, 3]);
    server.publish('room', 8);
    await settle();
    for (const tab of [b, c]) {
        assert.deepEqual(seqs(tab), range(1, 8), `${tab.name}: each seq once, in order`);
        assert.equal(tab.seen.gap.length, 0);
    }
    closeAll(tabs);
});

test('a frozen leader loses the lead: another tab steals the lock and resumes; thawed, it delivers nothing stale', async () => {
    const { env, tabs, server, welcome, step, BroadcastChannel, roomWith } = await setup(3);
    const first = await welcome();
    const [a, b, c] = tabs;
    await roomWith(3);
    a.freeze();
    a.staleHandler = first.onmessage;
    first.onmessage = null; // frozen: what arrives waits (the test delivers it again after the thaw)
    await env.clock.advance(5_000); // the others hear no beat for longer than the lease
    await settle();
    const leaders = leaderOf([b, c]);
    assert.equal(leaders.length, 1, 'exactly one tab took over');
    assert.equal(env.WebSocket.instances.length, 2, 'one takeover: one new socket, not one per follower');
    const second = env.WebSocket.instances.at(-1);
    assert.notEqual(second, first);
    second.accept(HB, 'ann');
    await step();
    server.publish('room', 4); // to the new leader's socket, and to the frozen tab's, which the server has not evicted
    server.publish('room', 5);
    await settle();
    // thawed, the first thing the tab runs is its old socket's messages (4 and 5, and 6 only that socket got): it
    // must pass none of them on
    const firstTerm = BroadcastChannel.log.find((m) => m.k === 'leader').term;
    const mark = BroadcastChannel.log.length;
    a.frozen = false;
    a.channels.forEach((ch) => {
        ch.frozen = false;
    });
    const staleAt = first.sent.length;
    first.onmessage = a.staleHandler;
    for (const seq of [4, 5, 6]) {
        first.deliver({ type: 'message', topic: 'room', seq, epoch: 'E1', time: 0, data: seq });
    }
    await settle();
    assert.deepEqual(BroadcastChannel.log.slice(mark).filter((m) => m.term === firstTerm && m.k === 'frame'), [],
        'the thawed leader passed nothing on');
    assert.equal(first.sent.length, staleAt, 'nor sent anything');
    assert.notEqual(first.closedByClient, null, 'it closed its old socket');
    await a.thaw();
    await step();
    assert.equal(first.readyState === OPEN, false, 'the thawed tab closed its stale socket');
    assert.equal(leaderOf(tabs).length, 1);
    assert.equal(env.WebSocket.live.length, 1, 'one socket again');
    server.publish('room', 6);
    await settle();
    for (const tab of tabs) {
        assert.deepEqual(seqs(tab), range(1, 6), `${tab.name}: each seq once, in order`);
    }
    closeAll(tabs);
});

test('without BroadcastChannel or locks, share falls back to a socket of its own', async () => {
    const { environment } = await import('./fakes.mjs');
    const env = environment();
    const pulse = Pulse.connect('ws://h/ws', { ...env.options, share: true, BroadcastChannel: undefined, locks: {} });
    assert.equal(env.WebSocket.instances.length, 1);
    assert.throws(() => Pulse.connect('ws://h/ws', { ...env.options, share: 3 }), TypeError);
    pulse.close();
});

test('a publish waiting for its ack when the leader tab closes is rejected with connection_lost in the tab that sent it', async () => {
    const { tabs, welcome } = await setup(2);
    await welcome();
    const pending = tabs[1].pulse.publish('room', 'x');
    await settle();
    await tabs[0].close();
    await assert.rejects(pending, (e) => e.code === 'connection_lost');
    assert.equal(tabs[1].pulse.state, 'connecting', 'the tab left took over and opens its own socket');
    assert.equal(tabs[1].pulse.holdsSocket, true);
    closeAll(tabs);
});

test('a new leader resumes a topic from the lowest position of the tabs it answers at once', async () => {
    const { env, tabs, server, welcome, step, roomWith } = await setup(3);
    await welcome();
    const [a, b, c] = tabs;
    await roomWith(3);
    c.freeze();
    for (const n of range(4, 6)) {
        server.publish('room', n);
    }
    await settle();
    await a.close(); // b leads; c, frozen at 3, missed what a sent (as if a had died before passing it on)
    c.channels.forEach((ch) => {
        ch.inbox = ch.inbox.filter((m) => !(m.k === 'frame' && m.frame.type === 'message'));
    });
    await c.thaw();
    const second = env.WebSocket.live[0];
    second.accept(HB, 'ann'); // both positions (b at 6, c at 3) are known before the welcome: one subscribe
    await step();
    assert.deepEqual(second.sentOf('subscribe').filter((m) => m.topic === 'room').map((m) => m.since), [3]);
    server.publish('room', 7);
    await settle();
    for (const tab of [b, c]) {
        assert.deepEqual(seqs(tab), range(1, 7), `${tab.name}: each seq once, in order`);
    }
    closeAll(tabs);
});

test('a lone tab thawed after its lease ran out passes on nothing its old socket got, and leads again from a new one', async () => {
    const { env, tabs, server, welcome, step, BroadcastChannel } = await setup(1);
    const first = await welcome();
    const [a] = tabs;
    a.pulse.subscribe('room');
    await step();
    server.publish('room', 1);
    await settle();
    a.freeze();
    const queued = first.onmessage;
    first.onmessage = null; // frozen: what arrives waits (delivered again below)
    server.publish('room', 2);
    env.clock.jump(10_000);
    const term = BroadcastChannel.log.find((m) => m.k === 'leader').term;
    const mark = BroadcastChannel.log.length;
    a.frozen = false; // thawed, and its old socket's message is the first thing it runs
    a.channels.forEach((ch) => ch.thaw());
    first.onmessage = queued;
    first.deliver({ type: 'message', topic: 'room', seq: 2, epoch: 'E1', time: 0, data: 2 });
    await settle();
    assert.deepEqual(BroadcastChannel.log.slice(mark).filter((m) => m.term === term && m.k === 'frame'), [],
        'nothing passed on from the old socket');
    assert.notEqual(first.closedByClient, null, 'the old socket is closed');
    await a.thaw();
    const second = env.WebSocket.live[0];
    assert.notEqual(second, first, 'a new socket, from the lead taken again');
    second.accept(HB, 'ann');
    await step();
    assert.equal(second.sentOf('subscribe').find((m) => m.topic === 'room').since, 1, 'resumed after what it had');
    assert.deepEqual(seqs(a), [1, 2], 'the message comes again, through the new socket');
    a.pulse.close();
});

test('a tab ignores what a replaced leader sent, however late it arrives', async () => {
    const { env, tabs, server, welcome, step, BroadcastChannel, roomWith } = await setup(3);
    await welcome();
    const [a, b, c] = tabs;
    await roomWith(1);
    const old = BroadcastChannel.log.find((m) => m.k === 'leader');
    await a.close();
    env.WebSocket.live[0].accept(HB, 'ann'); // b leads; c follows it
    await step();
    server.publish('room', 2);
    await settle();
    // a frame a posted before it left, arriving this late (a BroadcastChannel orders each sender's messages, not
    // those of two senders): it must not count, or c would take 9 and then drop 3 to 8
    c.channels.at(-1).onmessage({ data: { k: 'frame', term: old.term, leader: old.leader,
        frame: { type: 'message', topic: 'room', seq: 9, epoch: 'E1', time: 0, data: 9 } } });
    server.publish('room', 3);
    await settle();
    assert.deepEqual(seqs(c), [1, 2, 3], 'the stale frame was dropped');
    assert.deepEqual(seqs(b), [1, 2, 3]);
    closeAll(tabs);
});
