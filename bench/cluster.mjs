// The cluster scenarios (run.sh --scenario=cluster): a single node with the memory store (the reference) and two
// nodes sharing one Redis, all started by run.sh. Measures cross-node fan-out against single-node fan-out, idle
// cost of store=redis against store=memory, and publish throughput of one topic through the Redis script.
// Appends one JSON line per run to results/results.jsonl and writes results/summary-cluster.md
// (smoke-cluster.md for --smoke). Exits 1 on a lost subscriber or an undelivered or out-of-order message.
import { execFileSync } from 'node:child_process';
import { readFileSync, appendFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { parseArgs, sleep, round, procCpu, procRssKiB, machineCpu, pct } from './lib/proc.mjs';
import { forkAsking } from './lib/ipc.mjs';

const args = parseArgs();
const smoke = args.smoke === 'true';
const only = args.only ?? 'all';
const perProcess = Number(args['per-process'] ?? 3500);
const resultsDir = new URL('./results/', import.meta.url);

const node = (name, store) => ({ name, store, url: args[name], pid: Number(args[`${name}-pid`]) });
const mem = args.mem ? node('mem', 'memory') : null; // the reference; not started for --smoke
const nodeA = node('a', 'redis');
const nodeB = node('b', 'redis');
const redis = { port: Number(args['redis-port']), pid: Number(args['redis-pid']) };
const servers = [mem, nodeA, nodeB].filter(Boolean);
const started = Date.now();
const phase = (what) => console.error(`[cluster bench +${Math.round((Date.now() - started) / 1000)} s] ${what}`);

// ---- measuring ------------------------------------------------------------------------------------------------
function liveHeapKiB(pid) {
    if (smoke) {
        return null; // a full GC and a class histogram: seconds the smoke does not need
    }
    try {
        const total = execFileSync('jcmd', [String(pid), 'GC.class_histogram'], { encoding: 'utf8', maxBuffer: 64 << 20 })
            .trim().split('\n').pop().trim().split(/\s+/);
        return total[0] === 'Total' ? Math.round(Number(total[2]) / 1024) : null;
    } catch {
        return null;
    }
}
function redisInfo() {
    const text = execFileSync('redis-cli', ['-p', String(redis.port), 'info'], { encoding: 'utf8' });
    const get = (k) => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { commands: get('total_commands_processed'), usedMemory: get('used_memory') };
}
function redisCall(...cmd) {
    return execFileSync('redis-cli', ['-p', String(redis.port), ...cmd], { encoding: 'utf8' }).trim();
}
/** /api/stats of a node ({} when it does not answer after a few tries: an overloaded node is a figure, not a crash). */
async function api(n, path) {
    for (let attempt = 0; ; attempt++) {
        try {
            const r = await fetch(n.url + path, { signal: AbortSignal.timeout(10_000) });
            if (r.ok) return await r.json();
        } catch {
            // timed out, refused or not JSON: try again
        }
        if (attempt >= 4) {
            console.error(`[cluster bench] ${n.name}${path} did not answer`);
            return {};
        }
        await sleep(1000);
    }
}

/**
 * CPU of our processes over a window: each server, redis-server, and whatever else is passed (load generators,
 * the publisher), plus how busy the machine was and how much of that was nobody of ours (other work).
 */
function cpuMark(extraPids = []) {
    const pids = [...servers.map((s) => s.pid), redis.pid, ...extraPids];
    return { at: Date.now(), machine: machineCpu(), redis: redis.port ? redisInfo() : null,
        procs: Object.fromEntries(pids.map((p) => [p, procCpu(p)])) };
}
function cpuSince(m0) {
    const m1 = cpuMark(Object.keys(m0.procs).map(Number).filter((p) => !servers.some((s) => s.pid === p) && p !== redis.pid));
    const secs = (m1.at - m0.at) / 1000;
    const per = {};
    let ours = 0;
    for (const [pid, c0] of Object.entries(m0.procs)) {
        const c1 = m1.procs[pid];
        if (c0 && c1) {
            const used = c1.user + c1.system - c0.user - c0.system;
            per[pid] = { cpu: used / secs, kernel: (c1.system - c0.system) / Math.max(0.01, used) };
            ours += used;
        }
    }
    const cores = os.cpus().length;
    const busy = (m1.machine.busy - m0.machine.busy) / (m1.machine.total - m0.machine.total);
    const cpuOf = (pid) => round(per[pid]?.cpu ?? null);
    return {
        seconds: secs, per, cpuOf,
        machineBusy: round(busy),
        otherWorkCores: round(Math.max(0, busy * cores - ours / secs), 2), // busy cores not ours: other work running
        redisCommandsPerSecond: m0.redis && m1.redis ? round((m1.redis.commands - m0.redis.commands) / secs, 1) : null,
    };
}

// ---- load generators -----------------------------------------------------------------------------------------
let nextAddress = 2; // each generator binds its own 127.0.0.x, never reused in a run (TIME_WAIT of the last one)
async function generators(target, total, extra = {}) {
    const n = Math.max(1, Math.ceil(total / perProcess));
    const gens = [];
    for (let i = 0; i < n; i++) {
        const count = Math.floor(total / n) + (i < total % n ? 1 : 0);
        const address = nextAddress++;
        const cfg = { url: target.url.replace(/^http/, 'ws') + '/ws', count, localAddress: `127.0.0.${address}`, ...extra };
        if (extra.userPrefix) cfg.userPrefix = `${extra.userPrefix}${address}-`;
        const { child, ask } = forkAsking(new URL('./loadgen.mjs', import.meta.url), { PULSE_LOADGEN: JSON.stringify(cfg) });
        gens.push({ child, count, ask, node: target });
    }
    return gens;
}
const all = (gens, msg) => Promise.all(gens.map((g) => g.ask(msg)));
const reports = async (gens) => (await all(gens, { cmd: 'report' })).map((m) => m.report);

/** Waits until a node has no connections and (redis) nobody is in a presence grace period any more. */
async function settle(n, maxMs = 40_000) {
    const until = Date.now() + maxMs;
    while (Date.now() < until) {
        const conns = (await api(n, '/api/stats')).connections;
        const leaving = n.store === 'redis' ? Number(redisCall('zcard', 'pulse:leaving')) : 0;
        if (conns === 0 && leaving === 0) {
            await sleep(smoke ? 500 : 2000);
            return;
        }
        await sleep(500);
    }
}

// ---- scenarios -----------------------------------------------------------------------------------------------
/** Idle cost of one node's store: CPU with no connections, then with `clients` named users answering Pings. */
async function idle(n, clients, seconds, baseSeconds) {
    await settle(n);
    const base = cpuSince(await (async () => { const m = cpuMark(); await sleep(baseSeconds * 1000); return m; })());
    const heapBefore = liveHeapKiB(n.pid);
    const rssBefore = procRssKiB(n.pid);
    const redisBefore = redisInfo().usedMemory;
    const gens = await generators(n, clients, { userPrefix: `u${n.name}` });
    const t0 = Date.now();
    const connected0 = await all(gens, { cmd: 'connect' });
    const connectAllMs = Date.now() - t0;
    await all(gens, { cmd: 'resetPings' });
    const hb0 = (await api(n, '/api/stats')).heartbeat ?? { ticks: NaN };
    const m0 = cpuMark(gens.map((g) => g.child.pid));
    await sleep(seconds * 1000);
    const w = cpuSince(m0);
    const hb1 = (await api(n, '/api/stats')).heartbeat ?? { ticks: NaN };
    const rssAfter = procRssKiB(n.pid);
    const redisAfter = redisInfo().usedMemory;
    const heapAfter = liveHeapKiB(n.pid); // after the window: a full GC must not count as idle CPU
    const rs = await reports(gens);
    const store = (await api(n, '/api/stats')).store ?? null;
    await all(gens, { cmd: 'stop' });
    const connected = rs.reduce((a, r) => a + r.connected, 0);
    const closes = rs.reduce((a, r) => a + r.closes.length, 0);
    const closeCodes = {};
    for (const c of rs.flatMap((r) => r.closes)) closeCodes[c.code] = (closeCodes[c.code] ?? 0) + 1;
    const pings = rs.reduce((a, r) => a + r.pings.reduce((x, y) => x + y, 0), 0);
    const genCpu = gens.reduce((a, g) => a + (w.per[g.child.pid]?.cpu ?? 0), 0);
    void connected0;
    return {
        scenario: 'cluster-idle', store: n.store, node: n.name, clients, seconds,
        connected, unexpectedCloses: closes, closeCodes, connectAllMs,
        cpuAt0: base.cpuOf(n.pid), cpuAtN: w.cpuOf(n.pid), cpuKernelShareAtN: round(w.per[n.pid]?.kernel ?? null, 2),
        cpuPerThousandConns: round(((w.cpuOf(n.pid) ?? 0) - (base.cpuOf(n.pid) ?? 0)) / (clients / 1000)),
        rssPerConnKiB: round((rssAfter - rssBefore) / clients, 2),
        liveHeapPerConnKiB: heapBefore === null || heapAfter === null ? null : round((heapAfter - heapBefore) / clients, 2),
        pingsPerClientPerSecond: round(pings / clients / w.seconds),
        ticksPerSecond: round((hb1.ticks - hb0.ticks) / w.seconds, 2),
        redisCommandsPerSecondAt0: base.redisCommandsPerSecond, redisCommandsPerSecondAtN: w.redisCommandsPerSecond,
        redisCpuAt0: base.cpuOf(redis.pid), redisCpuAtN: w.cpuOf(redis.pid),
        redisMemoryPerConnBytes: round((redisAfter - redisBefore) / clients, 0),
        otherNodesCpuAtN: round(servers.filter((s) => s !== n).reduce((a, s) => a + (w.cpuOf(s.pid) ?? 0), 0)),
        loadGenCpu: round(genCpu), machineBusy: w.machineBusy, otherWorkCores: w.otherWorkCores,
        storeErrors: store?.errors ?? null, probeFailures: store?.probeFailures ?? null,
    };
}

function checkOrder(rs, expectedFirst, expectedLast, expectedCount) {
    let incomplete = 0;
    let disorder = 0;
    let subscribed = 0;
    for (const r of rs) {
        for (const [subSeq, received, lastSeq, bad] of r.order) {
            subscribed++;
            if (bad > 0) disorder++;
            if (received !== expectedCount || lastSeq !== expectedLast || subSeq !== expectedFirst - 1) incomplete++;
        }
    }
    return { subscribed, incomplete, disorder };
}

/** Fan-out of `publishes` messages published over HTTP on `pub` to subscribers spread over `spread` nodes. */
async function fanout(label, spread, pub, clients, publishes, gapMs, bytes) {
    const topic = `bench.${label}.${Date.now()}`;
    for (const n of spread) await settle(n);
    const perNode = spread.map((n, i) => ({ n, count: Math.floor(clients / spread.length) + (i < clients % spread.length ? 1 : 0) }));
    const genSets = [];
    for (const { n, count } of perNode) genSets.push({ n, gens: await generators(n, count, { topic }) });
    const allGens = genSets.flatMap((s) => s.gens);
    await all(allGens, { cmd: 'connect' });
    const stats0 = Object.fromEntries(await Promise.all(spread.map(async (n) => [n.name, (await api(n, '/api/stats')).store])));
    const m0 = cpuMark(allGens.map((g) => g.child.pid));
    const pad = 'x'.repeat(Math.max(0, bytes - 40));
    const seqs = [];
    const refused = [];
    for (let i = 0; i < publishes; i++) {
        const r = await fetch(`${pub.url}/api/topics/${topic}/messages`, {
            method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ n: i, t: Date.now(), pad }),
        });
        const body = await r.json().catch(() => ({}));
        if (r.status === 202) seqs.push(body.seq);
        else refused.push(r.status);
        await sleep(gapMs);
    }
    // wait for the last deliveries (at most 30 s); the latencies are taken on arrival, so waiting adds nothing to them
    const want = clients * seqs.length;
    let rs;
    for (let waited = 0; ; waited += 500) {
        await sleep(500);
        rs = await Promise.all(genSets.map(async (s) => ({ n: s.n, reports: await reports(s.gens) })));
        const got = rs.reduce((a, s) => a + s.reports.reduce((b, r) => b + r.latencies.length, 0), 0);
        if (got >= want || waited > 30_000) break;
    }
    const w = cpuSince(m0);
    const stats1 = Object.fromEntries(await Promise.all(spread.map(async (n) => [n.name, (await api(n, '/api/stats')).store])));
    await all(allGens, { cmd: 'stop' });
    const first = seqs[0] ?? 0;
    const last = seqs.at(-1) ?? 0;
    const consecutive = seqs.every((s, i) => s === first + i);
    const perNodeResults = rs.map(({ n, reports: nr }) => {
        const lat = nr.flatMap((r) => r.latencies.map(([, ms]) => ms)).sort((a, b) => a - b);
        const count = perNode.find((p) => p.n === n).count;
        const order = checkOrder(nr, first, last, seqs.length);
        const d = (k) => (stats0[n.name] && stats1[n.name] ? stats1[n.name][k] - stats0[n.name][k] : null);
        return {
            node: n.name, role: n === pub ? 'local' : 'remote', subscribers: count, subscribed: order.subscribed,
            subscribeErrors: nr.flatMap((r) => r.subscribeErrors ?? []).reduce((a, c) => ({ ...a, [c]: (a[c] ?? 0) + 1 }), {}),
            closeCodes: nr.flatMap((r) => r.closes).reduce((a, c) => ({ ...a, [c.code]: (a[c.code] ?? 0) + 1 }), {}),
            closes: nr.reduce((a, r) => a + r.closes.length, 0),
            deliveries: lat.length, deliveryRatio: round(lat.length / (count * publishes), 4),
            clientsIncomplete: order.incomplete, clientsOutOfOrder: order.disorder,
            p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99), maxMs: lat.at(-1) ?? null,
            serverCpuSeconds: round((w.cpuOf(n.pid) ?? 0) * w.seconds, 2),
            catchUpReads: d('catchUpReads'), caughtUp: d('caughtUp'), storeErrors: d('errors'),
            resubscribed: d('resubscribed'), probeFailures: d('probeFailures'),
            storeLagMs: stats1[n.name] ? stats1[n.name].lagMs : null,
        };
    });
    const allLat = rs.flatMap((s) => s.reports.flatMap((r) => r.latencies.map(([, ms]) => ms))).sort((a, b) => a - b);
    const genCpu = allGens.reduce((a, g) => a + (w.per[g.child.pid]?.cpu ?? 0) * w.seconds, 0);
    return {
        scenario: 'cluster-fanout', setup: label, clients, publishes, bytes, publishedOn: pub.name,
        published: seqs.length, refused: refused.length, seqsConsecutive: consecutive,
        deliveryRatio: round(allLat.length / (clients * publishes), 4),
        p50Ms: pct(allLat, 0.5), p99Ms: pct(allLat, 0.99), maxMs: allLat.at(-1) ?? null,
        perNode: perNodeResults,
        redisCpuSeconds: round((w.cpuOf(redis.pid) ?? 0) * w.seconds, 2),
        loadGenCpuSeconds: round(genCpu, 2), machineBusy: w.machineBusy, otherWorkCores: w.otherWorkCores,
    };
}

/** Messages/s of one topic from K concurrent HTTP publishers on `pub`, one subscriber on `sub`, K rising until flat. */
async function throughput(label, pub, sub, ks, seconds, bytes) {
    const topic = `bench.${label}.${Date.now()}`;
    await settle(pub);
    await settle(sub);
    const subGens = await generators(sub, 1, { topic });
    await all(subGens, { cmd: 'connect' });
    const { child: publisher, ask } = forkAsking(new URL('./publisher.mjs', import.meta.url));
    const steps = [];
    let best = null;
    let flat = 0;
    for (const k of ks) {
        const m0 = cpuMark([publisher.pid, subGens[0].child.pid]);
        const { report } = await ask({ cmd: 'step', url: pub.url, topic, k, seconds, bytes });
        const w = cpuSince(m0);
        const row = {
            k, messagesPerSecond: round(report.accepted / report.elapsed, 0), accepted: report.accepted,
            refused: Object.entries(report.statuses).filter(([s]) => s !== '202').reduce((a, [, c]) => a + c, 0),
            duplicates: report.duplicates, firstSeq: report.firstSeq, lastSeq: report.lastSeq,
            httpP50Ms: report.httpP50Ms, httpP99Ms: report.httpP99Ms,
            cpuPublishNode: w.cpuOf(pub.pid), cpuSubscribeNode: pub === sub ? null : w.cpuOf(sub.pid),
            cpuRedis: pub.store === 'redis' ? w.cpuOf(redis.pid) : null, cpuPublisher: w.cpuOf(publisher.pid),
            cpuSubscriber: w.cpuOf(subGens[0].child.pid), machineBusy: w.machineBusy, otherWorkCores: w.otherWorkCores,
        };
        steps.push(row);
        if (!best || row.messagesPerSecond > best.messagesPerSecond * 1.05) {
            best = row;
            flat = 0;
        } else if (++flat >= 2) {
            break; // two steps in a row without 5 % more than the best: it stopped growing
        }
    }
    await ask({ cmd: 'stop' });
    const total = steps.reduce((a, s) => a + s.accepted, 0);
    const lastSeq = Math.max(...steps.map((s) => s.lastSeq ?? 0));
    let r;
    for (let waited = 0; ; waited += 500) {
        await sleep(500);
        [r] = await reports(subGens);
        if ((r.order[0]?.[2] ?? 0) >= lastSeq || waited > 15_000) break;
    }
    await all(subGens, { cmd: 'stop' });
    const [subSeq, received, seenLast, disorder] = r.order[0] ?? [null, 0, null, null];
    const byK = {};
    for (const [k, ms] of r.latencies) (byK[k] ??= []).push(ms);
    for (const s of steps) {
        const lat = (byK[s.k] ?? []).sort((a, b) => a - b);
        s.deliveryP50Ms = pct(lat, 0.5);
        s.deliveryP99Ms = pct(lat, 0.99);
    }
    const at = best;
    const verdict = at.cpuRedis !== null && at.cpuRedis >= 0.9 ? 'Redis (one core)'
        : at.machineBusy >= 0.9 ? `machine CPU (${os.cpus().length} cores busy; publish node ${at.cpuPublishNode}, `
            + `subscribe node ${at.cpuSubscribeNode ?? '-'}, Redis ${at.cpuRedis ?? '-'}, publisher ${at.cpuPublisher} s/s)`
            : `neither CPU saturated (publish node ${at.cpuPublishNode} s/s): latency-bound`;
    return {
        scenario: 'cluster-throughput', setup: label, publishOn: pub.name, subscribeOn: sub.name, bytes, stepSeconds: seconds,
        maxMessagesPerSecond: best.messagesPerSecond, saturatesAtK: best.k, saturation: verdict,
        published: total, subscriberSeqAtSubscribe: subSeq, delivered: received, lastDelivered: seenLast,
        outOfOrder: disorder, subscriberClosed: r.closes.length,
        undelivered: total - received,
        steps,
    };
}

// ---- run -----------------------------------------------------------------------------------------------------
const meta = {
    date: new Date().toISOString(), machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.cpus()[0].model}`,
    server: 'Payara Micro 6.2025.10', smoke,
};
const idleClients = Number(args['idle-clients'] ?? (smoke ? 100 : 10_000));
const fanClients = Number(args.clients ?? (smoke ? 100 : 10_000));
const runs = [];
mkdirSync(resultsDir, { recursive: true });
/** Each run is written as soon as it is done, so a run stopped later keeps what it measured. */
const record = (run) => {
    runs.push(run);
    appendFileSync(new URL('results.jsonl', resultsDir), JSON.stringify({ ...meta, ...run }) + '\n');
    console.log(JSON.stringify(run));
};
if (only === 'all' || only === 'idle') {
    for (const n of [mem, nodeA].filter(Boolean)) {
        phase(`idle ${n.store}, ${idleClients} clients`);
        record(await idle(n, idleClients, smoke ? 3 : 30, smoke ? 2 : 10));
    }
}
if (only === 'all' || only === 'fanout') {
    if (mem) {
        phase(`fan-out single node, ${fanClients} subscribers`);
        record(await fanout('single', [mem], mem, fanClients, smoke ? 3 : 10, smoke ? 300 : 500, 100));
    }
    phase(`fan-out two nodes, ${fanClients} subscribers`);
    record(await fanout('cluster', [nodeA, nodeB], nodeA, fanClients, smoke ? 3 : 10, smoke ? 300 : 500, 100));
}
if (only === 'all' || only === 'throughput') {
    const ks = smoke ? [1, 4] : [1, 2, 4, 8, 16, 32, 64, 128, 256];
    if (mem) {
        phase('throughput single node');
        record(await throughput('single', mem, mem, ks, smoke ? 1 : 5, 100));
    }
    phase('throughput two nodes');
    record(await throughput('cluster', nodeA, nodeB, ks, smoke ? 1 : 5, 100));
}
phase('done');
/** What the Redis nodes logged about each other: false deaths, missed probes (from results/cluster-<node>.log). */
function storeEvents(n) {
    let text = '';
    try {
        text = readFileSync(new URL(`cluster-${n.name}.log`, resultsDir), 'utf8');
    } catch {
        return null;
    }
    const count = (re) => (text.match(re) ?? []).length;
    return { node: n.name, takenForDead: count(/was taken for dead/g), sawOtherSilent: count(/silent since \d+ ms: its sessions leave presence/g),
        subscriptionDeaf: count(/the subscription stopped delivering/g) };
}
const events = [nodeA, nodeB].map(storeEvents).filter(Boolean);
record({ scenario: 'cluster-store-events', nodes: events });
const hb = (await api(nodeA, '/api/stats')).heartbeat ?? { interval: '?', timeout: '?' };

// ---- summary ---------------------------------------------------------------------------------------------------
const ratio = (a, b) => (a === null || b === null || !b ? '-' : `${round(a / b, 2)}×`);
const lines = [`# Pulse cluster bench ${meta.date}${smoke ? ' (smoke)' : ''}`, '',
    `Machine: ${meta.machine}. ${meta.server}, heartbeat ${hb.interval} ms / ${hb.timeout} ms; `
    + `${mem ? 'reference: one node, store=memory; ' : ''}cluster: two nodes, store=redis (redis-server ${redisCall('info', 'server').match(/redis_version:(\S+)/)?.[1]}).`, ''];
const idles = runs.filter((r) => r.scenario === 'cluster-idle');
if (idles.length) {
    const m = idles.find((r) => r.store === 'memory');
    const r = idles.find((x) => x.store === 'redis');
    const cols = [m, r].filter(Boolean);
    lines.push(`## Idle, ${idles[0].clients} named clients (Pings every ${hb.interval} ms), ${idles[0].seconds} s`, '',
        `| figure | ${cols.map((c) => c.store).join(' | ')} |${m && r ? ' redis ÷ memory |' : ''}`, `|---|${cols.map(() => '---|').join('')}${m && r ? '---|' : ''}`);
    for (const k of ['cpuAt0', 'cpuAtN', 'cpuPerThousandConns', 'rssPerConnKiB', 'liveHeapPerConnKiB', 'pingsPerClientPerSecond',
        'ticksPerSecond', 'connectAllMs', 'redisCommandsPerSecondAt0', 'redisCommandsPerSecondAtN', 'redisCpuAt0', 'redisCpuAtN',
        'redisMemoryPerConnBytes', 'unexpectedCloses', 'closeCodes', 'otherNodesCpuAtN', 'loadGenCpu', 'machineBusy', 'otherWorkCores']) {
        const rel = m && r ? ` ${['cpuAtN', 'cpuPerThousandConns', 'rssPerConnKiB', 'liveHeapPerConnKiB'].includes(k) ? ratio(r[k], m[k]) : ''} |` : '';
        lines.push(`| ${k} | ${cols.map((c) => (typeof c[k] === 'object' && c[k] !== null ? JSON.stringify(c[k]) : c[k] ?? '-')).join(' | ')} |${rel}`);
    }
    lines.push('');
}
const fans = runs.filter((r) => r.scenario === 'cluster-fanout');
if (fans.length) {
    const single = fans.find((f) => f.setup === 'single');
    lines.push(`## Fan-out, ${fans[0].clients} subscribers, ${fans[0].publishes} HTTP publishes of ${fans[0].bytes} B`, '',
        '| setup | node | subscribers | p50 / p99 / max ms | ÷ single node (p50 / p99 / max) | delivery ratio | incomplete / out of order | catch-up reads | server CPU s |',
        '|---|---|---|---|---|---|---|---|---|');
    for (const f of fans) {
        for (const p of f.perNode) {
            const rel = single && f !== single ? `${ratio(p.p50Ms, single.p50Ms)} / ${ratio(p.p99Ms, single.p99Ms)} / ${ratio(p.maxMs, single.maxMs)}` : '';
            lines.push(`| ${f.setup} | ${p.node} (${f.setup === 'single' ? 'memory' : p.role}) | ${p.subscribers} | ${p.p50Ms} / ${p.p99Ms} / ${p.maxMs} | ${rel} | ${p.deliveryRatio} | ${p.clientsIncomplete} / ${p.clientsOutOfOrder} | ${p.catchUpReads ?? '-'} | ${p.serverCpuSeconds} |`);
        }
        lines.push(`| ${f.setup} | all | ${f.clients} | ${f.p50Ms} / ${f.p99Ms} / ${f.maxMs} | ${single && f !== single ? `${ratio(f.p50Ms, single.p50Ms)} / ${ratio(f.p99Ms, single.p99Ms)} / ${ratio(f.maxMs, single.maxMs)}` : ''} | ${f.deliveryRatio} | | | Redis ${f.redisCpuSeconds} |`);
    }
    lines.push('', `Machine busy ${fans.map((f) => `${f.setup} ${f.machineBusy}`).join(', ')}; other work (cores): ${fans.map((f) => `${f.setup} ${f.otherWorkCores}`).join(', ')}.`, '');
}
for (const t of runs.filter((r) => r.scenario === 'cluster-throughput')) {
    lines.push(`## Throughput, ${t.setup}: HTTP publishers on ${t.publishOn}, subscriber on ${t.subscribeOn}, ${t.bytes} B, ${t.stepSeconds} s per step`, '',
        `Max ${t.maxMessagesPerSecond} messages/s at K=${t.saturatesAtK}; bound by ${t.saturation}. Delivered ${t.delivered}/${t.published}, out of order ${t.outOfOrder}.`, '',
        '| K | msg/s | HTTP p50/p99 ms | delivery p50/p99 ms | CPU s/s: publish node / subscribe node / Redis / publisher | machine busy | other work (cores) | refused |',
        '|---|---|---|---|---|---|---|---|');
    for (const s of t.steps) {
        lines.push(`| ${s.k} | ${s.messagesPerSecond} | ${s.httpP50Ms}/${s.httpP99Ms} | ${s.deliveryP50Ms}/${s.deliveryP99Ms} | ${s.cpuPublishNode} / ${s.cpuSubscribeNode ?? '-'} / ${s.cpuRedis ?? '-'} / ${s.cpuPublisher} | ${s.machineBusy} | ${s.otherWorkCores} | ${s.refused} |`);
    }
    lines.push('');
}
lines.push('## Store events logged by the Redis nodes over the whole run', '', '| node | taken for dead by the other | saw the other silent (its sessions left presence) | subscription deaf (resubscribed) |', '|---|---|---|---|');
for (const e of events) lines.push(`| ${e.node} | ${e.takenForDead} | ${e.sawOtherSilent} | ${e.subscriptionDeaf} |`);
lines.push('');
writeFileSync(new URL(smoke ? 'smoke-cluster.md' : 'summary-cluster.md', resultsDir), lines.join('\n'));

// ---- failures: a lost subscriber, an undelivered or out-of-order message -------------------------------------------
const failures = [];
for (const r of runs) {
    if (r.scenario === 'cluster-idle' && (r.connected !== r.clients || r.unexpectedCloses !== 0)) {
        failures.push(`idle ${r.store}: ${r.connected}/${r.clients} connected, ${r.unexpectedCloses} unexpected closes`);
    }
    if (r.scenario === 'cluster-fanout') {
        if (r.refused || !r.seqsConsecutive) failures.push(`fanout ${r.setup}: ${r.refused} publishes refused, seqs consecutive ${r.seqsConsecutive}`);
        for (const p of r.perNode) {
            if (p.subscribed !== p.subscribers || p.closes || p.deliveryRatio !== 1 || p.clientsIncomplete || p.clientsOutOfOrder) {
                failures.push(`fanout ${r.setup} node ${p.node}: ${p.subscribed}/${p.subscribers} subscribed (refused: ${JSON.stringify(p.subscribeErrors)}), ${p.closes} closed (${JSON.stringify(p.closeCodes)}), ratio ${p.deliveryRatio}, ${p.clientsIncomplete} incomplete, ${p.clientsOutOfOrder} out of order`);
            }
        }
    }
    if (r.scenario === 'cluster-throughput') {
        const refused = r.steps.reduce((a, s) => a + s.refused + s.duplicates, 0);
        if (r.undelivered !== 0 || r.outOfOrder !== 0 || r.subscriberClosed || refused) {
            failures.push(`throughput ${r.setup}: ${r.undelivered} undelivered, ${r.outOfOrder} out of order, subscriber closed ${r.subscriberClosed}, ${refused} refused or duplicate`);
        }
    }
}
if (failures.length) {
    console.error('cluster bench failed: ' + failures.join('; '));
    process.exit(1);
}
console.log(`${runs.filter((r) => r.scenario !== 'cluster-store-events').length} passed, 0 failed`);
