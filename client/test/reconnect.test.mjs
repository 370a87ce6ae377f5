import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSED, OPEN, environment, flush, loadPulse, record, seeded } from './fakes.mjs';

const { Pulse, TRANSITIONS } = await loadPulse();
const HB = { interval: 1000, timeout: 2000 };

test('1012 retry-after is honoured: no attempt before it, whatever wakes the page', async () => {
    const env = environment({ random: () => 0.5 });
    const pulse = Pulse.connect('ws://h/ws', env.options);
    const seen = record(pulse, ['state']);
    await flush();
    env.WebSocket.last.accept(HB);
    env.WebSocket.last.serverClose(1012, 'retry-after=4817');
    const state = seen.state.at(-1);
    assert.equal(state.state, 'reconnecting');
    assert.equal(state.code, 1012);
    assert.equal(state.delay, 4817);
    assert.equal(state.retryAt, env.clock.now + 4817);
    await env.clock.advance(1000);
    env.window.dispatchEvent(new Event('online'));
    env.document.dispatchEvent(new Event('visibilitychange'));
    env.window.dispatchEvent(new Event('focus'));
    await env.clock.advance(3816);
    assert.equal(env.WebSocket.instances.length, 1, 'still waiting at 4816 ms');
    await env.clock.advance(1);
    assert.equal(env.WebSocket.instances.length, 2, 'attempt at 4817 ms');
    pulse.close();
});

test('offline pauses attempts and says so; online tries at once', async () => {
    const env = environment({ random: () => 0.9 });
    const pulse = Pulse.connect('ws://h/ws', env.options);
    const seen = record(pulse, ['state']);
    await flush();
    env.WebSocket.last.serverClose(1006);
    env.window.dispatchEvent(new Event('offline'));
    assert.equal(pulse.state, 'offline');
    assert.equal(seen.state.at(-1).retryAt, null);
    await env.clock.advance(600_000);
    assert.equal(env.WebSocket.instances.length, 1, 'no attempt while offline');
    env.window.dispatchEvent(new Event('online'));
    assert.equal(env.WebSocket.instances.length, 2, 'an attempt at once');
    env.WebSocket.last.accept(HB);
    assert.equal(pulse.state, 'open');
    pulse.close();
});

test('offline while open only probes: an answering socket is kept', async () => {
    const env = environment();
    const pulse = Pulse.connect('ws://h/ws', env.options);
    const ws = env.WebSocket.last;
    ws.accept(HB);
    const pings = ws.sentOf('ping').length;
    env.window.dispatchEvent(new Event('offline'));
    assert.equal(ws.sentOf('ping').length, pings + 1);
    ws.answerPings();
    await env.clock.advance(1500);
    ws.answerPings();
    assert.equal(ws.readyState, OPEN);
    assert.equal(pulse.state, 'open');
    ws.serverClose(1006); // then it does die, and we are still offline: pause
    assert.equal(pulse.state, 'offline');
    pulse.close();
});

test('4001 asks the token function once more and reconnects with the fresh token; a second 4001 stops', async () => {
    const env = environment();
    const tokens = ['t1', 't2', 't3'];
    let calls = 0;
    const pulse = Pulse.connect('ws://h/ws', { ...env.options, token: async () => (calls++, tokens.shift()) });
    const seen = record(pulse, ['state']);
    await flush();
    assert.equal(calls, 1);
    assert.deepEqual(env.WebSocket.last.protocols, ['pulse.v1', 'bearer.t1']);
    env.WebSocket.last.accept(HB, 'ann');
    await env.clock.advance(500);
    env.WebSocket.last.serverClose(4001, 'token expired'); // e.g. the server restarted with another secret
    await flush();
    assert.equal(calls, 2, 'asked for a fresh token');
    assert.deepEqual(env.WebSocket.last.protocols, ['pulse.v1', 'bearer.t2']);
    assert.deepEqual(seen.state.slice(-2).map((s) => [s.state, s.code, s.delay]), [['reconnecting', 4001, 0], ['connecting', 4001, null]],
        'at once, saying why');
    env.WebSocket.last.accept(HB, 'ann'); // the fresh one works
    env.WebSocket.last.serverClose(1006);
    await env.clock.advance(seen.state.at(-1).delay);
    assert.deepEqual(env.WebSocket.last.protocols, ['pulse.v1', 'bearer.t2'], 'an ordinary reconnect reuses the token');
    env.WebSocket.last.serverClose(4001, 'token expired');
    await flush();
    assert.equal(calls, 3);
    env.WebSocket.last.serverClose(4001, 'invalid token'); // the fresh one refused too, before any welcome
    await flush();
    assert.equal(calls, 3, 'not asked again');
    assert.equal(pulse.state, 'closed');
    assert.deepEqual([seen.state.at(-1).code, seen.state.at(-1).reason], [4001, 'invalid token']);
    await env.clock.advance(60_000);
    assert.equal(env.WebSocket.instances.length, 4);
});

test('4001 with no fresh token, with a fixed token, or 4003: closed for good', async () => {
    for (const [token, code] of [[async () => (globalThis.__n = (globalThis.__n ?? 0) + 1) === 1 ? 'a' : null, 4001], ['fixed', 4001], [undefined, 4003]]) {
        const env = environment();
        const pulse = Pulse.connect('ws://h/ws', { ...env.options, token });
        await flush();
        env.WebSocket.last.accept(HB);
        env.WebSocket.last.serverClose(code, 'no');
        await flush();
        await env.clock.advance(60_000);
        assert.equal(pulse.state, 'closed', `${typeof token} ${code}`);
        assert.equal(env.WebSocket.instances.length, 1);
    }
});

test('a token that arrives after close() or after another attempt opens nothing', async () => {
    const env = environment();
    let release;
    const pulse = Pulse.connect('ws://h/ws', { ...env.options, token: () => new Promise((r) => (release = r)) });
    pulse.close();
    release('late');
    await flush();
    assert.equal(env.WebSocket.instances.length, 0);
});

test('never two sockets open or opening, and only transitions of the table, whatever the order of events (random orders, seeded)', async () => {
    const actions = [
        (env) => env.WebSocket.last?.accept(HB),
        (env) => env.WebSocket.last?.serverClose(1006),
        (env) => env.WebSocket.last?.serverClose(1012, 'retry-after=300'),
        (env) => env.WebSocket.last?.serverClose(4000, 'heartbeat timeout'),
        (env) => env.WebSocket.instances[Math.floor(env.rand() * env.WebSocket.instances.length)]?.serverClose(1006),
        (env) => env.WebSocket.instances[Math.floor(env.rand() * env.WebSocket.instances.length)]?.accept(HB),
        (env) => env.WebSocket.last?.answerPings(),
        (env) => env.window.dispatchEvent(new Event('offline')),
        (env) => env.window.dispatchEvent(new Event('online')),
        (env) => env.window.dispatchEvent(new Event('focus')),
        (env) => env.document.dispatchEvent(new Event('visibilitychange')),
        (env) => env.document.dispatchEvent(new Event('resume')),
        (env) => env.window.dispatchEvent(new Event('pagehide')),
        (env) => env.window.dispatchEvent(new Event('pageshow')),
        (env) => { env.fetch.ready = [true, false, 404, 503][Math.floor(env.rand() * 4)]; },
        (env) => env.clock.advance(Math.floor(env.rand() * 2000)),
        (env) => env.clock.jump(Math.floor(env.rand() * 20_000)),
        (env) => env.clock.runOverdue(),
    ];
    let steps = 0;
    for (let seed = 1; seed <= 300; seed++) {
        const rand = seeded(seed);
        const env = { ...environment({ random: rand }), rand };
        const pulse = Pulse.connect('ws://h/ws', { ...env.options, probeTimeout: 200 });
        let state = 'idle';
        pulse.on('state', (change) => {
            assert.equal(change.previous, state, `seed ${seed}: every change reported, from where it was`);
            assert.ok(Object.values(TRANSITIONS[state]).includes(change.state), `seed ${seed}: ${state} -> ${change.state} is in the table`);
            state = change.state;
        });
        for (let i = 0; i < 150; i++) {
            await actions[Math.floor(rand() * actions.length)](env);
            steps++;
            const live = env.WebSocket.live;
            assert.ok(live.length <= 1, `seed ${seed} step ${i}: ${live.length} sockets open or opening`);
            const attached = env.WebSocket.instances.filter((ws) => ws.onmessage !== null && ws.readyState !== CLOSED);
            assert.ok(attached.length <= 1, `seed ${seed} step ${i}: ${attached.length} sockets still listened to`);
        }
        // whatever happened, it comes back once the page is shown and the network and the server behave
        env.fetch.ready = true;
        env.window.dispatchEvent(new Event('pageshow'));
        env.window.dispatchEvent(new Event('online'));
        for (let s = 0; s < 60 && pulse.state !== 'open'; s++) {
            env.WebSocket.live[0]?.accept(HB);
            await env.clock.advance(1000);
            env.WebSocket.live[0]?.answerPings();
        }
        assert.equal(pulse.state, 'open', `seed ${seed}: open in the end`);
        assert.equal(state, 'open', `seed ${seed}: the last state event says so`);
        assert.equal(env.WebSocket.live.length, 1);
        pulse.close();
        assert.equal(env.WebSocket.live.length, 0, `seed ${seed}: nothing left after close()`);
    }
    assert.equal(steps, 45_000);
});

test('pagehide closes the socket and waits; pageshow (back from the cache) reconnects at once and resumes', async () => {
    const env = environment();
    const pulse = Pulse.connect('ws://h/ws', env.options);
    pulse.subscribe('room:a');
    const first = env.WebSocket.last;
    first.accept(HB);
    first.deliver({ type: 'subscribed', topic: 'room:a', epoch: 'E', seq: 3 });
    env.window.dispatchEvent(new Event('pagehide'));
    assert.deepEqual(first.closedByClient, { code: 1000, reason: 'page hidden' });
    await env.clock.advance(120_000);
    env.window.dispatchEvent(new Event('online'));
    assert.equal(env.WebSocket.instances.length, 1, 'no socket while hidden');
    env.window.dispatchEvent(new Event('pageshow'));
    assert.equal(env.WebSocket.instances.length, 2, 'at once when shown again');
    env.WebSocket.last.accept(HB);
    assert.equal(env.WebSocket.last.sentOf('subscribe')[0].since, 3);
    assert.equal(pulse.state, 'open');
    pulse.close();
});

test('never two sockets when token and readiness answers are slow and land in any order with the other events (seeded)', async () => {
    // the answers a Pulse waits for before it opens a socket, held until an action releases one (oldest or newest)
    const held = [];
    const release = (env, which, outcome) => {
        const i = which === 'oldest' ? 0 : held.length - 1;
        const [entry] = held.splice(i, 1);
        entry?.(outcome, env);
    };
    const actions = [
        (env) => env.WebSocket.last?.accept(HB),
        (env) => env.WebSocket.last?.serverClose(1006),
        (env) => env.WebSocket.last?.serverClose(4001, 'token expired'),
        (env) => env.WebSocket.instances[Math.floor(env.rand() * env.WebSocket.instances.length)]?.serverClose(1006),
        (env) => env.WebSocket.instances[Math.floor(env.rand() * env.WebSocket.instances.length)]?.accept(HB),
        (env) => env.WebSocket.last?.answerPings(),
        (env) => env.window.dispatchEvent(new Event('offline')),
        (env) => env.window.dispatchEvent(new Event('online')),
        (env) => env.window.dispatchEvent(new Event('focus')),
        (env) => env.window.dispatchEvent(new Event('pagehide')),
        (env) => env.window.dispatchEvent(new Event('pageshow')),
        (env) => release(env, 'oldest', 'ok'),
        (env) => release(env, 'newest', 'ok'),
        (env) => release(env, 'oldest', 'fail'),
        (env) => release(env, 'newest', 'down'),
        (env) => env.clock.advance(Math.floor(env.rand() * 3000)),
        (env) => env.clock.jump(Math.floor(env.rand() * 20_000)),
        (env) => env.clock.runOverdue(),
        (env) => flush(),
    ];
    for (let seed = 1; seed <= 200; seed++) {
        held.length = 0;
        const rand = seeded(seed);
        const env = { ...environment({ random: rand }), rand };
        let tokens = 0;
        const token = () => new Promise((resolve, reject) => held.push((outcome) =>
            (outcome === 'fail' ? reject(new Error('backend down')) : resolve(`t${++tokens}`))));
        const fetch = (url, init) => new Promise((resolve, reject) => held.push((outcome) => (outcome === 'down'
            ? reject(new TypeError('fetch failed'))
            : env.fetch(url, init).then(resolve, reject))));
        const pulse = Pulse.connect('ws://h/ws', { ...env.options, fetch, token, probeTimeout: 200, connectTimeout: 1500 });
        for (let i = 0; i < 150; i++) {
            await actions[Math.floor(rand() * actions.length)](env);
            const live = env.WebSocket.live;
            assert.ok(live.length <= 1, `seed ${seed} step ${i}: ${live.length} sockets open or opening`);
        }
        // settle: every held answer released, the network and the server behave; one socket in the end, then none
        env.window.dispatchEvent(new Event('pageshow'));
        env.window.dispatchEvent(new Event('online'));
        for (let s = 0; s < 80 && pulse.state !== 'open' && pulse.state !== 'closed'; s++) {
            while (held.length) {
                release(env, 'oldest', 'ok');
                await flush();
            }
            env.WebSocket.live[0]?.accept(HB);
            await env.clock.advance(1000);
            env.WebSocket.live[0]?.answerPings();
            assert.ok(env.WebSocket.live.length <= 1, `seed ${seed}: settling with ${env.WebSocket.live.length} sockets`);
        }
        assert.ok(env.WebSocket.live.length <= 1, `seed ${seed}: at most one socket once settled`);
        pulse.close();
        while (held.length) {
            release(env, 'oldest', 'ok');
            await flush();
        }
        assert.equal(env.WebSocket.live.length, 0, `seed ${seed}: nothing left after close(), late answers included`);
    }
});
