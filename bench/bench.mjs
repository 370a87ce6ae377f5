// Runs the Pulse benchmark scenarios against a server already started by run.sh, samples the server's RSS
// and CPU from /proc, and appends one JSON line per run to results/results.jsonl plus a Markdown summary.
import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { parseArgs, sleep, procCpu, procCpuSeconds, procRssKiB, machineCpu, pct } from './lib/proc.mjs';
import { forkAsking } from './lib/ipc.mjs';

const args = parseArgs();
const base = args.url ?? 'http://127.0.0.1:8090';
const wsUrl = base.replace(/^http/, 'ws') + '/ws';
const serverPid = Number(args.pid);
const smoke = args.smoke === 'true';
const perProcess = Number(args['per-process'] ?? 3500); // below the ~20,000 open files one process may hold
const resultsDir = new URL('./results/', import.meta.url);

/** Live heap (KiB): the objects left after a full GC, from the JDK's jcmd; null when it is not at hand. */
function liveHeapKiB(pid) {
    // the histogram counts live objects right after its own full GC; "GC.run, then jstat" also counted the eden
    // garbage of the half second between the two (Payara allocates a lot per Pong: +-12 KiB/conn at 2,000)
    try {
        const total = execFileSync('jcmd', [String(pid), 'GC.class_histogram'], { encoding: 'utf8', maxBuffer: 64 << 20 })
            .trim().split('\n').pop().trim().split(/\s+/);
        return total[0] === 'Total' ? Math.round(Number(total[2]) / 1024) : null;
    } catch {
        return null;
    }
}
async function api(path, init) {
    const r = await fetch(base + path, init);
    return r.json();
}

/** Spawns the load generators, each from its own loopback address, and talks to them over IPC. */
async function generators(total, extra = {}) {
    const n = Math.max(1, Math.ceil(total / perProcess));
    const gens = [];
    for (let i = 0; i < n; i++) {
        const count = Math.floor(total / n) + (i < total % n ? 1 : 0);
        const { child, ask } = forkAsking(new URL('./loadgen.mjs', import.meta.url),
            { PULSE_LOADGEN: JSON.stringify({ url: wsUrl, count, localAddress: `127.0.0.${2 + i}`, ...extra }) });
        gens.push({ child, count, ask });
    }
    return gens;
}
const all = (gens, msg) => Promise.all(gens.map((g) => g.ask(msg)));
const merge = (reports) => ({
    connected: reports.reduce((a, r) => a + r.connected, 0),
    open: reports.reduce((a, r) => a + r.open, 0),
    connectMs: reports.flatMap((r) => r.connectMs).sort((a, b) => a - b),
    pings: reports.flatMap((r) => r.pings),
    closes: reports.flatMap((r) => r.closes),
    silent: reports.flatMap((r) => r.silent),
    latencies: reports.flatMap((r) => r.latencies),
    genCpuSeconds: reports.reduce((a, r) => a + (r.cpu.user + r.cpu.system) / 1e6, 0),
    refused: reports.reduce((a, r) => a + (r.refused ?? 0), 0),
});

/** Samples the heartbeat's tick (how long the last one ran, how many ran) once a second while `work` runs. */
async function watchTicks(work) {
    const first = (await api('/api/stats')).heartbeat;
    const durations = [];
    const lags = []; // the node's own lag (lag.ms, #16): how far it is behind while it keeps up
    let done = false;
    const poll = (async () => {
        while (!done) {
            await sleep(1000);
            const stats = await api('/api/stats');
            durations.push(stats.heartbeat.lastTickMillis);
            if (stats.lag) {
                lags.push(stats.lag.ms);
            }
        }
    })();
    const t0 = Date.now();
    const result = await work();
    done = true;
    await poll;
    const last = (await api('/api/stats')).heartbeat;
    durations.sort((a, b) => a - b);
    lags.sort((a, b) => a - b);
    return {
        result,
        ticks: {
            ticksPerSecond: +((last.ticks - first.ticks) / ((Date.now() - t0) / 1000)).toFixed(2),
            tickP50Ms: pct(durations, 0.5), tickMaxMs: durations.at(-1) ?? null,
            lagP50Ms: pct(lags, 0.5), lagMaxMs: lags.at(-1) ?? null,
        },
    };
}

async function idle(clients, seconds) {
    await sleep(1500);
    const heapBefore = liveHeapKiB(serverPid);
    const rssBefore = procRssKiB(serverPid);
    const gens = await generators(clients);
    const t0 = Date.now();
    await all(gens, { cmd: 'connect' });
    const connectAllMs = Date.now() - t0;
    await all(gens, { cmd: 'resetPings' });
    const cpu0 = procCpuSeconds(serverPid);
    const kernel0 = procCpu(serverPid).system;
    const m0 = machineCpu();
    const start = Date.now();
    const { ticks } = await watchTicks(() => sleep(seconds * 1000));
    const elapsed = (Date.now() - start) / 1000;
    const cpu1 = procCpuSeconds(serverPid);
    const kernel1 = procCpu(serverPid).system;
    const m1 = machineCpu();
    const rssAfter = procRssKiB(serverPid);
    const heapAfter = liveHeapKiB(serverPid); // after the CPU window: a full GC must not count as idle CPU
    const r = merge((await all(gens, { cmd: 'report' })).map((m) => m.report));
    await all(gens, { cmd: 'stop' });
    const pingsPerClientPerSecond = r.pings.reduce((a, b) => a + b, 0) / clients / elapsed;
    return {
        scenario: 'idle', clients, seconds,
        connected: r.connected,
        connectAllMs,
        connectP99Ms: pct(r.connectMs, 0.99),
        refusedHandshakes: r.refused, // 1013 while the node shed load, each retried after its retry-after
        rssBeforeKiB: rssBefore, rssAfterKiB: rssAfter,
        rssPerConnKiB: +((rssAfter - rssBefore) / clients).toFixed(2),
        liveHeapPerConnKiB: heapBefore === null || heapAfter === null ? null : +((heapAfter - heapBefore) / clients).toFixed(2),
        serverCpuSecondsPerSecond: +((cpu1 - cpu0) / elapsed).toFixed(3),
        serverCpuKernelShare: +((kernel1 - kernel0) / Math.max(0.01, cpu1 - cpu0)).toFixed(2), // syscalls: socket I/O
        pingsPerClientPerSecond: +pingsPerClientPerSecond.toFixed(3),
        unexpectedCloses: r.closes.length,
        ...ticks,
        loadGenCpuSeconds: +r.genCpuSeconds.toFixed(2),
        machineBusy: +((m1.busy - m0.busy) / (m1.total - m0.total)).toFixed(3),
    };
}

async function fanout(clients, publishes, gapMs, bytes) {
    const topic = 'bench.fanout';
    const gens = await generators(clients, { topic });
    await all(gens, { cmd: 'connect' });
    const m0 = machineCpu();
    const cpu0 = procCpuSeconds(serverPid);
    const pad = 'x'.repeat(Math.max(0, bytes - 40));
    const { ticks } = await watchTicks(async () => {
        for (let n = 0; n < publishes; n++) {
            await fetch(`${base}/api/topics/${topic}/messages`, {
                method: 'POST', headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ n, t: Date.now(), pad }),
            });
            await sleep(gapMs);
        }
        await sleep(2000);
    });
    const cpu1 = procCpuSeconds(serverPid);
    const m1 = machineCpu();
    const r = merge((await all(gens, { cmd: 'report' })).map((m) => m.report));
    await all(gens, { cmd: 'stop' });
    const lat = r.latencies.map(([, ms]) => ms).sort((a, b) => a - b);
    return {
        scenario: 'fanout', clients, publishes, bytes,
        subscribed: r.connected,
        deliveries: lat.length,
        deliveryRatio: +(lat.length / (clients * publishes)).toFixed(4),
        latencyP50Ms: pct(lat, 0.5), latencyP99Ms: pct(lat, 0.99), latencyMaxMs: lat.at(-1) ?? null,
        serverCpuSeconds: +(cpu1 - cpu0).toFixed(2),
        ...ticks,
        loadGenCpuSeconds: +r.genCpuSeconds.toFixed(2),
        machineBusy: +((m1.busy - m0.busy) / (m1.total - m0.total)).toFixed(3),
    };
}

async function silent(clients, silentCount, windowMs, intervalMs, timeoutMs) {
    const gens = await generators(clients);
    await all(gens, { cmd: 'connect' });
    // pick silentCount distinct clients, each going silent at a random moment of the window
    const chosen = new Set();
    while (chosen.size < silentCount) {
        chosen.add(Math.floor(Math.random() * clients));
    }
    let offset = 0;
    await Promise.all(gens.map((g) => {
        const plan = [];
        for (let i = 0; i < g.count; i++) {
            if (chosen.has(offset + i)) {
                plan.push({ index: i, delayMs: Math.floor(Math.random() * windowMs) });
            }
        }
        offset += g.count;
        return g.ask({ cmd: 'silence', plan });
    }));
    await sleep(windowMs + intervalMs + timeoutMs + 3000);
    const r = merge((await all(gens, { cmd: 'report' })).map((m) => m.report));
    await all(gens, { cmd: 'stop' });
    const detect = r.silent.filter((s) => s.closed).map((s) => s.closed.at - s.silentAt).sort((a, b) => a - b);
    return {
        scenario: 'silent', clients, silentClients: silentCount,
        detected: detect.length,
        undetected: r.silent.length - detect.length,
        closedWith4000: r.silent.filter((s) => s.closed && s.closed.code === 4000).length,
        healthyClosed: r.closes.filter((c) => c.silentAt === null).length,
        detectMinMs: detect[0] ?? null, detectP50Ms: pct(detect, 0.5), detectMaxMs: detect.at(-1) ?? null,
        boundMs: intervalMs + timeoutMs + 200,
    };
}

const meta = {
    date: new Date().toISOString(), machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.cpus()[0].model}`,
    server: args.server === 'wildfly' ? 'WildFly 39.0.1.Final' : 'Payara Micro 6.2025.10', smoke,
};
const stats0 = await api('/api/stats');
const hb = stats0.heartbeat;
const runs = [];
if (smoke) {
    runs.push(await idle(100, 5));
    runs.push(await fanout(100, 3, 300, 100));
    runs.push(await silent(100, 10, 1000, hb.interval, hb.timeout));
} else {
    const only = args.scenario ?? 'all';
    if (only === 'all' || only === 'idle') {
        for (const n of (args['idle-clients'] ?? '1000,10000').split(',').map(Number)) {
            runs.push(await idle(n, 30));
        }
    }
    if (only === 'all' || only === 'fanout') {
        runs.push(await fanout(10_000, 10, 500, 100));
    }
    if (only === 'all' || only === 'silent') {
        runs.push(await silent(1000, 100, 5000, hb.interval, hb.timeout));
    }
}
mkdirSync(resultsDir, { recursive: true });
for (const run of runs) {
    appendFileSync(new URL('results.jsonl', resultsDir), JSON.stringify({ ...meta, ...run }) + '\n');
    console.log(JSON.stringify(run));
}
const lines = [`# Pulse bench ${meta.date}${smoke ? ' (smoke)' : ''}`, '', `Machine: ${meta.machine}. Server: ${meta.server}, heartbeat ${hb.interval} ms / ${hb.timeout} ms.`, ''];
for (const run of runs) {
    lines.push(`## ${run.scenario} (${run.clients} clients)`, '', '| figure | value |', '|---|---|');
    for (const [k, v] of Object.entries(run)) {
        if (!['scenario', 'clients'].includes(k)) {
            lines.push(`| ${k} | ${v} |`);
        }
    }
    lines.push('');
}
const summaryName = smoke ? 'smoke.md' : args.server === 'wildfly' ? 'summary-wildfly.md' : 'summary.md';
writeFileSync(new URL(summaryName, resultsDir), lines.join('\n'));
// hard failures, so that the smoke run in the test command catches a rotten bench or a broken server
const failures = [];
for (const run of runs) {
    if (run.scenario === 'idle' && (run.connected !== run.clients || run.unexpectedCloses !== 0)) failures.push(`idle: ${run.connected}/${run.clients} connected, ${run.unexpectedCloses} unexpected closes`);
    if (run.scenario === 'fanout' && run.deliveryRatio !== 1) failures.push(`fanout: delivery ratio ${run.deliveryRatio}`);
    if (run.scenario === 'silent' && (run.undetected !== 0 || run.healthyClosed !== 0)) failures.push(`silent: ${run.undetected} undetected, ${run.healthyClosed} healthy closed`);
}
if (failures.length) {
    console.error('bench failed: ' + failures.join('; '));
    process.exit(1);
}
console.log(`${runs.length} passed, 0 failed`);
