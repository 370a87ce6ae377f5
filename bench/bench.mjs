// Runs the Pulse benchmark scenarios against a server already started by run.sh, samples the server's RSS
// and CPU from /proc, and appends one JSON line per run to results/results.jsonl plus a Markdown summary.
// With --peer-url/--peer-pid (run.sh --peer=ws) every scenario runs first against the reference server
// (peer/ws-server.mjs), then against Pulse, with the same load-generator settings, and the summary gives each
// figure beside the reference's with the ratio Pulse/ws (issue #16 part 6: ratios hold on a noisy machine).
import { execFileSync } from 'node:child_process';
import { readFileSync, appendFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { parseArgs, sleep, procCpu, procCpuSeconds, procRssKiB, machineCpu, pct } from './lib/proc.mjs';
import { forkAsking } from './lib/ipc.mjs';

const args = parseArgs();
const pulseLabel = args.label ?? (args.server === 'wildfly' ? 'WildFly 39.0.1.Final' : 'Payara Micro 6.2025.10');
const target = (name, role, url, pid, label) => ({ name, role, base: url, wsUrl: url.replace(/^http/, 'ws') + '/ws', pid: Number(pid), label });
const pulse = target('pulse', 'pulse', args.url ?? 'http://127.0.0.1:8090', args.pid, pulseLabel);
const wsVersion = JSON.parse(readFileSync(new URL('./node_modules/ws/package.json', import.meta.url), 'utf8')).version;
const peer = args['peer-url'] ? target('ws', 'reference', args['peer-url'], args['peer-pid'], `ws ${wsVersion} (Node ${process.version})`) : null;
const targets = peer ? [peer, pulse] : [pulse]; // the reference first, then Pulse, scenario by scenario
const otherOf = (t) => targets.find((o) => o !== t) ?? null;
const smoke = args.smoke === 'true';
const perProcess = Number(args['per-process'] ?? 3500); // below the ~20,000 open files one process may hold
const resultsDir = new URL('./results/', import.meta.url);
/** Live heap (KiB): the objects left after a full GC; null when it cannot be had. */
async function liveHeapKiB(t) {
    if (t.role === 'reference') {
        // the reference's own V8 heap used after two full GCs (node --expose-gc): the analogue of the histogram
        try {
            const r = await fetch(t.base + '/bench/live-heap');
            return r.ok ? (await r.json()).heapUsedKiB : null;
        } catch {
            return null;
        }
    }
    return jvmLiveHeapKiB(t.pid);
}
/** Live heap (KiB): the objects left after a full GC, from the JDK's jcmd; null when it is not at hand. */
function jvmLiveHeapKiB(pid) {
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
async function api(t, path, init) {
    const r = await fetch(t.base + path, init);
    return r.json();
}
/** CPU seconds of the other server (idle, no clients) over a window, so that its share of the machine shows. */
function otherCpu(t) {
    const o = otherOf(t);
    return o ? procCpuSeconds(o.pid) : 0;
}

/** Spawns the load generators, each from its own loopback address, and talks to them over IPC. */
async function generators(t, total, extra = {}) {
    const n = Math.max(1, Math.ceil(total / perProcess));
    const gens = [];
    for (let i = 0; i < n; i++) {
        const count = Math.floor(total / n) + (i < total % n ? 1 : 0);
        const { child, ask } = forkAsking(new URL('./loadgen.mjs', import.meta.url),
            { PULSE_LOADGEN: JSON.stringify({ url: t.wsUrl, count, localAddress: `127.0.0.${2 + i}`, ...extra }) });
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
    genStallMaxMs: Math.round(Math.max(0, ...reports.map((r) => r.loopDelayMaxMs ?? 0))),
    // closes by the heartbeat (4000) of clients whose own process had stalled 1 s or more in the 3 s before: the
    // load generator starved, not the server wrong
    closedAfterGenStall: reports.reduce((a, r) => a + r.closes.filter((c) => c.code === 4000 && (r.stalls ?? [])
        .some((s) => s.ms >= 1000 && s.at <= c.at + 500 && s.at >= c.at - 3000)).length, 0),
});

/** The close codes clients saw, when any closed: 1013 admission refused, 4000 heartbeat, 1006 no close frame. */
function closeCodes(r) {
    if (!r.closes.length) {
        return {};
    }
    const codes = {};
    for (const c of r.closes) {
        codes[c.code] = (codes[c.code] ?? 0) + 1;
    }
    return { closeCodes: Object.entries(codes).map(([k, v]) => `${k}×${v}`).join(' ') };
}
/** Samples the heartbeat's tick (how long the last one ran, how many ran) once a second while `work` runs. */
async function watchTicks(t, work) {
    const first = (await api(t, '/api/stats')).heartbeat;
    const durations = [];
    const lags = []; // the node's own lag (lag.ms, #16): how far it is behind while it keeps up
    let done = false;
    const poll = (async () => {
        while (!done) {
            await sleep(1000);
            const stats = await api(t, '/api/stats');
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
    const last = (await api(t, '/api/stats')).heartbeat;
    durations.sort((a, b) => a - b);
    lags.sort((a, b) => a - b);
    return {
        result,
        ticks: {
            ticksPerSecond: +((last.ticks - first.ticks) / ((Date.now() - t0) / 1000)).toFixed(2),
            tickP50Ms: pct(durations, 0.5), tickMaxMs: durations.at(-1) ?? null,
            lagP50Ms: lags.length ? +pct(lags, 0.5).toFixed(1) : null, lagMaxMs: lags.length ? +lags.at(-1).toFixed(1) : null,
        },
    };
}

async function idle(t, clients, seconds) {
    const serverPid = t.pid;
    await sleep(1500);
    const heapBefore = await liveHeapKiB(t);
    const rssBefore = procRssKiB(serverPid);
    const gens = await generators(t, clients);
    const t0 = Date.now();
    await all(gens, { cmd: 'connect' });
    const connectAllMs = Date.now() - t0;
    await all(gens, { cmd: 'resetPings' });
    const cpu0 = procCpuSeconds(serverPid);
    const kernel0 = procCpu(serverPid).system;
    const other0 = otherCpu(t);
    const m0 = machineCpu();
    const start = Date.now();
    const { ticks } = await watchTicks(t, () => sleep(seconds * 1000));
    const elapsed = (Date.now() - start) / 1000;
    const cpu1 = procCpuSeconds(serverPid);
    const kernel1 = procCpu(serverPid).system;
    const other1 = otherCpu(t);
    const m1 = machineCpu();
    const rssAfter = procRssKiB(serverPid);
    const heapAfter = await liveHeapKiB(t); // after the CPU window: a full GC must not count as idle CPU
    const r = merge((await all(gens, { cmd: 'report' })).map((m) => m.report));
    await all(gens, { cmd: 'stop' });
    const pingsPerClientPerSecond = r.pings.reduce((a, b) => a + b, 0) / clients / elapsed;
    return {
        scenario: 'idle', clients, seconds,
        connected: r.connected,
        connectAllMs,
        handshakesPerSecond: Math.round(clients / (connectAllMs / 1000)), // 100 in flight at a time
        connectP99Ms: pct(r.connectMs, 0.99),
        rssBeforeKiB: rssBefore, rssAfterKiB: rssAfter,
        rssPerConnKiB: +((rssAfter - rssBefore) / clients).toFixed(2),
        liveHeapPerConnKiB: heapBefore === null || heapAfter === null ? null : +((heapAfter - heapBefore) / clients).toFixed(2),
        serverCpuSecondsPerSecond: +((cpu1 - cpu0) / elapsed).toFixed(3),
        serverCpuKernelShare: +((kernel1 - kernel0) / Math.max(0.01, cpu1 - cpu0)).toFixed(2), // syscalls: socket I/O
        pingsPerClientPerSecond: +pingsPerClientPerSecond.toFixed(3),
        unexpectedCloses: r.closes.length,
        refusedHandshakes: r.refused, // 1013 while the node shed load, each retried after its retry-after
        ...closeCodes(r),
        ...ticks,
        loadGenCpuSeconds: +r.genCpuSeconds.toFixed(2), loadGenStallMaxMs: r.genStallMaxMs,
        closedAfterGenStall: r.closedAfterGenStall,
        ...(otherOf(t) ? { otherServerCpuSecondsPerSecond: +((other1 - other0) / elapsed).toFixed(3) } : {}),
        machineBusy: +((m1.busy - m0.busy) / (m1.total - m0.total)).toFixed(3),
    };
}

async function fanout(t, clients, publishes, gapMs, bytes) {
    const serverPid = t.pid;
    const topic = 'bench.fanout';
    const gens = await generators(t, clients, { topic });
    await all(gens, { cmd: 'connect' });
    const m0 = machineCpu();
    const cpu0 = procCpuSeconds(serverPid);
    const other0 = otherCpu(t);
    const pad = 'x'.repeat(Math.max(0, bytes - 40));
    const { ticks } = await watchTicks(t, async () => {
        for (let n = 0; n < publishes; n++) {
            await fetch(`${t.base}/api/topics/${topic}/messages`, {
                method: 'POST', headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ n, t: Date.now(), pad }),
            });
            await sleep(gapMs);
        }
        await sleep(2000);
    });
    const cpu1 = procCpuSeconds(serverPid);
    const other1 = otherCpu(t);
    const m1 = machineCpu();
    const r = merge((await all(gens, { cmd: 'report' })).map((m) => m.report));
    await all(gens, { cmd: 'stop' });
    const lat = r.latencies.map(([, ms]) => ms).sort((a, b) => a - b);
    return {
        scenario: 'fanout', clients, publishes, bytes,
        subscribed: r.connected,
        deliveries: lat.length,
        deliveryRatio: +(lat.length / (clients * publishes)).toFixed(4),
        ...closeCodes(r),
        latencyP50Ms: pct(lat, 0.5), latencyP99Ms: pct(lat, 0.99), latencyMaxMs: lat.at(-1) ?? null,
        serverCpuSeconds: +(cpu1 - cpu0).toFixed(2),
        ...ticks,
        loadGenCpuSeconds: +r.genCpuSeconds.toFixed(2), loadGenStallMaxMs: r.genStallMaxMs,
        closedAfterGenStall: r.closedAfterGenStall,
        ...(otherOf(t) ? { otherServerCpuSeconds: +(other1 - other0).toFixed(2) } : {}),
        machineBusy: +((m1.busy - m0.busy) / (m1.total - m0.total)).toFixed(3),
    };
}

async function silent(t, clients, silentCount, windowMs, intervalMs, timeoutMs) {
    const gens = await generators(t, clients);
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
    pulse: pulseLabel, peer: peer ? peer.label : null, smoke,
    loadAverage: os.loadavg().map((x) => +x.toFixed(1)), // other work on the machine at the start (1, 5, 15 min)
};
const hb = (await api(pulse, '/api/stats')).heartbeat;
if (peer) {
    const peerHb = (await api(peer, '/api/stats')).heartbeat;
    if (peerHb.interval !== hb.interval || peerHb.timeout !== hb.timeout) {
        console.error(`the reference's heartbeat ${peerHb.interval}/${peerHb.timeout} is not Pulse's ${hb.interval}/${hb.timeout}`);
        process.exit(2);
    }
}
/** One scenario on every target, the reference first; each run carries which server it ran on. */
const pairs = [];
const wallMs = Object.fromEntries(targets.map((t) => [t.name, 0])); // what each server's runs took, end to end
async function scenario(run) {
    const pair = [];
    for (const t of targets) {
        const started = Date.now();
        const result = await run(t);
        wallMs[t.name] += Date.now() - started;
        pair.push({ ...result, server: t.label, role: t.role });
        console.log(JSON.stringify({ server: t.name, ...result }));
    }
    pairs.push(pair);
}
if (smoke) {
    await scenario((t) => idle(t, 100, 5));
    await scenario((t) => fanout(t, 100, 3, 300, 100));
    await scenario((t) => silent(t, 100, 10, 1000, hb.interval, hb.timeout));
} else {
    const only = args.scenario ?? 'all';
    if (only === 'all' || only === 'idle') {
        for (const n of (args['idle-clients'] ?? '1000,10000').split(',').map(Number)) {
            await scenario((t) => idle(t, n, 30));
        }
    }
    if (only === 'all' || only === 'fanout') {
        await scenario((t) => fanout(t, 10_000, 10, 500, 100));
    }
    if (only === 'all' || only === 'silent') {
        await scenario((t) => silent(t, 1000, 100, 5000, hb.interval, hb.timeout));
    }
}

// figures whose ratio says nothing (counts, settings, pass/fail) get none
const noRatio = new Set(['scenario', 'clients', 'seconds', 'publishes', 'bytes', 'silentClients', 'boundMs', 'connected',
    'subscribed', 'deliveries', 'deliveryRatio', 'detected', 'undetected', 'closedWith4000', 'healthyClosed', 'unexpectedCloses',
    'rssBeforeKiB', 'rssAfterKiB', 'machineBusy', 'closeCodes', 'otherServerCpuSecondsPerSecond', 'otherServerCpuSeconds', 'server', 'role']);
function ratio(p, r) {
    return typeof p === 'number' && typeof r === 'number' && r > 0 ? p / r : null;
}
const fmtRatio = (x) => (x === null ? '–' : `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`);
mkdirSync(resultsDir, { recursive: true });
for (const pair of pairs) {
    const ref = pair.find((r) => r.role === 'reference');
    for (const run of pair) {
        let ratios;
        if (ref && run !== ref) {
            ratios = Object.fromEntries(Object.keys(run).filter((k) => !noRatio.has(k))
                .map((k) => [k, ratio(run[k], ref[k])]).filter(([, v]) => v !== null).map(([k, v]) => [k, +v.toFixed(3)]));
        }
        appendFileSync(new URL('results.jsonl', resultsDir), JSON.stringify({ ...meta, ...run, ...(ratios ? { ratiosToReference: ratios } : {}) }) + '\n');
    }
}
const title = `# Pulse bench ${meta.date}${smoke ? ' (smoke)' : ''}`;
const lines = [title, '', `Machine: ${meta.machine}, load average ${meta.loadAverage.join(', ')} at the start, ${os.loadavg().map((x) => x.toFixed(1)).join(', ')} at the end. Server: ${meta.pulse}, heartbeat ${hb.interval} ms / ${hb.timeout} ms.`
    + (peer ? ` Reference: ${peer.label}, bench/peer/ws-server.mjs, the same heartbeat, run first in each scenario with the same load generators.` : ''), ''];
if (peer) {
    // the overview: the figures the README's ratio table quotes
    const key = { idle: ['rssPerConnKiB', 'liveHeapPerConnKiB', 'serverCpuSecondsPerSecond', 'connectAllMs', 'handshakesPerSecond',
            'pingsPerClientPerSecond'],
        fanout: ['latencyP50Ms', 'latencyP99Ms', 'latencyMaxMs', 'serverCpuSeconds'], silent: ['detectMinMs', 'detectP50Ms', 'detectMaxMs'] };
    lines.push('## Pulse beside ws', '', '| scenario | figure | ws | Pulse | Pulse/ws | machine busy (ws, Pulse) |', '|---|---|---|---|---|---|');
    for (const [ref, run] of pairs) {
        for (const k of key[run.scenario] ?? []) {
            const busy = run.machineBusy === undefined ? '' : `${Math.round(ref.machineBusy * 100)} %, ${Math.round(run.machineBusy * 100)} %`;
            lines.push(`| ${run.scenario} ${run.clients} | ${k} | ${ref[k]} | ${run[k]} | ${fmtRatio(ratio(run[k], ref[k]))} | ${busy} |`);
        }
    }
    lines.push('');
}
for (const pair of pairs) {
    const [first] = pair;
    lines.push(`## ${first.scenario} (${first.clients} clients)`, '');
    if (pair.length === 1) {
        lines.push('| figure | value |', '|---|---|');
    } else {
        lines.push('| figure | ws | Pulse | Pulse/ws |', '|---|---|---|---|');
    }
    const [ref, run] = pair.length === 1 ? [null, first] : pair;
    for (const [k, v] of Object.entries(run)) {
        if (['scenario', 'clients', 'server', 'role'].includes(k)) {
            continue;
        }
        lines.push(ref ? `| ${k} | ${ref[k] ?? '–'} | ${v} | ${noRatio.has(k) ? '' : fmtRatio(ratio(v, ref[k]))} |` : `| ${k} | ${v} |`);
    }
    lines.push('');
}
const summaryName = smoke ? 'smoke.md' : args.server === 'wildfly' ? 'summary-wildfly.md' : 'summary.md';
writeFileSync(new URL(summaryName, resultsDir), lines.join('\n'));
// hard failures, so that the smoke run in the test command catches a rotten bench or a broken server (the reference
// too: a reference that loses clients means the load generators or the machine, not Pulse, and its ratios are void)
const failures = [];
for (const run of pairs.flat()) {
    const who = run.role === 'reference' ? 'ws reference ' : '';
    if (run.scenario === 'idle' && (run.connected !== run.clients || run.unexpectedCloses !== 0)) failures.push(`${who}idle: ${run.connected}/${run.clients} connected, ${run.unexpectedCloses} unexpected closes`);
    if (run.scenario === 'fanout' && run.deliveryRatio !== 1) failures.push(`${who}fanout: delivery ratio ${run.deliveryRatio}`);
    if (run.scenario === 'silent' && (run.undetected !== 0 || run.healthyClosed !== 0)) failures.push(`${who}silent: ${run.undetected} undetected, ${run.healthyClosed} healthy closed`);
}
if (failures.length) {
    console.error('bench failed: ' + failures.join('; '));
    process.exit(1);
}
console.log(`${pairs.flat().length} passed, 0 failed (${targets.map((t) => `${t.name} ${(wallMs[t.name] / 1000).toFixed(1)} s`).join(', ')})`);
