// One load-generator process: opens its share of WebSocket clients from its own loopback source address and
// reports what they saw. Driven by bench.mjs over IPC; never run against anything but a local server.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';

const cfg = JSON.parse(process.env.PULSE_LOADGEN);
const { url, count, localAddress, topic, silent = [], connectConcurrency = 100, userPrefix = null } = cfg;
const clients = [];
let stopping = false;
let refused = 0; // handshakes refused with 1013 (and retried after their retry-after)
// This process's own stalls: a client whose Pong waited in a starved event loop is closed with 4000 through no fault
// of the server's, so every close can be set beside the stalls before it (bench.mjs)
const loopDelay = monitorEventLoopDelay({ resolution: 20 });
loopDelay.enable();
const stalls = []; // {at, ms}: the end of each stretch of 500 ms or more in which this loop ran nothing
let lastBeat = Date.now();
setInterval(() => {
    const now = Date.now();
    if (now - lastBeat >= 600) {
        stalls.push({ at: now, ms: now - lastBeat - 100 });
    }
    lastBeat = now;
}, 100).unref();

function openClient(index) {
    return new Promise((resolve) => {
        const started = Date.now();
        // autoPong off: every Pong is ours to send, so a client can go silent at will
        // userPrefix: a named user per client (`?user=`, needs pulse.identity.query-param), so presence is kept
        const target = userPrefix ? `${url}?user=${userPrefix}${index}` : url;
        const ws = new WebSocket(target, { localAddress, autoPong: false, perMessageDeflate: false, handshakeTimeout: 30_000 });
        // per client: the topic's seq at subscribe, then how many messages came, the last seq and any seq that
        // was not the one after the previous (a hole, a repeat or a reordering)
        const c = { index, ws, started, connectMs: null, pings: 0, closed: null, silentAt: null, subscribed: false, latencies: [],
            subSeq: null, received: 0, lastSeq: null, disorder: 0 };
        clients[index] = c;
        ws.on('ping', (data) => {
            if (c.silentAt === null) {
                c.pings++;
                ws.pong(data);
            }
        });
        ws.on('message', (raw) => {
            if (c.silentAt !== null) {
                return;
            }
            const m = JSON.parse(raw);
            if (m.type === 'welcome') {
                c.connectMs = Date.now() - started;
                if (topic) {
                    ws.send(JSON.stringify({ type: 'subscribe', topic }));
                } else {
                    resolve();
                }
            } else if (m.type === 'subscribed') {
                c.subscribed = true;
                c.subSeq = m.seq;
                c.lastSeq = m.seq;
                resolve();
            } else if (m.type === 'message' && m.topic === topic) {
                c.latencies.push([m.data.n, Date.now() - m.data.t]);
                if (m.seq !== c.lastSeq + 1) {
                    c.disorder++;
                }
                c.lastSeq = m.seq;
                c.received++;
            }
        });
        ws.on('close', (code, reason) => {
            const retry = /^retry-after=(\d+)$/.exec(String(reason));
            if (c.connectMs === null && code === 1013 && retry && !stopping) {
                // a node shedding load refused the handshake: come back when it said, as pulse.js does
                refused++;
                setTimeout(() => openClient(index).then(resolve), Number(retry[1]));
                return;
            }
            if (!c.closed) {
                c.closed = { code, at: Date.now() };
            }
            resolve();
        });
        ws.on('error', () => {});
    });
}

async function connectAll() {
    let next = 0;
    const workers = Array.from({ length: Math.min(connectConcurrency, count) }, async () => {
        while (next < count) {
            await openClient(next++);
        }
    });
    await Promise.all(workers);
}

function goSilent(index) {
    const c = clients[index];
    if (c && !c.closed) {
        c.silentAt = Date.now(); // from now on: no Pong, no message, nothing read is answered
    }
}

function report() {
    const open = clients.filter((c) => c && !c.closed);
    return {
        pid: process.pid,
        localAddress,
        count,
        connected: clients.filter((c) => c && c.connectMs !== null).length,
        open: open.length,
        connectMs: clients.filter((c) => c && c.connectMs !== null).map((c) => c.connectMs),
        pings: clients.map((c) => (c ? c.pings : 0)),
        closes: clients.filter((c) => c && c.closed).map((c) => ({ index: c.index, code: c.closed.code, at: c.closed.at, silentAt: c.silentAt })),
        silent: clients.filter((c) => c && c.silentAt !== null).map((c) => ({ index: c.index, silentAt: c.silentAt, closed: c.closed })),
        latencies: clients.flatMap((c) => (c ? c.latencies : [])),
        // [seq at subscribe, messages received, last seq, out-of-order count] per subscribed client
        order: topic ? clients.filter((c) => c && c.subscribed).map((c) => [c.subSeq, c.received, c.lastSeq, c.disorder]) : [],
        cpu: process.cpuUsage(),
        refused,
        loopDelayMaxMs: loopDelay.max / 1e6,
        stalls,
    };
}

process.on('message', async (msg) => {
    switch (msg.cmd) {
        case 'connect':
            await connectAll();
            process.send({ cmd: 'connected', report: report() });
            break;
        case 'resetPings':
            clients.forEach((c) => c && (c.pings = 0));
            process.send({ cmd: 'ok' });
            break;
        case 'silence':
            for (const { index, delayMs } of msg.plan) {
                setTimeout(() => goSilent(index), delayMs);
            }
            process.send({ cmd: 'ok' });
            break;
        case 'report':
            process.send({ cmd: 'report', report: report() });
            break;
        case 'stop':
            stopping = true;
            clients.forEach((c) => c && c.ws.terminate());
            process.send({ cmd: 'stopped' });
            setTimeout(() => process.exit(0), 50);
            break;
        default:
    }
});
process.on('disconnect', () => !stopping && process.exit(1));
void silent;
