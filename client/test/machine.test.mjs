import { test } from 'node:test';
import assert from 'node:assert/strict';
import { environment, flush, loadPulse, record } from './fakes.mjs';
import { Machine, STATES, TRANSITIONS, TRANSITION_EVENTS } from '../src/pulse/machine.js';

const { Pulse } = await loadPulse();
const HB = { interval: 1000, timeout: 2000 };

test('the transition function follows the table: every event in every state, each change reported once', () => {
    let changes = 0;
    for (const state of STATES) {
        for (const event of TRANSITION_EVENTS) {
            const reported = [];
            const machine = new Machine((from, to, why, detail) => reported.push({ from, to, why, detail }));
            // reach `state` through the table itself (breadth-first), so only allowed paths are used
            const path = pathTo(state);
            path.forEach((e) => assert.ok(machine.fire(e), `path to ${state}: ${path}`));
            reported.length = 0;
            const to = TRANSITIONS[state][event];
            assert.equal(machine.can(event), to !== undefined);
            assert.equal(machine.fire(event, { code: 7 }), to !== undefined, `${state} --${event}-->`);
            assert.equal(machine.state, to ?? state);
            assert.deepEqual(reported, to === undefined ? [] : [{ from: state, to, why: event, detail: { code: 7 } }]);
            changes += reported.length;
        }
    }
    assert.equal(changes, Object.values(TRANSITIONS).reduce((n, row) => n + Object.keys(row).length, 0));
    assert.deepEqual(Object.keys(TRANSITIONS.closed), [], 'closed is final');
    for (const state of STATES.filter((s) => s !== 'idle')) {
        assert.ok(pathTo(state), `${state} is reachable`);
    }
});

function pathTo(target) {
    const queue = [['idle', []]];
    const seen = new Set(['idle']);
    while (queue.length) {
        const [state, path] = queue.shift();
        if (state === target) {
            return path;
        }
        for (const [event, next] of Object.entries(TRANSITIONS[state])) {
            if (!seen.has(next)) {
                seen.add(next);
                queue.push([next, [...path, event]]);
            }
        }
    }
    return null;
}

/** Brings a client into a state with the fakes, as it would get there for real. */
const REACH = {
    idle: async (env) => new Pulse('ws://h/ws', env.options),
    connecting: async (env) => Pulse.connect('ws://h/ws', env.options),
    open: async (env) => {
        const pulse = await REACH.connecting(env);
        env.WebSocket.last.accept(HB);
        return pulse;
    },
    reconnecting: async (env) => {
        const pulse = await REACH.open(env);
        env.WebSocket.last.serverClose(1006); // the next attempt in 250 ms (random 0.5)
        return pulse;
    },
    offline: async (env) => {
        const pulse = await REACH.reconnecting(env);
        env.window.dispatchEvent(new Event('offline'));
        return pulse;
    },
    paused: async (env) => {
        const pulse = await REACH.open(env);
        env.window.dispatchEvent(new Event('pagehide'));
        return pulse;
    },
    closed: async (env) => {
        const pulse = await REACH.open(env);
        pulse.close();
        return pulse;
    },
};

const live = (env) => env.WebSocket.live.find((ws) => ws.onmessage !== null);

/** What can happen to a client, from the server, the network, the page, time and the application. */
const STIMULI = {
    welcome: (env) => live(env)?.accept(HB),
    lost: (env) => live(env)?.serverClose(1006),
    restart: (env) => live(env)?.serverClose(1012, 'retry-after=3000'),
    refused: (env) => live(env)?.serverClose(4003, 'forbidden'),
    '300ms': (env) => env.clock.advance(300),
    '10s': (env) => env.clock.advance(10_000), // nothing answers meanwhile
    offline: (env) => env.window.dispatchEvent(new Event('offline')),
    online: (env) => env.window.dispatchEvent(new Event('online')),
    pagehide: (env) => env.window.dispatchEvent(new Event('pagehide')),
    pageshow: (env) => env.window.dispatchEvent(new Event('pageshow')),
    focus: (env) => env.window.dispatchEvent(new Event('focus')),
    'close()': (env, pulse) => pulse.close(),
};

/** The state events each stimulus causes in each state ('' for none): the specification of the facade. */
const EXPECTED = {
    idle: { 'close()': 'closed' },
    connecting: {
        welcome: 'open', lost: 'reconnecting', restart: 'reconnecting', refused: 'closed', '10s': 'reconnecting',
        pagehide: 'paused', 'close()': 'closed',
    },
    open: {
        lost: 'reconnecting', restart: 'reconnecting', refused: 'closed', '10s': 'reconnecting connecting',
        pagehide: 'paused', 'close()': 'closed',
    },
    reconnecting: {
        '300ms': 'connecting', '10s': 'connecting', offline: 'offline', online: 'connecting', pagehide: 'paused',
        pageshow: 'connecting', focus: 'connecting', 'close()': 'closed',
    },
    offline: { online: 'connecting', pagehide: 'paused', 'close()': 'closed' },
    paused: { pageshow: 'connecting', 'close()': 'closed' },
    closed: {},
};

test('every stimulus in every state: the state events the table allows, each change once, none skipped', async () => {
    let cells = 0;
    for (const state of STATES) {
        for (const [name, stimulus] of Object.entries(STIMULI)) {
            const env = environment({ random: () => 0.5 });
            const pulse = await REACH[state](env);
            const seen = record(pulse, ['state']);
            await flush();
            assert.equal(pulse.state, state, `reached ${state}`);
            const before = seen.state.length;
            await stimulus(env, pulse);
            await flush();
            const after = seen.state.slice(before);
            const label = `${state} + ${name}`;
            assert.equal(after.map((s) => s.state).join(' '), EXPECTED[state][name] ?? '', label);
            let previous = state;
            for (const change of after) {
                assert.equal(change.previous, previous, `${label}: reported from where it was`);
                assert.ok(Object.values(TRANSITIONS[previous]).includes(change.state), `${label}: ${previous} -> ${change.state} allowed`);
                previous = change.state;
            }
            assert.equal(pulse.state, previous, `${label}: state is the last one reported`);
            assert.ok(env.WebSocket.live.length <= 1, `${label}: never two sockets`);
            if (pulse.state !== 'connecting' && pulse.state !== 'open') {
                assert.equal(live(env), undefined, `${label}: no socket listened to in ${pulse.state}`);
            }
            pulse.close();
            cells++;
        }
    }
    assert.equal(cells, STATES.length * Object.keys(STIMULI).length);
});

test('the first events, including idle -> connecting, reach listeners added right after connect()', async () => {
    const env = environment();
    const pulse = Pulse.connect('ws://h/ws', env.options);
    const seen = record(pulse, ['state', 'welcome']);
    env.WebSocket.last.accept(HB); // a server that answers within the same task (only fakes do)
    assert.equal(pulse.state, 'open', 'the state is current at once');
    assert.equal(seen.state.length, 0, 'the events come at the end of the task');
    await flush();
    assert.deepEqual(seen.state.map((s) => `${s.previous}->${s.state}`), ['idle->connecting', 'connecting->open']);
    assert.equal(seen.welcome.length, 1);
    pulse.close();
});

test('a listener that closes the client from a state event stops whatever that state would have started', async () => {
    const env = environment();
    const pulse = Pulse.connect('ws://h/ws', env.options);
    await flush();
    env.WebSocket.last.accept(HB);
    pulse.on('state', ({ state }) => state === 'reconnecting' && pulse.close());
    env.WebSocket.last.serverClose(1006);
    await env.clock.advance(60_000);
    assert.equal(pulse.state, 'closed');
    assert.equal(env.WebSocket.instances.length, 1, 'no retry after close()');
    assert.equal(env.clock.pending, 0, 'no timer left');
});
