// The bench's reference server (issue #16 part 6): a small Node server on the package `ws` doing the same job as
// Pulse for what bench.mjs's scenarios need, and nothing more, so that every bench figure can be reported beside
// it (ratios hold on a noisy machine; absolute times don't). Single process, no cluster, no history, no auth.
//
//   WebSocket at /ws: `welcome` on open; `subscribe` → `subscribed` (the topic's last seq); fan-out as
//     `{"type":"message","topic","seq","epoch","time","data"}`, encoded once per publish and the same bytes sent
//     to every subscriber (as Pulse does). Other client messages are ignored.
//   Heartbeat as Pulse's (PROTOCOL.md, Liveness): a tick every `interval` ms sends a protocol-level Ping (8-byte
//     payload, the send time) to every session; a session from which nothing (Pong or message) has arrived for
//     `timeout` ms after a Ping is closed with 4000 "heartbeat timeout" and dropped at once — Pulse's rule
//     (Liveness.decide): the first unanswered Ping at least `timeout` − half a tick ago and nothing read for
//     `timeout`. Decisions of a tick use the tick's start time. No pacing: Node sends 10,000 Pings in one go.
//   HTTP: POST /api/topics/{topic}/messages (JSON body) → 202 {"topic","seq"}; GET /health/ready → 200;
//     GET /api/stats → only what bench.mjs reads: heartbeat {interval, timeout, ticks, ticksSkipped,
//     lastTickMillis, maxTickMillis}, lag {ms} (how late the tick timer fired, worst of the last 3 ticks: the
//     event loop's analogue of Pulse's node lag), connections;
//     GET /bench/live-heap → V8 heap used after a full GC (needs node --expose-gc), KiB: the analogue of the
//     JVM class histogram's total that bench.mjs reads with jcmd for Pulse.
// Usage: node --expose-gc bench/peer/ws-server.mjs [--port=18092] [--interval=1000] [--timeout=2000]
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const port = Number(args.port ?? 18092);
const host = args.host ?? '127.0.0.1';
const interval = Number(args.interval ?? process.env.PULSE_HEARTBEAT_INTERVAL ?? 1000);
const timeout = Number(args.timeout ?? process.env.PULSE_HEARTBEAT_TIMEOUT ?? 2000);

const sessions = new Set(); // open sessions: { ws, lastSeen, pingedAt (the first Ping unanswered since the last frame) }
const topics = new Map(); // topic → { seq, epoch, subscribers: Set<session> }
const stats = { opened: 0, pingsSent: 0, pongsReceived: 0, messagesIn: 0, evictions: 0, published: 0,
    ticks: 0, ticksSkipped: 0, lastTickAt: 0, lastTickMillis: 0, maxTickMillis: 0 };
const tickLates = []; // how late each of the last ticks fired, ms

function topic(name) {
    let t = topics.get(name);
    if (!t) {
        t = { seq: 0, epoch: randomUUID().slice(0, 13), subscribers: new Set() };
        topics.set(name, t);
    }
    return t;
}
function drop(s) {
    sessions.delete(s);
    for (const name of s.topics) {
        topics.get(name)?.subscribers.delete(s);
    }
    s.topics.clear();
}

const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const reply = (status, body) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
    };
    const publish = /^\/api\/topics\/([A-Za-z0-9:._@-]{1,200})\/messages$/.exec(url.pathname);
    if (req.method === 'POST' && publish) {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            let data;
            try {
                data = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
                reply(400, { code: 'bad_json', message: 'the body is not JSON' });
                return;
            }
            const name = publish[1];
            const t = topic(name);
            const seq = ++t.seq;
            // encoded once (JSON and UTF-8), the same bytes sent as a text frame to every subscriber: ws would
            // otherwise turn a string into a new Buffer on every send
            const frame = Buffer.from(JSON.stringify({ type: 'message', topic: name, seq, epoch: t.epoch, time: Date.now(), data }));
            for (const s of t.subscribers) {
                s.ws.send(frame, { binary: false });
            }
            stats.published++;
            reply(202, { topic: name, seq });
        });
    } else if (req.method === 'GET' && url.pathname === '/health/ready') {
        reply(200, { status: 'UP' });
    } else if (req.method === 'GET' && url.pathname === '/api/stats') {
        reply(200, {
            node: 'ws-reference', connections: sessions.size, opened: stats.opened, pingsSent: stats.pingsSent,
            pongsReceived: stats.pongsReceived, evictions: { heartbeat: stats.evictions }, messagesIn: stats.messagesIn,
            heartbeat: { interval, timeout, ticks: stats.ticks, ticksSkipped: stats.ticksSkipped, lastTickAt: stats.lastTickAt,
                lastTickMillis: stats.lastTickMillis, maxTickMillis: stats.maxTickMillis },
            lag: { ms: tickLates.length ? Math.max(...tickLates) : 0 },
            time: Date.now(),
        });
    } else if (req.method === 'GET' && url.pathname === '/bench/live-heap') {
        if (typeof globalThis.gc !== 'function') {
            reply(501, { code: 'no_gc', message: 'start with node --expose-gc' });
            return;
        }
        globalThis.gc();
        globalThis.gc();
        const m = process.memoryUsage();
        reply(200, { heapUsedKiB: Math.round(m.heapUsed / 1024), externalKiB: Math.round(m.external / 1024),
            arrayBuffersKiB: Math.round(m.arrayBuffers / 1024), rssKiB: Math.round(m.rss / 1024) });
    } else {
        reply(404, { code: 'not_found', message: `${req.method} ${url.pathname}` });
    }
});

const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false, clientTracking: false });
wss.on('connection', (ws) => {
    const s = { ws, lastSeen: Date.now(), pingedAt: null, topics: new Set() };
    sessions.add(s);
    stats.opened++;
    const alive = () => {
        s.lastSeen = Date.now();
        s.pingedAt = null; // any frame answers the heartbeat
    };
    ws.on('pong', () => {
        stats.pongsReceived++;
        alive();
    });
    ws.on('message', (raw, isBinary) => {
        alive();
        stats.messagesIn++;
        if (isBinary) {
            return;
        }
        let m;
        try {
            m = JSON.parse(raw);
        } catch {
            return;
        }
        if (m && m.type === 'subscribe' && typeof m.topic === 'string') {
            const t = topic(m.topic);
            t.subscribers.add(s);
            s.topics.add(m.topic);
            ws.send(JSON.stringify({ type: 'subscribed', topic: m.topic, epoch: t.epoch, seq: t.seq }));
        }
    });
    ws.on('close', () => drop(s));
    ws.on('error', () => drop(s));
    ws.send(JSON.stringify({ type: 'welcome', session: randomUUID(), user: null, heartbeat: { interval, timeout }, time: Date.now() }));
});

// ticks on a fixed schedule (every `interval` from the start, as Pulse's @Schedule ticks on every second), not
// `interval` after the last one ended: a tick that overran the next start skips it (ticksSkipped), as Pulse does
let expected = Date.now() + interval;
function tick() {
    const now = Date.now();
    tickLates.push(Math.max(0, now - expected));
    if (tickLates.length > 3) {
        tickLates.shift();
    }
    stats.ticks++;
    stats.lastTickAt = now;
    const payload = Buffer.alloc(8);
    payload.writeBigInt64BE(process.hrtime.bigint());
    for (const s of sessions) {
        if (s.pingedAt !== null && now - s.pingedAt >= timeout - interval / 2 && now - s.lastSeen >= timeout) {
            stats.evictions++;
            drop(s);
            s.ws.close(4000, 'heartbeat timeout'); // ws terminates the socket if the closing handshake stalls (30 s)
            continue;
        }
        s.ws.ping(payload);
        stats.pingsSent++;
        if (s.pingedAt === null) {
            s.pingedAt = now;
        }
    }
    const end = Date.now();
    stats.lastTickMillis = end - now;
    stats.maxTickMillis = Math.max(stats.maxTickMillis, end - now);
    expected += interval;
    while (expected <= end) {
        expected += interval;
        stats.ticksSkipped++;
    }
    setTimeout(tick, expected - end);
}
setTimeout(tick, interval);

for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => process.exit(0));
}
server.listen(port, host, () => console.log(`ws reference on http://${host}:${port} (heartbeat ${interval} ms / ${timeout} ms, /ws)`));
