import { test } from 'node:test';
import assert from 'node:assert/strict';
import { environment, flush, loadPulse, record } from './fakes.mjs';

const { Pulse } = await loadPulse();
const HB = { interval: 1000, timeout: 2000 };
const msg = (topic, seq, epoch = 'E1') => ({ type: 'message', topic, seq, epoch, time: seq, data: { n: seq } });

async function setup() {
    const env = environment();
    const pulse = Pulse.connect('ws://h/ws', env.options);
    const seen = record(pulse, ['state', 'message', 'gap', 'subscribed', 'join', 'leave', 'error']);
    await flush(); // the events of connect()'s task are delivered at its end
    return { env, pulse, seen };
}

async function reconnect(env, seen, user = null) {
    env.WebSocket.last.serverClose(1006);
    await env.clock.advance(seen.state.at(-1).delay);
    const ws = env.WebSocket.last;
    ws.accept(HB, user);
    return ws;
}

test('subscribes once welcomed, then resubscribes every topic with since and epoch after a reconnect', async () => {
    const { env, pulse, seen } = await setup();
    const answer = pulse.subscribe('room:a', { presence: true });
    pulse.subscribe('room:b');
    const first = env.WebSocket.last;
    assert.equal(first.sentOf('subscribe').length, 0, 'nothing sent before the welcome');
    first.accept(HB);
    assert.deepEqual(first.sentOf('subscribe').map(({ topic, since, epoch, presence }) => ({ topic, since, epoch, presence })), [
        { topic: 'room:a', since: undefined, epoch: undefined, presence: true },
        { topic: 'room:b', since: undefined, epoch: undefined, presence: undefined },
    ]);
    first.deliver({ type: 'subscribed', topic: 'room:a', epoch: 'E1', seq: 5, members: [{ user: 'ann', since: 1, connections: 1 }] });
    first.deliver({ type: 'subscribed', topic: 'room:b', epoch: 'B1', seq: 0 });
    assert.equal((await answer).seq, 5);
    first.deliver(msg('room:a', 6));
    first.deliver(msg('room:a', 7));

    const second = await reconnect(env, seen);
    assert.deepEqual(second.sentOf('subscribe').map(({ topic, since, epoch, presence }) => ({ topic, since, epoch, presence })), [
        { topic: 'room:a', since: 7, epoch: 'E1', presence: true },
        { topic: 'room:b', since: 0, epoch: 'B1', presence: undefined },
    ]);
    second.deliver({ type: 'subscribed', topic: 'room:a', epoch: 'E1', seq: 9 });
    for (const seq of [6, 7, 8, 9]) {
        second.deliver(msg('room:a', seq)); // a replay that overlaps what we had
    }
    second.deliver(msg('room:a', 9)); // and a plain duplicate
    second.deliver(msg('room:a', 10));
    assert.deepEqual(seen.message.map((m) => m.seq), [6, 7, 8, 9, 10], 'each seq once, in order');
    assert.deepEqual(seen.subscribed.map((s) => [s.topic, s.resumed]), [['room:a', false], ['room:b', false], ['room:a', true]]);
    assert.deepEqual(seen.subscribed[0].members, [{ user: 'ann', since: 1, connections: 1 }]);
    pulse.close();
});

test('messages before the first subscribed answer are history: the first resume starts at its seq', async () => {
    const { env, pulse, seen } = await setup();
    pulse.subscribe('t');
    env.WebSocket.last.accept(HB);
    env.WebSocket.last.deliver({ type: 'subscribed', topic: 't', epoch: 'E1', seq: 41 });
    const ws = await reconnect(env, seen);
    assert.equal(ws.sentOf('subscribe')[0].since, 41);
    pulse.close();
});

test('a reset history is surfaced as a gap and the new epoch is delivered from its start', async () => {
    const { env, pulse, seen } = await setup();
    pulse.subscribe('room:a');
    env.WebSocket.last.accept(HB);
    env.WebSocket.last.deliver({ type: 'subscribed', topic: 'room:a', epoch: 'E1', seq: 0 });
    for (const seq of [1, 2, 3]) {
        env.WebSocket.last.deliver(msg('room:a', seq));
    }
    const ws = await reconnect(env, seen); // the server restarted: in-memory history is gone
    assert.deepEqual(ws.sentOf('subscribe')[0].since, 3);
    ws.deliver({ type: 'subscribed', topic: 'room:a', epoch: 'E2', seq: 2 });
    ws.deliver({ type: 'gap', topic: 'room:a', from: null, to: null, reason: 'reset' });
    ws.deliver(msg('room:a', 1, 'E2'));
    ws.deliver(msg('room:a', 2, 'E2'));
    ws.deliver(msg('room:a', 3, 'E2'));
    assert.deepEqual(seen.gap, [{ topic: 'room:a', from: null, to: null, reason: 'reset' }]);
    assert.deepEqual(seen.message.map((m) => `${m.epoch}/${m.seq}`), ['E1/1', 'E1/2', 'E1/3', 'E2/1', 'E2/2', 'E2/3']);
    const again = await reconnect(env, seen);
    assert.deepEqual(again.sentOf('subscribe')[0], { type: 'subscribe', topic: 'room:a', id: 's:room:a', since: 3, epoch: 'E2' });
    pulse.close();
});

test('an expired gap is surfaced with its range, and what follows it is delivered', async () => {
    const { env, pulse, seen } = await setup();
    pulse.subscribe('t');
    env.WebSocket.last.accept(HB);
    env.WebSocket.last.deliver({ type: 'subscribed', topic: 't', epoch: 'E1', seq: 10 });
    const ws = await reconnect(env, seen);
    ws.deliver({ type: 'subscribed', topic: 't', epoch: 'E1', seq: 2000 });
    ws.deliver({ type: 'gap', topic: 't', from: 11, to: 999, reason: 'expired' });
    ws.deliver(msg('t', 1000));
    ws.deliver(msg('t', 1001));
    assert.deepEqual(seen.gap, [{ topic: 't', from: 11, to: 999, reason: 'expired' }]);
    assert.deepEqual(seen.message.map((m) => m.seq), [1000, 1001]);
    pulse.close();
});

test('broadcast and the own user topic are resumed too, though the server subscribes to them by itself', async () => {
    const { env, pulse, seen } = await setup();
    env.WebSocket.last.accept(HB, 'ann');
    env.WebSocket.last.deliver(msg('broadcast', 4, 'B'));
    env.WebSocket.last.deliver(msg('user:ann', 2, 'U'));
    const ws = await reconnect(env, seen, 'ann');
    const subs = ws.sentOf('subscribe').slice(0, 2).map(({ topic, since, epoch }) => ({ topic, since, epoch }));
    assert.deepEqual(subs, [{ topic: 'broadcast', since: 4, epoch: 'B' }, { topic: 'user:ann', since: 2, epoch: 'U' }]);
    ws.deliver(msg('broadcast', 4, 'B'));
    ws.deliver(msg('broadcast', 5, 'B'));
    assert.deepEqual(seen.message.map((m) => `${m.topic}/${m.seq}`), ['broadcast/4', 'user:ann/2', 'broadcast/5']);
    pulse.close();
});

test('unsubscribe: no more messages, no resubscribe', async () => {
    const { env, pulse, seen } = await setup();
    pulse.subscribe('t');
    env.WebSocket.last.accept(HB);
    env.WebSocket.last.deliver({ type: 'subscribed', topic: 't', epoch: 'E', seq: 0 });
    assert.equal(pulse.unsubscribe('t'), true);
    assert.equal(pulse.unsubscribe('t'), false);
    assert.deepEqual(env.WebSocket.last.sentOf('unsubscribe'), [{ type: 'unsubscribe', topic: 't' }]);
    env.WebSocket.last.deliver(msg('t', 1)); // in flight
    const ws = await reconnect(env, seen);
    assert.equal(ws.sentOf('subscribe').length, 0);
    assert.equal(seen.message.length, 0);
    pulse.close();
});

test('presence: members in the answer, join and leave events for subscribed topics, presence() queries', async () => {
    const { env, pulse, seen } = await setup();
    pulse.subscribe('room:a', { presence: true });
    const ws = env.WebSocket.last;
    ws.accept(HB, 'ann');
    ws.deliver({ type: 'subscribed', topic: 'room:a', epoch: 'E', seq: 0, members: [{ user: 'ann', since: 1, connections: 1 }] });
    ws.deliver({ type: 'join', topic: 'room:a', user: 'bob', time: 5 });
    ws.deliver({ type: 'leave', topic: 'room:a', user: 'bob', time: 9, reason: 'closed' });
    ws.deliver({ type: 'join', topic: 'room:other', user: 'eve', time: 5 }); // not ours
    assert.deepEqual(seen.join, [{ topic: 'room:a', user: 'bob', time: 5 }]);
    assert.deepEqual(seen.leave, [{ topic: 'room:a', user: 'bob', time: 9, reason: 'closed' }]);
    const members = pulse.presence('room:a');
    const query = ws.sentOf('presence')[0];
    assert.equal(query.topic, 'room:a');
    ws.deliver({ type: 'presence', topic: 'room:a', members: [{ user: 'ann', since: 1, connections: 1 }] });
    assert.deepEqual(await members, [{ user: 'ann', since: 1, connections: 1 }]);
    const refused = pulse.presence('user:bob');
    ws.deliver({ type: 'error', code: 'forbidden', message: 'private', ref: ws.sentOf('presence')[1].id });
    await assert.rejects(refused, { name: 'PulseError', code: 'forbidden' });
    pulse.close();
});

test('a refused subscription rejects and is not retried after reconnects', async () => {
    const { env, pulse, seen } = await setup();
    const refused = pulse.subscribe('user:bob');
    const ws = env.WebSocket.last;
    ws.accept(HB, 'ann');
    ws.deliver({ type: 'error', code: 'forbidden', message: 'only user bob', ref: ws.sentOf('subscribe')[0].id });
    await assert.rejects(refused, { code: 'forbidden' });
    assert.deepEqual(pulse.topics, []);
    const again = await reconnect(env, seen);
    assert.equal(again.sentOf('subscribe').length, 0);
    assert.equal(seen.error.length, 1);
    pulse.close();
});

test('a throwing listener does not break the client', async () => {
    const { env, pulse, seen } = await setup();
    const errors = [];
    const original = globalThis.reportError;
    globalThis.reportError = (e) => errors.push(e);
    try {
        pulse.on('message', () => {
            throw new Error('app bug');
        });
        pulse.subscribe('t');
        env.WebSocket.last.accept(HB);
        env.WebSocket.last.deliver({ type: 'subscribed', topic: 't', epoch: 'E', seq: 0 });
        env.WebSocket.last.deliver(msg('t', 1, 'E'));
        env.WebSocket.last.deliver(msg('t', 2, 'E'));
        await flush();
    } finally {
        globalThis.reportError = original;
    }
    assert.equal(errors.length, 2);
    assert.deepEqual(seen.message.map((m) => m.seq), [1, 2]);
    pulse.close();
});
