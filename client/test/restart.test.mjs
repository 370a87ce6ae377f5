/**
 * Coming back after a restart: the readiness check while the server is away, the server's retry-after on 1012 and
 * 1013, and a crowd of clients against a server that was killed and comes back, with and without admission pacing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, environment, fakeFetch, fakeWebSocketClass, flush, loadPulse, record, seeded } from './fakes.mjs';

const { Pulse, readyUrlOf } = await loadPulse();
const HB = { interval: 1000, timeout: 2000 };

test('readyUrlOf: health/ready beside the socket, same origin only', () => {
    assert.equal(readyUrlOf('ws://h:8080/ws', null), 'http://h:8080/health/ready');
    assert.equal(readyUrlOf('wss://h/pulse/ws?user=ann', null), 'https://h/pulse/health/ready');
    assert.equal(readyUrlOf('ws://h/pulse/ws', { origin: 'http://h' }), 'http://h/pulse/health/ready');
    assert.equal(readyUrlOf('ws://h/pulse/ws', { origin: 'https://app.example.com' }), null, 'another origin would need CORS');
    assert.equal(readyUrlOf('ws://h/socket', null), null, 'not a Pulse endpoint path: no guess');
});

/** A client that was open, then lost its server without notice (a SIGKILL: 1006), whose first retry was refused. */
async function killed(random) {
    const env = environment({ random });
    const pulse = Pulse.connect('ws://h/pulse/ws', env.options);
    const seen = record(pulse, ['state']);
    await flush();
    env.WebSocket.last.accept(HB);
    for (let t = 0; t < 11_000; t += 500) { // healthy for a while
        await env.clock.advance(500);
        env.WebSocket.last.answerPings();
    }
    env.fetch.ready = false;
    env.WebSocket.last.serverClose(1006);
    assert.equal(env.fetch.calls.length, 0, 'the first retry is a plain handshake: the server is most likely there');
    await env.clock.advance(seen.state.at(-1).delay);
    env.WebSocket.last.serverClose(1006); // refused: it is away
    return { env, pulse, seen };
}

test('a server gone without notice is asked whether it is ready every 0.5-1 s, and no handshake is made until it is', async () => {
    const { env, pulse, seen } = await killed(seeded(7));
    const sockets = env.WebSocket.instances.length;
    const start = env.clock.now;
    await env.clock.advance(14_000); // Payara boots
    assert.equal(env.WebSocket.instances.length, sockets, 'no handshake while it is not ready');
    const times = env.fetch.calls.map((_, i) => i);
    assert.ok(env.fetch.calls.length >= 14 && env.fetch.calls.length <= 29, `${env.fetch.calls.length} checks in 14 s`);
    assert.equal(env.fetch.calls[0].url, 'http://h/pulse/health/ready');
    const gaps = seen.state.filter((s) => s.state === 'reconnecting' && s.code === 1006).slice(2).map((s) => s.delay);
    assert.ok(gaps.every((d) => d >= 500 && d < 1000), `checks every [500, 1000) ms: ${gaps}`);
    assert.ok(times.length > 0 && start > 0);

    env.fetch.ready = true; // the server is ready now
    const ready = env.clock.now;
    while (env.WebSocket.instances.length === sockets) {
        await env.clock.advance(10);
    }
    env.WebSocket.last.accept(HB);
    assert.equal(pulse.state, 'open');
    assert.ok(env.clock.now - ready <= 1000, `back ${env.clock.now - ready} ms after the server was ready`);
    pulse.close();
});

test('a 503 with Retry-After is honoured, and after it the server\'s spread is kept', async () => {
    const { env, pulse } = await killed(() => 0.5);
    env.fetch.ready = 503;
    env.fetch.retryAfter = 5; // seconds
    await env.clock.advance(800); // the first check (at 750 ms) is answered 503, Retry-After: 5
    assert.equal(env.fetch.calls.length, 1);
    await env.clock.advance(4800);
    assert.equal(env.fetch.calls.length, 1, 'nothing before the Retry-After');
    await env.clock.advance(200);
    assert.equal(env.fetch.calls.length, 2, 'asked again once it passed');
    pulse.close();
});

test('readiness answers that are neither 2xx nor 503 (a proxy that does not route it) do not hold the handshake back', async () => {
    const { env, pulse } = await killed(() => 0.5);
    env.fetch.ready = 404;
    const sockets = env.WebSocket.instances.length;
    await env.clock.advance(2_400);
    assert.equal(env.fetch.calls.length, 3, 'three 404 answers');
    assert.equal(env.WebSocket.instances.length, sockets, 'no handshake yet');
    await env.clock.advance(800);
    assert.equal(env.WebSocket.instances.length, sockets + 1, 'after three such answers in a row, a handshake anyway');
    pulse.close();
});

test('after readyFor, the period of the checks grows with the age of the outage, up to the cap', async () => {
    const { env, pulse, seen } = await killed(() => 0.999);
    const start = env.clock.now;
    await env.clock.advance(30 * 60_000);
    const waits = seen.state.filter((s) => s.state === 'reconnecting' && s.code === 1006).slice(2)
        .map((s) => ({ age: s.retryAt - s.delay - start, delay: s.delay }));
    for (const { age, delay } of waits) {
        const bound = Math.min(15_000, Math.max(1000, (age + 1000) / 120)); // the outage began a little before start
        assert.ok(delay < bound && delay >= bound / 2 - 1, `at ${age} ms into the outage: ${delay} ms, bound ${bound}`);
    }
    assert.ok(waits.filter((w) => w.age > 4 * 60_000 && w.age < 5 * 60_000).every((w) => w.delay > 1900), 'slower after 4 min');
    assert.ok(waits.at(-1).delay > 14_900, `near the cap after 30 min: ${waits.at(-1).delay}`);
    assert.ok(waits.length < 500, `${waits.length} checks in 30 min (at one a second: 1800)`);
    pulse.close();
});

for (const code of [1012, 1013]) {
    test(`${code} with retry-after: the attempt comes at that moment, and after it the server's spread is kept`, async () => {
        const env = environment({ random: () => 0.999 });
        const pulse = Pulse.connect('ws://h/ws', env.options);
        const seen = record(pulse, ['state']);
        await flush();
        env.WebSocket.last.accept(HB);
        env.fetch.ready = false;
        env.WebSocket.last.serverClose(code, 'retry-after=3000');
        assert.deepEqual([seen.state.at(-1).state, seen.state.at(-1).delay], ['reconnecting', 3000]);
        await env.clock.advance(2999);
        assert.equal(env.WebSocket.instances.length, 1);
        await env.clock.advance(1);
        assert.equal(env.WebSocket.instances.length, 2, 'at the moment the server chose');
        env.WebSocket.last.serverClose(1006); // not back yet
        await env.clock.advance(20_000);
        const delays = seen.state.filter((s) => s.state === 'reconnecting').slice(1).map((s) => s.delay);
        assert.ok(delays[1] > 1900 && delays[2] > 3900, `full-jitter backoff, not the quick checks: ${delays}`);
        pulse.close();
    });
}

test('1013 before the welcome (a node shedding load refuses the handshake): each retry-after is honoured, then the client is in', async () => {
    const env = environment({ random: () => 0.5 });
    const pulse = Pulse.connect('ws://h/ws', env.options);
    const seen = record(pulse, ['state']);
    await flush();
    env.WebSocket.last.accept(null); // the upgrade succeeds, then the node closes at once: no welcome
    env.WebSocket.last.serverClose(1013, 'retry-after=2500');
    assert.deepEqual([seen.state.at(-1).state, seen.state.at(-1).code, seen.state.at(-1).delay], ['reconnecting', 1013, 2500]);
    await env.clock.advance(2499);
    assert.equal(env.WebSocket.instances.length, 1, 'not before the retry-after');
    await env.clock.advance(1);
    await env.clock.advance(50);
    await flush();
    assert.equal(env.WebSocket.instances.length, 2, 'at the moment the node gave');
    env.WebSocket.last.accept(null);
    env.WebSocket.last.serverClose(1013, 'retry-after=4000'); // still shedding
    assert.equal(seen.state.at(-1).delay, 4000);
    await env.clock.advance(3999);
    assert.equal(env.WebSocket.instances.length, 2);
    await env.clock.advance(100);
    await flush();
    assert.equal(env.WebSocket.instances.length, 3);
    env.WebSocket.last.accept(HB);
    assert.equal(pulse.state, 'open');
    pulse.close();
});

/**
 * Twenty clients on one clock against one server that dies at 0 and is ready at 14 s. With `pace`, the server admits
 * one handshake every SLOT ms and closes the others with 1013 and a retry-after for a later slot of their own.
 */
const SLOT = 40;
async function crowd({ pace, seed }) {
    const clock = new FakeClock();
    const WebSocket = fakeWebSocketClass();
    const fetch = fakeFetch();
    const rand = seeded(seed);
    const options = { now: clock.nowFn, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout,
        setInterval: clock.setInterval, clearInterval: clock.clearInterval, WebSocket, fetch, window: null, document: null };
    const clients = Array.from({ length: 20 }, () => Pulse.connect('ws://h/ws', { ...options, random: seeded(Math.floor(rand() * 1e9)) }));
    await flush();
    WebSocket.instances.forEach((ws) => ws.accept(HB));
    for (let t = 0; t < 11_000; t += 500) {
        await clock.advance(500);
        WebSocket.live.forEach((ws) => ws.answerPings());
    }
    const killedAt = clock.now;
    fetch.ready = false;
    WebSocket.live.forEach((ws) => ws.serverClose(1006));
    const readyAt = killedAt + 14_000;
    const welcomed = [];
    let lastSlot = -Infinity; // the server's pacing: one handshake per SLOT ms, later ones get a slot of their own
    const reserved = [];
    let handled = WebSocket.instances.length;
    while (welcomed.length < 20 && clock.now < readyAt + 60_000) {
        await clock.advance(5);
        if (clock.now >= readyAt) {
            fetch.ready = true;
        }
        for (const ws of WebSocket.instances.slice(handled)) {
            const returning = reserved.findIndex((slot) => Math.abs(slot - clock.now) <= 5);
            if (clock.now < readyAt) {
                ws.serverClose(1006); // connection refused
            } else if (!pace || returning >= 0 || lastSlot + SLOT <= clock.now) {
                if (returning >= 0) {
                    reserved.splice(returning, 1);
                } else {
                    lastSlot = clock.now;
                }
                ws.accept(HB);
                welcomed.push(clock.now - readyAt);
            } else {
                lastSlot = Math.max(lastSlot, ...reserved) + SLOT;
                reserved.push(lastSlot);
                ws.accept(null);
                ws.serverClose(1013, `retry-after=${lastSlot - clock.now}`);
            }
        }
        handled = WebSocket.instances.length;
        WebSocket.live.forEach((ws) => ws.answerPings());
    }
    clients.forEach((c) => c.close());
    return welcomed.sort((a, b) => a - b);
}

function busiest(times, window = 100) {
    let best = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i] - times[j] >= window) {
            j++;
        }
        best = Math.max(best, i - j + 1);
    }
    return best;
}

test('20 clients after a kill: all back within 1.1 s of the server; with the server pacing handshakes, also never more than 3 in 100 ms, all within 3 s', async () => {
    const report = [];
    for (const seed of [1, 2, 3, 4, 5]) {
        const free = await crowd({ pace: false, seed });
        assert.equal(free.length, 20);
        assert.ok(free.at(-1) <= 1100, `seed ${seed}: last back ${free.at(-1)} ms after the server`);
        const paced = await crowd({ pace: true, seed });
        assert.equal(paced.length, 20);
        assert.ok(paced[0] <= 1000, `seed ${seed}: first back ${paced[0]} ms after the server`);
        assert.ok(paced.at(-1) <= 3000, `seed ${seed}: last back ${paced.at(-1)} ms after the server`);
        assert.ok(busiest(paced) <= 3, `seed ${seed}: ${busiest(paced)} in one 100 ms window`);
        report.push(`seed ${seed}: free ${free[0]}-${free.at(-1)} ms busiest ${busiest(free)}; paced ${paced[0]}-${paced.at(-1)} ms busiest ${busiest(paced)}`);
    }
    console.log(report.join('\n'));
});
