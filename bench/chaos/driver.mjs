// The chaos scenario (bench/run.sh --scenario=chaos): a server (restarted by this driver), a TCP relay in front of
// it, N named clients in worker processes (each subscribed to 1 of the topics, some with presence, resuming with
// since/epoch), one publisher at a steady rate over HTTP and WebSocket, and faults injected at random: worker
// SIGKILLs (restarted; their clients resume from the state this driver keeps), half-open links and resets through
// the relay, SIGSTOP/SIGCONT of workers, slow readers, two drain restarts and one SIGKILL of the server.
// At the end every subscription is checked against every seq the server acknowledged (ledger.mjs), presence is
// checked against who was connected, and report.mjs writes the figures. Exit 1 on a hole, duplicate or reorder.
import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import WebSocket from 'ws';
import { parseArgs, sleep } from '../lib/proc.mjs';
import { asking } from '../lib/ipc.mjs';
import { fresh } from './ledger.mjs';
import { Server } from './server.mjs';
import { Faults } from './faults.mjs';
import { writeReport } from './report.mjs';

const args = parseArgs();
const smoke = args.smoke === 'true';
const kind = args.server ?? 'payara';
const port = Number(args.port ?? 18290);
const cfg = {
    kind, smoke, port,
    relayPort: port + 1,
    duration: Number(args.duration ?? (smoke ? 30 : 600)) * 1000,
    clients: Number(args.clients ?? (smoke ? 200 : 2000)),
    topics: Number(args.topics ?? 20),
    presenceTopics: Number(args['presence-topics'] ?? 5),
    workers: Number(args.workers ?? (smoke ? 4 : 10)),
    httpRate: Number(args['http-rate'] ?? (smoke ? 20 : 30)), // publishes per second over all topics
    wsRate: Number(args['ws-rate'] ?? (smoke ? 10 : 20)),
    seed: Number(args.seed ?? Date.now() % 1_000_000),
    heartbeat: { interval: 1000, timeout: 2000 },
    grace: 5000,
    serverFaults: args['server-faults'] ? args['server-faults'].split(',').filter(Boolean) : null, // drain | kill, in order
};
const resultsDir = new URL('../results/', import.meta.url);
mkdirSync(resultsDir, { recursive: true });
const t0 = Date.now();
const log = (what) => console.error(`[chaos +${((Date.now() - t0) / 1000).toFixed(1)} s] ${what}`);
const topicOf = (i) => `chaos.t${i}`;
const topics = Array.from({ length: cfg.topics }, (_, i) => topicOf(i));
const presenceTopics = new Set(topics.slice(0, cfg.presenceTopics));

// ---- the server ------------------------------------------------------------------------------------------------
const server = new Server({
    kind, port, dir: args.dir, log: new URL(`chaos-server-${kind}.log`, resultsDir).pathname,
    env: {
        PULSE_HEARTBEAT_INTERVAL: String(cfg.heartbeat.interval), PULSE_HEARTBEAT_TIMEOUT: String(cfg.heartbeat.timeout),
        PULSE_LIMITS_PER_ADDRESS: '0', PULSE_RATE_MESSAGES_PER_SECOND: '1000', PULSE_IDENTITY_QUERY_PARAM: 'true',
        PULSE_SHUTDOWN_RESTART: 'true', PULSE_PRESENCE_GRACE: String(cfg.grace),
        BENCH_WILDFLY_MGMT_PORT: String(port + 2),
    },
});
/** One per server start: when, its pid, its topics' epochs (from the probe), its last stats and /proc samples. */
const incarnations = [];
const samples = [];
let serverDown = false;

async function startServer() {
    await server.start();
    const inc = { n: server.incarnation, pid: server.pid, spawnAt: server.spawnAt, readyAt: server.readyAt, diedAt: null, how: null,
        epochs: {}, lastSeq: {}, stats: null, atReady: { ...server.sample(), connections: (await server.stats())?.connections ?? null } };
    incarnations.push(inc);
    log(`server #${inc.n} ready (pid ${inc.pid}, ${((inc.readyAt - inc.spawnAt) / 1000).toFixed(1)} s to start)`);
    serverDown = false;
    probe(inc);
    return inc;
}
const current = () => incarnations.at(-1);

/**
 * The probe: one WebSocket straight to the server, subscribed to every topic: names each incarnation's epochs (acks
 * carry no epoch) and the last seq of each topic at the end.
 */
function probe(inc) {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`, { perMessageDeflate: false });
    ws.on('message', (raw) => {
        const m = JSON.parse(raw);
        if (m.type === 'welcome') topics.forEach((topic) => ws.send(JSON.stringify({ type: 'subscribe', topic })));
        else if (m.type === 'subscribed') inc.epochs[m.topic] ??= m.epoch;
        else if (m.type === 'message') {
            if (inc.epochs[m.topic] !== m.epoch) log(`probe: ${m.topic} epoch ${m.epoch} is not ${inc.epochs[m.topic]}`);
            inc.lastSeq[m.topic] = Math.max(inc.lastSeq[m.topic] ?? 0, m.seq);
        }
    });
    const again = () => current() === inc && !serverDown && !stopping && inc.probe === ws;
    ws.on('close', () => { if (again()) setTimeout(() => again() && probe(inc), 500); });
    ws.on('error', () => {});
    inc.probe = ws;
}

// ---- clients and their workers ---------------------------------------------------------------------------------
const clients = Array.from({ length: cfg.clients }, (_, idx) => {
    const topic = topicOf(idx % cfg.topics);
    return { idx, user: `c${idx}`, topic, presence: presenceTopics.has(topic), worker: idx % cfg.workers, state: fresh(),
        up: false, ups: [], downs: [], watchdogs: [], errors: [] };
});
const workers = Array.from({ length: cfg.workers }, (_, k) => ({ k, gen: 0, child: null, alive: false, reports: [], stopped: false }));
let stopping = false;

function spawnWorker(w) {
    w.gen++;
    const mine = clients.filter((c) => c.worker === w.k);
    // the config over IPC, not the environment: the states outgrow what one environment string may hold (E2BIG)
    const child = fork(new URL('./client-worker.mjs', import.meta.url), []);
    child.send({ cmd: 'init', cfg: {
        url: `ws://127.0.0.1:${cfg.relayPort}/ws`, localAddress: `127.0.0.${20 + w.k}`, heartbeat: cfg.heartbeat, flushMs: 1000,
        clients: mine.map((c) => ({ idx: c.idx, user: c.user, topic: c.topic, presence: c.presence, state: c.state })),
    } });
    w.child = child;
    w.alive = true;
    child.on('message', (m) => {
        if (w.child !== child || !w.alive) return; // a killed worker's last words: its clients start from what we had
        if (m.cmd === 'batch') {
            for (const [idx, state] of m.states) clients[idx].state = state;
            for (const [idx, what, at, detail] of m.events) {
                const c = clients[idx];
                if (what === 'up') { c.up = true; c.ups.push(at); }
                else if (what === 'down') { c.up = false; c.downs.push([at, detail]); }
                else if (what === 'watchdog') c.watchdogs.push(at);
                else if (what === 'error' && c.errors.length < 5) c.errors.push(detail);
            }
        } else if (m.cmd === 'report') {
            w.reports.shift()?.(m);
        }
    });
    child.on('exit', () => { if (w.child === child) w.alive = false; });
}
const askWorker = (w, msg) => new Promise((resolve) => {
    if (!w.alive) return resolve(null);
    w.reports.push(resolve);
    w.child.send(msg);
    setTimeout(() => resolve(null), 10_000);
});

/** SIGKILL: its clients are gone as of now; a new worker resumes them from the states we had. */
async function killWorker(w) {
    const child = w.child;
    w.alive = false;
    const at = Date.now();
    child.kill('SIGKILL');
    for (const c of clients.filter((x) => x.worker === w.k)) {
        if (c.up) { c.up = false; c.downs.push([at, 'killed']); }
    }
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
    await sleep(1000);
    if (!stopping) spawnWorker(w);
    return at;
}

// ---- relay and publisher ---------------------------------------------------------------------------------------
const relayChild = fork(new URL('./relay.mjs', import.meta.url), [], { env: { ...process.env,
    PULSE_RELAY: JSON.stringify({ listenPort: cfg.relayPort, targetPort: port, sources: Array.from({ length: 8 }, (_, i) => `127.0.1.${i + 1}`) }) } });
const relayListening = new Promise((r) => relayChild.once('message', r)); // before asking() takes its messages
const relay = asking(relayChild);
const published = []; // [topic, seq, answeredAt, via]
let pubCounts = null;
let publisher = null;
function startPublisher() {
    const child = fork(new URL('./publisher.mjs', import.meta.url), [], { env: { ...process.env,
        PULSE_CHAOS_PUBLISHER: JSON.stringify({ url: server.url, topics, httpRate: cfg.httpRate, wsRate: cfg.wsRate }) } });
    publisher = asking(child);
}
async function collectAcks(cmd = 'acks') {
    if (!publisher) return;
    const m = await publisher.ask({ cmd });
    published.push(...m.acks);
    pubCounts = m.counts;
}

// ---- cleanup on any exit ---------------------------------------------------------------------------------------
let cleaned = false;
async function cleanup() {
    if (cleaned) return;
    cleaned = true;
    stopping = true;
    for (const w of workers) { try { w.child?.kill('SIGCONT'); w.child?.kill('SIGKILL'); } catch { /* gone */ } }
    try { publisher?.child.kill('SIGKILL'); } catch { /* gone */ }
    try { relayChild.kill('SIGKILL'); } catch { /* gone */ }
    for (const inc of incarnations) inc.probe?.terminate();
    await server.stop('SIGTERM', 20_000);
}
process.on('SIGINT', () => cleanup().then(() => process.exit(130)));
process.on('SIGTERM', () => cleanup().then(() => process.exit(143)));

// ---- run ---------------------------------------------------------------------------------------------------------
const faults = new Faults({ cfg, clients, workers, relay, killWorker, log, serverFault: async (how) => {
    // a drain restart: 1012 with retry-after to every session, then a clean stop; or a SIGKILL. Then start again.
    const inc = current();
    const at = Date.now();
    let drained = null;
    if (how === 'drain') {
        drained = await server.drain();
        inc.stats = (await server.stats()) ?? inc.stats;
        await sleep(500);
    }
    serverDown = true;
    inc.probe?.terminate();
    await server.stop(how === 'drain' ? 'SIGTERM' : 'SIGKILL');
    inc.diedAt = Date.now();
    inc.how = how;
    log(`server #${inc.n} ${how === 'drain' ? `drained (${JSON.stringify(drained)}) and stopped` : 'killed'}`);
    await startServer();
    return { at, drained };
} });

let exitCode = 1;
try {
    await startServer();
    await relayListening;
    startPublisher();
    workers.forEach(spawnWorker);
    const connectUntil = Date.now() + 120_000;
    while (clients.some((c) => !c.up) && Date.now() < connectUntil) await sleep(500);
    log(`${clients.filter((c) => c.up).length}/${cfg.clients} clients subscribed; faults for ${cfg.duration / 1000} s (seed ${cfg.seed})`);

    // samples of the server every 5 s (RSS, CPU, files, stats), acks every 2 s, presence every 5 s
    const sampler = setInterval(async () => {
        const inc = current();
        if (serverDown || !inc) return;
        const s = server.sample();
        const stats = await server.stats();
        if (stats && current() === inc && !serverDown) inc.stats = stats;
        samples.push({ t: Date.now(), inc: inc.n, ...s, connections: stats?.connections ?? null, lingering: stats?.lingering ?? null });
    }, 5000);
    const acker = setInterval(() => collectAcks().catch(() => {}), 2000);
    const presence = presenceChecker();

    const start = Date.now();
    await faults.run(start, start + cfg.duration);
    log('faults done; waiting for every client to be back');
    const backUntil = Date.now() + 60_000;
    while (clients.some((c) => !c.up) && Date.now() < backUntil) await sleep(500);

    // stop publishing, then wait until every client has the last seq of its topic (or 30 s)
    clearInterval(acker);
    await collectAcks('stop');
    publisher = null;
    const final = current();
    await sleep(1500);
    const caughtUp = () => clients.every((c) => c.state.epoch === final.epochs[c.topic] && c.state.seq >= (final.lastSeq[c.topic] ?? 0));
    const catchUntil = Date.now() + 30_000;
    while (!caughtUp() && Date.now() < catchUntil) await sleep(500);
    presence.stop();
    clearInterval(sampler);
    await sleep(1200); // a last flush of every worker
    const reports = await Promise.all(workers.map((w) => askWorker(w, { cmd: 'report' })));
    const beforeStop = { ...server.sample(), stats: await server.stats() };
    final.stats = beforeStop.stats ?? final.stats;
    stopping = true;
    for (const w of workers) { w.alive = false; w.child.send({ cmd: 'stop' }); }
    const relayStats = await relay.ask({ cmd: 'stats' });
    // after every client is gone: the server's open files against its start
    const settleUntil = Date.now() + 20_000;
    let afterStop = null;
    while (Date.now() < settleUntil) {
        await sleep(1000);
        const st = await server.stats();
        afterStop = { ...server.sample(), connections: st?.connections, lingering: st?.lingering };
        if (st && st.connections <= 1 && st.lingering === 0) break; // the probe's own connection may remain
    }
    exitCode = writeReport({ cfg, clients, incarnations, samples, published, pubCounts, faults: faults.log, presenceErrors: presence.errors,
        presenceChecks: presence.checks, reports: reports.filter(Boolean), beforeStop, afterStop, relayStats, resultsDir, log,
        caughtUp: caughtUp() });
} catch (e) {
    console.error(e.stack ?? e);
    exitCode = 1;
} finally {
    await cleanup();
}
process.exit(exitCode);

// ---- presence -----------------------------------------------------------------------------------------------------
/**
 * Every 5 s asks the presence of each presence topic and judges the answer 3 s later, with what the workers have
 * reported since: a user missing while its client was subscribed all through [q − 2 s, q + 2 s] and untouched by any
 * fault in [q − 10 s, q + 2 s]; or listed while its client had been gone for more than grace + eviction bound + 2 s
 * (closed at e, not back up to q + 2 s, q − e > grace + interval + timeout + 1 s + 1 s tick + 2 s).
 */
function presenceChecker() {
    const errors = [];
    const zeroSince = new Map();
    let zeroInc = null;
    const stuck = new Set();
    let checks = 0;
    const goneBound = cfg.grace + cfg.heartbeat.interval + cfg.heartbeat.timeout + 1000 + 1000 + 2000;
    const timer = setInterval(async () => {
        const inc = current();
        if (serverDown || !inc || Date.now() - inc.readyAt < (cfg.smoke ? 5000 : 15_000)) return; // the clients' way back
        const q = Date.now();
        const answers = await Promise.all([...presenceTopics].map(async (topic) => {
            try {
                const r = await fetch(`${server.url}/api/topics/${topic}/presence`, { signal: AbortSignal.timeout(3000) });
                return r.ok ? [topic, (await r.json()).members] : null;
            } catch {
                return null;
            }
        }));
        const answeredAt = Date.now();
        if (zeroInc !== inc) { zeroSince.clear(); zeroInc = inc; } // another server: its members' grace starts anew
        // server-side: a member listed with 0 connections (in its grace period) must be gone or back within grace + 1 s
        // tick (+ the 5 s between checks + 2 s)
        for (const [topic, members] of answers.filter(Boolean)) {
            const seen = new Set();
            for (const m of members) {
                const key = `${topic} ${m.user}`;
                seen.add(key);
                if (m.connections > 0) { zeroSince.delete(key); continue; }
                if (!zeroSince.has(key)) zeroSince.set(key, q);
                else if (q - zeroSince.get(key) > cfg.grace + 1000 + 5000 + 2000 && !stuck.has(key)) {
                    stuck.add(key);
                    errors.push({ kind: 'listed with 0 connections past grace', topic, user: m.user, at: q, zeroSince: zeroSince.get(key) });
                }
            }
            for (const key of zeroSince.keys()) if (key.startsWith(`${topic} `) && !seen.has(key)) zeroSince.delete(key);
        }
        setTimeout(() => {
            if (current() !== inc) return; // a restart meanwhile: no judgement
            for (const a of answers.filter(Boolean)) {
                checks++;
                const [topic, members] = a;
                const listed = new Set(members.map((m) => m.user));
                for (const c of clients.filter((x) => x.topic === topic)) {
                    const touched = faults.touched(c, q - 10_000, answeredAt + 2000);
                    const upSince = lastUpBefore(c, q - 2000);
                    const downAfter = c.downs.find(([t]) => t >= upSince && t <= answeredAt + 2000);
                    if (!listed.has(c.user) && upSince !== null && upSince >= inc.readyAt && !downAfter && !touched) {
                        errors.push({ kind: 'missing while connected', topic, user: c.user, at: q, upSince });
                    }
                    const lastDown = c.downs.filter(([t]) => t <= q).at(-1)?.[0] ?? null;
                    // back (its `subscribed` arrived) up to 15 s after the answer: in a reconnect storm the server lists a
                    // session that subscribed seconds before its client hears so
                    const backSince = lastDown === null ? null : c.ups.find((t) => t > lastDown && t <= answeredAt + 15_000);
                    if (listed.has(c.user) && lastDown !== null && !backSince && q - lastDown > goneBound
                        && (c.ups.at(-1) ?? 0) < lastDown) {
                        errors.push({ kind: 'listed while gone', topic, user: c.user, at: q, goneSince: lastDown });
                    }
                }
            }
        }, 17_000);
    }, 5000);
    return { errors, get checks() { return checks; }, stop: () => clearInterval(timer) };
}
function lastUpBefore(c, t) {
    const up = c.ups.filter((x) => x <= t).at(-1);
    if (up === undefined) return null;
    return c.downs.some(([d]) => d >= up && d <= t) ? null : up;
}
