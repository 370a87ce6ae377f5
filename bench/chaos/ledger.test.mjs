// node --test bench/chaos/ : the chaos run's bookkeeping, so that a hole it reports is the server's, not the bench's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fresh, apply, account, subscribeMessage } from './ledger.mjs';

const T = 't';
const sub = (epoch, seq) => ({ type: 'subscribed', topic: T, epoch, seq });
const msg = (epoch, seq) => ({ type: 'message', topic: T, epoch, seq });
const gap = (from, to, reason) => ({ type: 'gap', topic: T, from, to, reason });
const run = (events) => { const s = fresh(); events.forEach((e) => apply(s, e)); return s; };
const kinds = (s) => s.anomalies.map((a) => a.kind);

test('in order, resumed after a reconnect in the same epoch: every acked seq after the start delivered', () => {
    const s = run([sub('A', 3), msg('A', 4), msg('A', 5)]);
    assert.deepEqual(subscribeMessage(s, T, true), { type: 'subscribe', topic: T, since: 5, epoch: 'A', presence: true });
    [sub('A', 7), msg('A', 6), msg('A', 7), msg('A', 8)].forEach((e) => apply(s, e));
    assert.deepEqual(kinds(s), []);
    const r = account(s, new Map([['A', [1, 2, 3, 4, 5, 6, 7, 8]]]), ['A']);
    assert.equal(r.due, 5);
    assert.equal(r.delivered, 5);
    assert.equal(r.holes, 0);
});

test('a skipped seq is a hole, and counted against the acks', () => {
    const s = run([sub('A', 0), msg('A', 1), msg('A', 3)]);
    assert.deepEqual(kinds(s), ['hole']);
    assert.equal(account(s, new Map([['A', [1, 2, 3]]]), ['A']).holes, 1);
});

test('a seq twice is a duplicate; a lower one after a higher one a reorder', () => {
    assert.deepEqual(kinds(run([sub('A', 0), msg('A', 1), msg('A', 2), msg('A', 2)])), ['duplicate']);
    const s = run([sub('A', 0), msg('A', 1), msg('A', 3), msg('A', 2)]);
    assert.deepEqual(kinds(s), ['reorder']);
    assert.equal(account(s, new Map([['A', [1, 2, 3]]]), ['A']).delivered, 3);
});

test('an expired gap covers what it names', () => {
    const s = run([sub('A', 0), msg('A', 1), sub('A', 9), gap(2, 5, 'expired'), msg('A', 6), msg('A', 7)]);
    assert.deepEqual(kinds(s), []);
    const r = account(s, new Map([['A', [1, 2, 3, 4, 5, 6, 7]]]), ['A']);
    assert.deepEqual([r.delivered, r.coveredExpired, r.holes], [3, 4, 0]);
});

test('a restart: reset covers the rest of the old epoch and the new one below the first replayed seq', () => {
    const s = run([sub('A', 0), msg('A', 1), sub('B', 4), gap(null, null, 'reset'), msg('B', 3), msg('B', 4)]);
    assert.deepEqual(kinds(s), []);
    const r = account(s, new Map([['A', [1, 2]], ['B', [1, 2, 3, 4]]]), ['A', 'B']);
    assert.deepEqual([r.delivered, r.coveredReset, r.holes], [3, 3, 0]);
});

test('another epoch without a reset gap is a silent hole', () => {
    const s = run([sub('A', 0), msg('A', 1), msg('B', 1)]);
    assert.deepEqual(kinds(s), ['epoch-changed-without-gap']);
    assert.equal(account(s, new Map([['A', [1, 2]], ['B', [1]]]), ['A', 'B']).holes, 1);
});

test('the state survives JSON (a worker killed, its clients resumed from what the driver kept)', () => {
    const s = JSON.parse(JSON.stringify(run([sub('A', 0), msg('A', 1), msg('A', 2)])));
    [sub('A', 5), msg('A', 3), msg('A', 4), msg('A', 5)].forEach((e) => apply(s, e));
    assert.deepEqual(kinds(s), []);
    assert.equal(account(s, new Map([['A', [1, 2, 3, 4, 5]]]), ['A']).delivered, 5);
});
