import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSING, OPEN, environment, flush, loadPulse, record } from './fakes.mjs';

const { Pulse } = await loadPulse();
const HB = { interval: 1000, timeout: 2000 }; // the ITs' settings: dead after 3 s of silence

async function connected() {
    const env = environment();
    const pulse = Pulse.connect('ws://h/ws', env.options);
    const seen = record(pulse, ['state', 'rtt', 'message']);
    await flush(); // the events of connect()'s task are delivered at its end
    const ws = env.WebSocket.last;
    ws.accept(HB);
    return { env, pulse, seen, ws };
}

test('pings every interval and reports the round trip', async () => {
    const { env, pulse, seen, ws } = await connected();
    assert.equal(ws.sentOf('ping').length, 1, 'a ping right after the welcome');
    env.clock.now += 7;
    ws.answerPings();
    assert.equal(seen.rtt.at(-1).rtt, 7);
    for (let i = 0; i < 5; i++) {
        await env.clock.advance(1000);
        ws.answerPings();
    }
    assert.ok(ws.sentOf('ping').length >= 5, `${ws.sentOf('ping').length} pings in 5 s`);
    assert.equal(pulse.state, 'open');
    pulse.close();
});

test('silence beyond interval + timeout with timers on time: dead, dropped, reconnecting', async () => {
    const { env, pulse, seen, ws } = await connected();
    await env.clock.advance(3000); // pings go out, nothing comes back
    assert.equal(ws.readyState, OPEN, 'not before interval + timeout');
    await env.clock.advance(300); // one tick (250 ms) later at most
    assert.equal(ws.readyState, CLOSING, 'the client closed the silent socket itself');
    assert.equal(pulse.state, 'reconnecting');
    assert.match(seen.state.at(-1).reason, /nothing from the server for 3\d\d\d ms/);
    await env.clock.advance(seen.state.at(-1).delay);
    assert.equal(env.WebSocket.instances.length, 2, 'a new socket at once after the backoff, without waiting for onclose');
    pulse.close();
});

test('throttled timers: a tick 60 s late while messages kept arriving is no timeout', async () => {
    const { env, pulse, seen, ws } = await connected();
    // a background tab: the timers sleep, the socket's events do not
    for (let s = 1; s <= 60; s++) {
        env.clock.jump(1000);
        ws.deliver({ type: 'message', topic: 'broadcast', seq: s, epoch: 'e', time: 0, data: s });
    }
    await env.clock.runOverdue(); // the throttled tick finally runs, 60 s late
    ws.deliver({ type: 'message', topic: 'broadcast', seq: 61, epoch: 'e', time: 0, data: 61 });
    for (let i = 0; i < 5; i++) {
        await env.clock.advance(1000);
        ws.answerPings();
    }
    assert.equal(ws.readyState, OPEN);
    assert.equal(env.WebSocket.instances.length, 1, 'no reconnect');
    assert.ok(seen.state.every((s) => s.state !== 'reconnecting'), 'never reconnecting');
    assert.equal(seen.message.length, 61);
    pulse.close();
});

test('throttled timers: a tick 60 s late after silence probes instead of condemning, and the answer keeps the socket', async () => {
    const { env, pulse, ws } = await connected();
    env.clock.jump(60_000); // no frame arrived: the server's Pings are invisible to JS, our pings were not sent
    await env.clock.runOverdue();
    const probe = ws.sentOf('ping').at(-1);
    assert.ok(probe && !probe.answered, 'a probe ping went out at once');
    env.clock.now += 40;
    ws.answerPings();
    await env.clock.advance(2000);
    ws.answerPings();
    assert.equal(ws.readyState, OPEN, 'answered: kept');
    assert.equal(pulse.state, 'open');
    pulse.close();
});

test('a late tick whose probe gets no answer is dead within the probe timeout', async () => {
    const { env, pulse, seen, ws } = await connected();
    env.clock.jump(15_000); // JavaScript blocked 15 s, link dead meanwhile
    await env.clock.runOverdue();
    assert.equal(ws.readyState, OPEN, 'not condemned on the late tick itself');
    const probeAt = env.clock.now;
    await env.clock.advance(999);
    assert.equal(ws.readyState, OPEN);
    await env.clock.advance(1);
    assert.equal(ws.readyState, CLOSING, 'dead 1 s (probe timeout) after resuming');
    assert.match(seen.state.at(-1).reason, /probe/);
    assert.ok(env.clock.now - probeAt <= 1000);
    pulse.close();
});

test('visibilitychange, resume and focus probe at once', async () => {
    for (const [target, type] of [['document', 'visibilitychange'], ['document', 'resume'], ['window', 'focus'], ['window', 'pageshow']]) {
        const { env, pulse, ws } = await connected();
        ws.answerPings();
        await env.clock.advance(300);
        const pings = ws.sentOf('ping').length;
        env[target].dispatchEvent(new Event(type));
        assert.equal(ws.sentOf('ping').length, pings + 1, `${type}: one probe ping at once`);
        await env.clock.advance(1000);
        assert.equal(ws.readyState, CLOSING, `${type}: unanswered probe: dead`);
        pulse.close();
    }
});

test('a hidden page does not probe on visibilitychange', async () => {
    const { env, pulse, ws } = await connected();
    const pings = ws.sentOf('ping').length;
    env.document.visibilityState = 'hidden';
    env.document.dispatchEvent(new Event('visibilitychange'));
    assert.equal(ws.sentOf('ping').length, pings);
    pulse.close();
});

test('a handshake that hangs is abandoned after the connect timeout and retried', async () => {
    const env = environment();
    const pulse = Pulse.connect('ws://h/ws', { ...env.options, connectTimeout: 4000 });
    await env.clock.advance(3999);
    assert.equal(env.WebSocket.instances.length, 1);
    await env.clock.advance(1);
    assert.equal(env.WebSocket.instances[0].readyState, CLOSING);
    assert.equal(pulse.state, 'reconnecting');
    pulse.close();
});

test('backoff resets after a connection that stayed healthy, not after one that dropped at once', async () => {
    const env = environment({ random: () => 0.999 });
    const pulse = Pulse.connect('ws://h/ws', env.options);
    const seen = record(pulse, ['state']);
    await flush();
    for (let i = 0; i < 4; i++) {
        env.WebSocket.last.serverClose(1006);
        await env.clock.advance(seen.state.at(-1).delay);
    }
    const ws = env.WebSocket.last;
    ws.accept(HB);
    ws.serverClose(1011); // welcomed, then dropped at once: still in trouble
    assert.ok(seen.state.at(-1).delay >= 7900, `kept backing off: ${seen.state.at(-1).delay}`);
    await env.clock.advance(seen.state.at(-1).delay);
    const healthy = env.WebSocket.last;
    healthy.accept(HB);
    for (let i = 0; i < 11; i++) {
        await env.clock.advance(1000);
        healthy.answerPings();
    }
    healthy.serverClose(1006);
    assert.ok(seen.state.at(-1).delay < 500, `after 11 healthy seconds the first retry is quick: ${seen.state.at(-1).delay}`);
    pulse.close();
});
