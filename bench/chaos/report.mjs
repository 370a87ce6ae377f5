// The figures of a chaos run: every subscription against every acknowledged seq (delivered exactly once in order,
// or covered by a gap it received), the seqs to chase when not, faults against evictions, time from each fault to
// the clients being back, presence errors, the server's RSS, CPU and open files over time. Writes
// results/chaos-<server>.md (chaos-smoke-<server>.md) and a line in results.jsonl; returns the exit code.
import { appendFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { pct, round } from '../lib/proc.mjs';
import { account } from './ledger.mjs';

const FAILING = new Set(['hole', 'duplicate', 'reorder', 'epoch-changed-without-gap']);

export function writeReport(run) {
    const { cfg, clients, incarnations, samples, published, pubCounts, faults, presenceErrors, presenceChecks, reports,
        beforeStop, afterStop, relayStats, resultsDir, log, caughtUp } = run;
    const silenceMs = cfg.heartbeat.interval + cfg.heartbeat.timeout + 1000;

    // ---- what was published, per topic and epoch (an ack carries no epoch: the incarnation that answered names it)
    const incOf = (t) => incarnations.filter((i) => i.spawnAt + 1000 <= t).at(-1) ?? incarnations[0];
    const pub = new Map(); // topic → epoch → Set(seq)
    let publishDuplicates = [];
    for (const [topic, seq, at] of published) {
        const epoch = incOf(at).epochs[topic] ?? `unknown#${incOf(at).n}`;
        if (!pub.has(topic)) pub.set(topic, new Map());
        const byEpoch = pub.get(topic);
        if (!byEpoch.has(epoch)) byEpoch.set(epoch, new Set());
        if (byEpoch.get(epoch).has(seq)) publishDuplicates.push({ topic, epoch, seq });
        byEpoch.get(epoch).add(seq);
    }
    const pubSorted = new Map([...pub].map(([t, m]) => [t, new Map([...m].map(([e, s]) => [e, [...s].sort((a, b) => a - b)]))]));
    publishDuplicates = publishDuplicates.slice(0, 20);

    // ---- every subscription against it
    const totals = { subscriptions: clients.length, due: 0, delivered: 0, coveredExpired: 0, coveredReset: 0, holes: 0, deliveredUnacked: 0 };
    const ratios = [];
    const holeSeqs = [];
    const anomalies = {};
    const chase = [];
    let notBack = 0;
    const finalInc = incarnations.at(-1);
    for (const c of clients) {
        const epochsInOrder = incarnations.map((i) => i.epochs[c.topic]).filter(Boolean);
        const a = account(c.state, pubSorted.get(c.topic) ?? new Map(), epochsInOrder);
        for (const k of Object.keys(totals)) if (k !== 'subscriptions') totals[k] += a[k];
        ratios.push(a.due ? (a.delivered + a.coveredExpired + a.coveredReset) / a.due : 1);
        for (const h of a.holeSeqs) if (holeSeqs.length < 30) holeSeqs.push({ user: c.user, topic: c.topic, ...h });
        for (const an of c.state.anomalies) {
            anomalies[an.kind] = (anomalies[an.kind] ?? 0) + 1;
            if (chase.length < 30) chase.push({ user: c.user, ...an });
        }
        if (c.state.epoch !== finalInc.epochs[c.topic]) notBack++;
    }
    ratios.sort((x, y) => x - y);
    const failingAnomalies = Object.entries(anomalies).filter(([k]) => FAILING.has(k)).reduce((s, [, v]) => s + v, 0);
    const otherAnomalies = Object.entries(anomalies).filter(([k]) => !FAILING.has(k)).reduce((s, [, v]) => s + v, 0);

    // ---- faults: how many, and how long from each to its clients being back
    const byKind = {};
    const perFault = [];
    const runStart = incarnations[0].readyAt;
    for (const f of faults) {
        const k = (byKind[f.kind] ??= { faults: 0, clientsTouched: 0, disconnected: 0, stayed: 0, notBack: 0, backMs: [] });
        k.faults++;
        const idx = f.idx === 'all' ? clients.map((c) => c.idx) : f.idx;
        k.clientsTouched += idx.length;
        const window = (f.end ?? f.at) - f.at + silenceMs + 5000;
        const one = { kind: f.kind, atS: round((f.at - runStart) / 1000, 1), clients: idx.length, disconnected: 0, backMs: [], detail: f.detail ?? null };
        // a client fault whose window a server restart began in: its clients' way back is the restart's, not its own
        if (f.idx !== 'all' && faults.some((g) => g.idx === 'all' && g.at >= f.at && g.at <= f.at + window)) {
            k.overlapped = (k.overlapped ?? 0) + 1;
            perFault.push({ ...one, overlappedByServerRestart: true, backMs: undefined });
            continue;
        }
        for (const i of idx) {
            const c = clients[i];
            const down = c.downs.find(([t]) => t >= f.at - 100 && t <= f.at + window);
            if (!down) { k.stayed++; continue; }
            k.disconnected++;
            one.disconnected++;
            const back = c.ups.find((t) => t > down[0]);
            if (back === undefined) k.notBack++;
            else { k.backMs.push(back - f.at); one.backMs.push(back - f.at); }
        }
        one.backMs.sort((x, y) => x - y);
        perFault.push({ ...one, backP50Ms: pct(one.backMs, 0.5), backMaxMs: one.backMs.at(-1) ?? null, backMs: undefined });
    }
    const faultRows = Object.entries(byKind).map(([kind, k]) => {
        k.backMs.sort((x, y) => x - y);
        return { kind, faults: k.faults, overlappedByServerRestart: k.overlapped ?? 0, clientsTouched: k.clientsTouched, disconnected: k.disconnected, stayedConnected: k.stayed,
            notBack: k.notBack, backP50Ms: pct(k.backMs, 0.5), backP99Ms: pct(k.backMs, 0.99), backMaxMs: k.backMs.at(-1) ?? null };
    });
    const closeCodes = {};
    for (const c of clients) for (const [, code] of c.downs) closeCodes[code] = (closeCodes[code] ?? 0) + 1;

    // ---- the server's own counts, summed over its incarnations (a SIGKILLed one: its last sample, ≤ 5 s old)
    const evictions = {};
    const serverCounts = { opened: 0, abruptDisconnects: 0, gapsSent: 0, messagesOut: 0, errors: {} };
    for (const inc of incarnations) {
        const s = inc.stats;
        if (!s) continue;
        for (const [k, v] of Object.entries(s.evictions ?? {})) evictions[k] = (evictions[k] ?? 0) + v;
        serverCounts.opened += s.opened ?? 0;
        serverCounts.abruptDisconnects += s.disconnects?.abrupt ?? 0; // peers gone without a close frame: not evictions
        serverCounts.gapsSent += s.gapsSent ?? 0;
        serverCounts.messagesOut += s.messagesOut ?? 0;
        for (const [k, v] of Object.entries(s.errors ?? {})) serverCounts.errors[k] = (serverCounts.errors[k] ?? 0) + v;
    }

    // ---- resources over time: buckets of 30 s (5 s for --smoke); growth after warm-up per incarnation
    const bucketMs = cfg.smoke ? 5000 : 30_000;
    const warmMs = cfg.smoke ? 10_000 : 60_000;
    const t0 = samples[0]?.t ?? Date.now();
    const buckets = [];
    for (const s of samples) {
        const b = Math.floor((s.t - t0) / bucketMs);
        const last = buckets.at(-1);
        if (!last || last.b !== b || last.inc !== s.inc) buckets.push({ b, inc: s.inc, first: s, last: s });
        else last.last = s;
    }
    let prev = null;
    const timeline = buckets.map(({ b, inc, first, last }) => {
        const from = prev && prev.inc === inc ? prev : first;
        const cpu = last.t > from.t && last.cpuSeconds !== null && from.cpuSeconds !== null ? (last.cpuSeconds - from.cpuSeconds) / ((last.t - from.t) / 1000) : null;
        prev = last;
        return { atS: Math.round((b * bucketMs) / 1000), inc, rssMiB: round(last.rssKiB / 1024, 0), cpuPerS: round(cpu, 2), fds: last.fds,
            connections: last.connections, lingering: last.lingering };
    });
    const growth = incarnations.map((inc) => {
        const after = samples.filter((s) => s.inc === inc.n && s.t >= inc.readyAt + warmMs && s.rssKiB !== null);
        if (after.length < 2) return { inc: inc.n, samples: after.length };
        const minutes = (after.at(-1).t - after[0].t) / 60_000;
        return { inc: inc.n, from: round(after[0].rssKiB / 1024, 0), to: round(after.at(-1).rssKiB / 1024, 0),
            overMin: round(minutes, 1), mibPerMin: round((after.at(-1).rssKiB - after[0].rssKiB) / 1024 / Math.max(minutes, 1 / 60), 1),
            cpuPerS: round((after.at(-1).cpuSeconds - after[0].cpuSeconds) / (minutes * 60), 2) };
    });
    // the baseline: open files of a server at its start less the connections it already had (clients come back at once)
    const base = incarnations.map((i) => i.atReady.fds - (i.atReady.connections ?? 0)).filter((x) => !Number.isNaN(x));
    // the first start's files, before any client: the baseline of this server (every start is the same JVM and WAR)
    const fd = { baselineAtReady: base, atReady: incarnations[0].atReady.fds - (incarnations[0].atReady.connections ?? 0), beforeStop: beforeStop.fds, connectionsBeforeStop: beforeStop.stats?.connections ?? null,
        afterStop: afterStop?.fds ?? null, connectionsAfterStop: afterStop?.connections ?? null, lingeringAfterStop: afterStop?.lingering ?? null };
    fd.beforeStopMinusConnections = fd.beforeStop !== null && fd.connectionsBeforeStop !== null ? fd.beforeStop - fd.connectionsBeforeStop : null;
    fd.leakAfterStop = fd.afterStop !== null && fd.atReady !== null ? fd.afterStop - fd.atReady - (fd.connectionsAfterStop ?? 0) : null;

    const lat = reports.flatMap((r) => r.latencies).sort((x, y) => x - y);
    const result = {
        scenario: cfg.smoke ? 'chaos-smoke' : 'chaos',
        durationS: cfg.duration / 1000, clients: cfg.clients, topics: cfg.topics, presenceTopics: cfg.presenceTopics, workers: cfg.workers,
        publishRate: { http: cfg.httpRate, ws: cfg.wsRate }, seed: cfg.seed,
        published: published.length, publisher: pubCounts, publishDuplicates: publishDuplicates.length,
        ...totals,
        deliveryRatioMin: round(ratios[0] ?? 1, 4), subscriptionsBelow1: ratios.filter((r) => r < 1).length,
        silentHoles: totals.holes + (anomalies.hole ?? 0) + (anomalies['epoch-changed-without-gap'] ?? 0),
        duplicates: anomalies.duplicate ?? 0, reorders: anomalies.reorder ?? 0, anomalies,
        notBackAtEnd: notBack, caughtUpAtEnd: caughtUp,
        faults: faultRows, perFault, clientCloseCodes: closeCodes, watchdogCloses: watchdogs(clients, incarnations),
        evictions, server: serverCounts,
        presenceChecks, presenceErrors: presenceErrors.length,
        incarnations: incarnations.map((i) => ({ n: i.n, startS: round((i.readyAt - i.spawnAt) / 1000, 1), ended: i.how ?? 'end',
            rssAtReadyMiB: round(i.atReady.rssKiB / 1024, 0), fdsAtReady: i.atReady.fds, connectionsAtReady: i.atReady.connections })),
        rssGrowthAfterWarmup: growth, fds: fd, relay: relayStats,
        deliveryLatencyMs: { p50: pct(lat, 0.5), p99: pct(lat, 0.99), max: lat.at(-1) ?? null, note: 'publish to arrival, replays after a reconnect included' },
    };
    const failed = failingAnomalies > 0 || totals.holes > 0 || publishDuplicates.length > 0 || notBack > 0 || otherAnomalies > 0 || totals.delivered === 0;
    result.verdict = failed ? 'FAIL' : 'PASS';

    const meta = { date: new Date().toISOString(), machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.cpus()[0].model}`,
        server: cfg.kind === 'wildfly' ? 'WildFly 39.0.1.Final' : 'Payara Micro 6.2025.10', smoke: cfg.smoke };
    appendFileSync(new URL('results.jsonl', resultsDir), JSON.stringify({ ...meta, ...result }) + '\n');
    const md = markdown(meta, result, { chase, holeSeqs, publishDuplicates, presenceErrors, timeline });
    const name = `chaos-${cfg.smoke ? 'smoke-' : ''}${cfg.kind}.md`;
    writeFileSync(new URL(name, resultsDir), md);
    log(`wrote bench/results/${name}`);
    console.log(md);
    if (failed) {
        console.error(`chaos ${result.verdict}: ${result.silentHoles} silent holes, ${result.duplicates} duplicates, ${result.reorders} reorders, `
            + `${otherAnomalies} other anomalies, ${publishDuplicates.length} seqs acked twice, ${notBack} clients not back`);
        for (const x of [...chase, ...holeSeqs].slice(0, 30)) console.error(`  chase: ${JSON.stringify(x)}`);
        return 1;
    }
    return 0;
}

function markdown(meta, r, { chase, holeSeqs, publishDuplicates, presenceErrors, timeline }) {
    const L = [];
    const j = (x) => JSON.stringify(x);
    L.push(`# Pulse chaos ${meta.date}${meta.smoke ? ' (smoke)' : ''}: ${r.verdict}`, '',
        `Machine: ${meta.machine}. Server: ${meta.server}, heartbeat 1000 ms / 2000 ms, store=memory. ${r.clients} clients `
        + `(${r.workers} worker processes) through the relay, ${r.topics} topics (${r.presenceTopics} with presence), `
        + `${r.publishRate.http} HTTP + ${r.publishRate.ws} WebSocket publishes/s for ${r.durationS} s, seed ${r.seed}.`, '',
        '## Delivery (every acknowledged seq due to each subscription)', '', '| figure | value |', '|---|---|');
    for (const k of ['published', 'publishDuplicates', 'subscriptions', 'due', 'delivered', 'coveredExpired', 'coveredReset', 'deliveryRatioMin',
        'subscriptionsBelow1', 'silentHoles', 'duplicates', 'reorders', 'deliveredUnacked', 'notBackAtEnd', 'caughtUpAtEnd']) L.push(`| ${k} | ${j(r[k])} |`);
    L.push(`| anomalies | ${j(r.anomalies)} |`, `| publisher | ${j(r.publisher)} |`, `| delivery latency ms | ${j(r.deliveryLatencyMs)} |`, '');
    if (chase.length || holeSeqs.length || publishDuplicates.length) {
        L.push('### To chase', '');
        for (const x of [...chase, ...holeSeqs, ...publishDuplicates.map((d) => ({ kind: 'acked twice', ...d }))].slice(0, 40)) L.push(`- ${j(x)}`);
        L.push('');
    }
    L.push('## Faults and the time to be back (from the fault to the client subscribed again)', '',
        '| fault | times (of which a server restart began within, left out) | clients touched | disconnected | stayed connected | not back | back p50 / p99 / max ms |', '|---|---|---|---|---|---|---|');
    for (const f of r.faults) L.push(`| ${f.kind} | ${f.faults} (${f.overlappedByServerRestart}) | ${f.clientsTouched} | ${f.disconnected} | ${f.stayedConnected} | ${f.notBack} | ${f.backP50Ms} / ${f.backP99Ms} / ${f.backMaxMs} |`);
    L.push('', '<details><summary>Each fault (s after the first start; clients touched, disconnected, back p50 / max ms)</summary>', '');
    for (const f of r.perFault) L.push(`- ${f.atS} s ${f.kind}: ${f.clients} touched, ${f.overlappedByServerRestart ? 'a server restart began within (left out)' : `${f.disconnected} disconnected, back ${f.backP50Ms} / ${f.backMaxMs} ms`}${f.detail ? ` ${j(f.detail)}` : ''}`);
    L.push('', '</details>');
    L.push('', `Server evictions by reason (/api/stats, summed over incarnations): ${j(r.evictions)}. Closes seen by clients by code: ${j(r.clientCloseCodes)}; `
        + `closed by the client's own liveness check (no Ping for 4 s): ${j(r.watchdogCloses)}. Server: ${j(r.server)}. Relay: ${j(r.relay)}.`, '',
        `## Presence: ${r.presenceErrors} errors in ${r.presenceChecks} checks`, '');
    for (const e of presenceErrors.slice(0, 20)) L.push(`- ${j(e)}`);
    L.push('', '## Server resources', '', `Incarnations: ${j(r.incarnations)}`, '', `RSS after warm-up per incarnation: ${j(r.rssGrowthAfterWarmup)}`, '',
        `Open files: ${j(r.fds)}`, '', '| t s | incarnation | RSS MiB | CPU s/s | fds | connections | lingering |', '|---|---|---|---|---|---|---|');
    for (const t of timeline) L.push(`| ${t.atS} | ${t.inc} | ${t.rssMiB} | ${t.cpuPerS} | ${t.fds} | ${t.connections} | ${t.lingering} |`);
    L.push('');
    return L.join('\n');
}

/** The clients' own liveness closes (no Ping for 4 s): within 60 s of a server start (the reconnect storm) or not. */
function watchdogs(clients, incarnations) {
    const all = clients.flatMap((c) => c.watchdogs);
    const nearStart = all.filter((t) => incarnations.some((i) => t >= i.readyAt && t < i.readyAt + 60_000)).length;
    return { total: all.length, within60sOfAServerStart: nearStart, other: all.length - nearStart };
}
