import { test } from 'node:test';
import assert from 'node:assert/strict';
import { environment, flush, loadPulse, record } from './fakes.mjs';

const { Pulse, PulseError } = await loadPulse();
const HB = { interval: 1000, timeout: 2000 };

async function connected(extra = {}) {
    const env = environment();
    const pulse = Pulse.connect('ws://h/ws', { ...env.options, ...extra });
    const seen = record(pulse, ['state', 'error']);
    await flush(); // the events of connect()'s task are delivered at its end
    const ws = env.WebSocket.last;
    ws.accept(HB);
    const keepAlive = async (ms) => {
        for (let t = 0; t < ms; t += 500) {
            await env.clock.advance(500);
            ws.answerPings();
        }
    };
    return { env, pulse, seen, ws, keepAlive };
}

test('publish resolves with the ack that carries its id', async () => {
    const { pulse, ws } = await connected();
    const first = pulse.publish('room:a', { text: 'one' });
    const second = pulse.publish('room:a', 'two');
    const [p1, p2] = ws.sentOf('publish');
    assert.deepEqual({ ...p1, id: undefined }, { type: 'publish', topic: 'room:a', data: { text: 'one' }, id: undefined });
    assert.notEqual(p1.id, p2.id);
    ws.deliver({ type: 'ack', id: p2.id, topic: 'room:a', seq: 8 }); // acks may come in any order
    ws.deliver({ type: 'ack', id: p1.id, topic: 'room:a', seq: 7 });
    assert.deepEqual(await first, { topic: 'room:a', seq: 7 });
    assert.deepEqual(await second, { topic: 'room:a', seq: 8 });
    pulse.close();
});

test('publish rejects with the server error whose ref is its id, and only that one', async () => {
    const { pulse, ws, seen } = await connected();
    const refused = pulse.publish('broadcast', 1);
    const fine = pulse.publish('room:a', 2);
    const [bad, good] = ws.sentOf('publish');
    ws.deliver({ type: 'error', code: 'forbidden', message: 'broadcast takes messages from the HTTP API only', ref: bad.id });
    await assert.rejects(refused, (e) => e instanceof PulseError && e.code === 'forbidden' && e.ref === bad.id);
    ws.deliver({ type: 'ack', id: good.id, topic: 'room:a', seq: 1 });
    assert.equal((await fine).seq, 1);
    assert.equal(seen.error.at(-1).code, 'forbidden', 'the error event fires too');
    pulse.close();
});

test('publish rejects on timeout', async () => {
    const { pulse, keepAlive } = await connected({ requestTimeout: 3000 });
    const pending = pulse.publish('room:a', 1);
    let settled = false;
    pending.catch(() => {}).finally(() => (settled = true));
    await keepAlive(2500);
    assert.equal(settled, false);
    await keepAlive(1000);
    await assert.rejects(pending, { code: 'timeout' });
    pulse.close();
});

test('publish rejects when the socket ends before the ack, and at once when not connected', async () => {
    const { pulse, ws, env, seen } = await connected();
    const pending = pulse.publish('room:a', 1);
    ws.serverClose(1006);
    await assert.rejects(pending, { code: 'connection_lost' });
    await assert.rejects(pulse.publish('room:a', 2), { code: 'not_connected' });
    assert.equal(env.WebSocket.instances.length, 1, 'nothing queued, nothing opened for it');
    assert.equal(seen.state.at(-1).state, 'reconnecting');
    pulse.close();
});

test('close() rejects what is pending and stops for good', async () => {
    const { pulse, env, seen } = await connected();
    const pending = pulse.publish('room:a', 1);
    const presence = pulse.presence('room:a');
    pulse.close();
    await assert.rejects(pending, { code: 'closed' });
    await assert.rejects(presence, { code: 'closed' });
    await assert.rejects(pulse.publish('room:a', 1), { code: 'closed' });
    await assert.rejects(pulse.subscribe('room:a'), { code: 'closed' });
    env.window.dispatchEvent(new Event('online'));
    env.document.dispatchEvent(new Event('visibilitychange'));
    await env.clock.advance(120_000);
    assert.equal(env.WebSocket.instances.length, 1, 'no socket after close()');
    assert.equal(env.clock.pending, 0, 'no timer left');
    assert.deepEqual(seen.state.at(-1), { state: 'closed', previous: 'open', code: 1000, reason: 'closed by client', delay: null, retryAt: null, attempt: 0 });
});
