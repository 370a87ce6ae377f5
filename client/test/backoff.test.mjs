import { test } from 'node:test';
import assert from 'node:assert/strict';
import { environment, flush, loadPulse, record } from './fakes.mjs';

const { backoffDelay, retryAfter, socketUrl, DEFAULTS, Pulse } = await loadPulse();

test('full jitter: every delay is in [0, min(cap, base * 2^attempt))', () => {
    for (let attempt = 0; attempt <= 40; attempt++) {
        const bound = Math.min(DEFAULTS.backoffCap, DEFAULTS.backoffBase * 2 ** attempt);
        assert.equal(backoffDelay(attempt, { random: () => 0 }), 0, 'full jitter may retry at once');
        const top = backoffDelay(attempt, { random: () => 0.999999 });
        assert.ok(top < bound && top >= Math.floor(bound * 0.999), `attempt ${attempt}: ${top} just below ${bound}`);
        for (let i = 0; i < 200; i++) {
            const d = backoffDelay(attempt);
            assert.ok(Number.isInteger(d) && d >= 0 && d < bound, `attempt ${attempt}: ${d} within [0, ${bound})`);
        }
    }
});

test('full jitter spreads uniformly: mean near half the bound, both halves used', () => {
    const bound = 8000; // attempt 4 with the defaults
    const samples = Array.from({ length: 20_000 }, () => backoffDelay(4));
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    assert.ok(Math.abs(mean - bound / 2) < bound * 0.03, `mean ${mean}`);
    assert.ok(samples.some((d) => d < bound * 0.05) && samples.some((d) => d > bound * 0.95), 'reaches both ends');
});

test('custom base and cap', () => {
    assert.equal(backoffDelay(0, { base: 100, cap: 1000, random: () => 0.5 }), 50);
    assert.equal(backoffDelay(3, { base: 100, cap: 1000, random: () => 0.5 }), 400);
    assert.equal(backoffDelay(9, { base: 100, cap: 1000, random: () => 0.5 }), 500);
});

test('backoffDelay checks its argument', () => {
    for (const bad of [-1, 1.5, '2', null, undefined, NaN]) {
        assert.throws(() => backoffDelay(bad), TypeError);
    }
});

test('retry-after is read from a 1012 or 1013 close only, and capped at 5 minutes', () => {
    assert.equal(retryAfter(1012, 'retry-after=4817'), 4817);
    assert.equal(retryAfter(1013, 'retry-after=2500'), 2500, 'a node shedding load');
    assert.equal(retryAfter(1012, 'retry-after=99999999'), 300_000);
    assert.equal(retryAfter(1001, 'retry-after=4817'), 0);
    assert.equal(retryAfter(1012, 'soon'), 0);
    assert.equal(retryAfter(1012, undefined), 0);
});

test('socketUrl follows the page: scheme, host and directory', () => {
    assert.equal(socketUrl({ protocol: 'http:', host: 'h:8080', pathname: '/' }), 'ws://h:8080/ws');
    assert.equal(socketUrl({ protocol: 'https:', host: 'h', pathname: '/pulse/index.html' }), 'wss://h/pulse/ws');
    assert.equal(socketUrl({ protocol: 'http:', host: 'h', pathname: '/pulse/' }), 'ws://h/pulse/ws');
    assert.throws(() => socketUrl(null), TypeError);
});

test('refused handshakes: the first retry within 0.5 s, then every 0.5-1 s for readyFor, then slower with the outage; never gives up', async () => {
    const env = environment({ random: () => 0.999 });
    const pulse = Pulse.connect('ws://h/ws', { ...env.options, readyUrl: null }); // handshakes only
    const seen = record(pulse, ['state']);
    await flush();
    const delays = [];
    const start = env.clock.now;
    while (env.clock.now < start + 300_000) {
        env.WebSocket.last.serverClose(1006); // refused
        const { delay } = seen.state.at(-1);
        delays.push({ age: env.clock.now - start, delay });
        const before = env.WebSocket.instances.length;
        await env.clock.advance(delay - 1);
        assert.equal(env.WebSocket.instances.length, before, 'not before the delay');
        await env.clock.advance(1);
        assert.equal(env.WebSocket.instances.length, before + 1, 'at the delay');
    }
    assert.equal(delays[0].delay, 499, 'the first retry: full jitter below 500 ms');
    const quick = delays.slice(1).filter((d) => d.age < 120_000);
    assert.ok(quick.every((d) => d.delay === 999), 'then every [500, 1000) ms for two minutes');
    const later = delays.filter((d) => d.age >= 120_000);
    assert.ok(later.every((d) => d.delay >= 999 && d.delay <= Math.max(1000, d.age / 120)), 'then in proportion to the outage');
    assert.ok(later.at(-1).delay > 2000, `slower by 5 minutes: ${later.at(-1).delay}`);
    assert.equal(pulse.state, 'connecting', 'still trying');
    pulse.close();
});

test('options are checked', () => {
    const env = environment();
    assert.throws(() => new Pulse('http://h/ws', env.options), TypeError);
    assert.throws(() => new Pulse('ws://h/ws', { ...env.options, backoffBase: -1 }), TypeError);
    assert.throws(() => new Pulse('ws://h/ws', { ...env.options, token: 42 }), TypeError);
    assert.throws(() => new Pulse('ws://h/ws', { ...env.options, heartbeat: { interval: 0, timeout: 1 } }), TypeError);
    const pulse = Pulse.connect('ws://h/ws', env.options);
    assert.throws(() => pulse.on('mesage', () => {}), TypeError);
    assert.throws(() => pulse.subscribe('bad topic'), TypeError);
    assert.throws(() => pulse.subscribe('x'.repeat(201)), TypeError);
    assert.throws(() => pulse.subscribe('ok', { presence: 'yes' }), TypeError);
    assert.throws(() => pulse.publish('ok'), TypeError);
    assert.throws(() => pulse.send({}), TypeError);
    pulse.close();
});
