// The overload scenario (issue #16): a server pinned by run.sh to one CPU, busy loops pinned to the same CPU and
// steered until the server lags by --target-lag, healthy clients that answer every Ping, a few that go silent during
// the overload, and a new handshake every second. Reports healthy clients closed, silent ones detected (and how
// late), handshakes refused with 1013, the lag the server reported, and how soon it took clients again after the
// loops ended. Appends a line to results/results.jsonl and writes results/summary-overload.md; exits 1 when a
// healthy client was closed or a silent one was not.
import { fork, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import WebSocket from 'ws';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const base = args.url ?? 'http://127.0.0.1:18090';
const wsUrl = base.replace(/^http/, 'ws') + '/ws';
const smoke = args.smoke === 'true';
const cpu = Number(args.cpu ?? os.cpus().length - 1);
const clients = Number(args.clients ?? (smoke ? 100 : 1000));
const silentCount = Number(args.silent ?? (smoke ? 5 : 20));
const seconds = Number(args.seconds ?? (smoke ? 12 : 30));
const targetLag = Number(args['target-lag'] ?? 2500);
const maxLoops = Number(args['max-loops'] ?? 12);
const resultsDir = new URL('./results/', import.meta.url);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const loops = [];
function addLoop() {
    loops.push(spawn('taskset', ['-c', String(cpu), 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' }));
}
function removeLoop() {
    loops.pop()?.kill('SIGKILL');
}
function killLoops() {
    while (loops.length) {
        removeLoop();
    }
}
process.on('exit', killLoops); // whatever happens, no busy loop outlives the scenario
for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => process.exit(130));
}

async function stats() {
    try {
        const r = await fetch(base + '/api/stats', { signal: AbortSignal.timeout(10_000) });
        return await r.json();
    } catch {
        return null;
    }
}
async function readyStatus() {
    try {
        return (await fetch(base + '/health/ready', { signal: AbortSignal.timeout(10_000) })).status;
    } catch {
        return null;
    }
}
/** One new client: 'welcome', 'refused' (1013 with a retry-after), or what else happened. */
function handshake() {
    return new Promise((resolve) => {
        const ws = new WebSocket(wsUrl, { handshakeTimeout: 10_000 });
        const timer = setTimeout(() => { ws.terminate(); resolve({ outcome: 'timeout' }); }, 15_000);
        ws.on('message', (raw) => {
            if (JSON.parse(raw).type === 'welcome') {
                clearTimeout(timer);
                ws.close();
                resolve({ outcome: 'welcome' });
            }
        });
        ws.on('close', (code, reason) => {
            clearTimeout(timer);
            const m = /^retry-after=(\d+)$/.exec(String(reason));
            resolve(code === 1013 && m ? { outcome: 'refused', retryAfter: Number(m[1]) } : { outcome: `close ${code}` });
        });
        ws.on('error', () => {});
    });
}

/** The load generators of bench.mjs, one per 3,500 clients, each from its own loopback address. */
function generators(total) {
    const n = Math.max(1, Math.ceil(total / 3500));
    return Array.from({ length: n }, (_, i) => {
        const count = Math.floor(total / n) + (i < total % n ? 1 : 0);
        const child = fork(new URL('./loadgen.mjs', import.meta.url), [], {
            env: { ...process.env, PULSE_LOADGEN: JSON.stringify({ url: wsUrl, count, localAddress: `127.0.0.${2 + i}` }) },
        });
        const pending = [];
        child.on('message', (m) => pending.shift()?.(m));
        return { count, ask: (msg) => new Promise((resolve) => { pending.push(resolve); child.send(msg); }) };
    });
}

const gens = generators(clients);
await Promise.all(gens.map((g) => g.ask({ cmd: 'connect' })));
await sleep(3000);
const quiet = await stats();

const run = { lagMs: [], notReady: 0, looks: 0, refused: 0, welcomed: 0, other: [], retryAfterMs: [], mostLoops: 0 };
let nextSteer = 0;
let nextHandshake = 0;
const start = Date.now();
let silenced = false;
addLoop();
addLoop();
while (Date.now() - start < seconds * 1000) {
    const s = await stats();
    const lag = s?.lag?.ms ?? null;
    if (lag !== null) {
        run.lagMs.push(lag);
        run.looks++;
    }
    if ((await readyStatus()) === 503) {
        run.notReady++;
    }
    if (Date.now() >= nextSteer && lag !== null) { // keep the server behind by about targetLag, whatever the machine
        nextSteer = Date.now() + 2000;
        if (lag < targetLag && loops.length < maxLoops) {
            addLoop();
        } else if (lag > 2 * targetLag && loops.length > 1) {
            removeLoop();
        }
        run.mostLoops = Math.max(run.mostLoops, loops.length);
    }
    if (!silenced && Date.now() - start >= 5000) {
        silenced = true;
        let left = silentCount;
        for (const g of gens) { // the first clients of each generator go silent at once
            const plan = Array.from({ length: Math.min(left, g.count) }, (_, index) => ({ index, delayMs: 0 }));
            left -= plan.length;
            await g.ask({ cmd: 'silence', plan });
        }
    }
    if (Date.now() >= nextHandshake) {
        nextHandshake = Date.now() + 1000;
        const h = await handshake();
        if (h.outcome === 'refused') {
            run.refused++;
            run.retryAfterMs.push(h.retryAfter);
        } else if (h.outcome === 'welcome') {
            run.welcomed++;
        } else {
            run.other.push(h.outcome);
        }
    }
    await sleep(250);
}
const loopsAtEnd = loops.length;
killLoops();
const ended = Date.now();
let recoveredMs = null;
while (Date.now() - ended < 60_000) {
    const s = await stats();
    if (s && s.lag.ms < s.admission.maxLagMs && (await readyStatus()) === 200 && (await handshake()).outcome === 'welcome') {
        recoveredMs = Date.now() - ended;
        break;
    }
    await sleep(250);
}
await sleep(Math.max(0, 2 * 1000 + 2 * 2000 + 8000 - (Date.now() - ended))); // the silent peers' extended bound
const reports = (await Promise.all(gens.map((g) => g.ask({ cmd: 'report' })))).map((m) => m.report);
const final = await stats();
await Promise.all(gens.map((g) => g.ask({ cmd: 'stop' })));

const silent = reports.flatMap((r) => r.silent);
const detect = silent.filter((x) => x.closed).map((x) => x.closed.at - x.silentAt).sort((a, b) => a - b);
const sorted = [...run.lagMs].sort((a, b) => a - b);
const result = {
    time: new Date().toISOString(), host: os.hostname(), cpus: os.cpus().length, scenario: 'overload', clients,
    silentClients: silentCount, seconds, targetLagMs: targetLag, busyLoopsMost: run.mostLoops, busyLoopsAtEnd: loopsAtEnd,
    lagBeforeMs: quiet?.lag?.ms ?? null,
    lagMsP50: sorted[Math.floor(sorted.length / 2)] ?? null, lagMsMax: sorted.at(-1) ?? null,
    lagMaxReportedMs: final?.lag?.maxMs ?? null, lagSources: final?.lag?.sources ?? null,
    healthyClosed: reports.flatMap((r) => r.closes).filter((c) => c.silentAt === null).length,
    silentDetected: detect.length, silentUndetected: silent.length - detect.length,
    silentDetectMs: { min: detect[0] ?? null, p50: detect[Math.floor(detect.length / 2)] ?? null, max: detect.at(-1) ?? null },
    evictionsPostponed: final?.lag?.postponed ?? null, evictionsSpared: final?.lag?.spared ?? null,
    handshakesRefused: run.refused, handshakesWelcomed: run.welcomed, handshakesOther: run.other.length,
    retryAfterMs: { min: Math.min(...run.retryAfterMs), max: Math.max(...run.retryAfterMs) },
    readiness503: run.notReady, looks: run.looks, recoveredMs,
    refusedByServer: final?.admission?.refused ?? null, heartbeat: final?.heartbeat ?? null,
};
mkdirSync(resultsDir, { recursive: true });
appendFileSync(new URL('results.jsonl', resultsDir), JSON.stringify(result) + '\n');
const lines = ['# Pulse overload', '', `${result.time}, ${result.cpus} CPUs, server pinned to CPU ${cpu}`, '',
    '| figure | value |', '|---|---|', ...Object.entries(result).map(([k, v]) => `| ${k} | ${JSON.stringify(v)} |`), ''];
writeFileSync(new URL(smoke ? 'smoke-overload.md' : 'summary-overload.md', resultsDir), lines.join('\n'));
console.log(lines.join('\n'));
const failures = [];
if (result.healthyClosed !== 0) failures.push(`${result.healthyClosed} healthy clients closed`);
if (result.silentUndetected !== 0) failures.push(`${result.silentUndetected} silent clients not closed`);
if (recoveredMs === null) failures.push('the server did not take clients again within 60 s');
if (failures.length) {
    console.error('overload: ' + failures.join('; '));
    process.exit(1);
}
process.exit(0);
