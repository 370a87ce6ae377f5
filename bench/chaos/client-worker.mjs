// One chaos load-generator process: its share of the clients, each a named user subscribed to one topic (some
// with presence) through the relay, resuming with since/epoch after every close as the JS client does, and
// checking every seq (ledger.mjs). The state of each subscription lives in the driver: it comes in with the config
// (so a worker started after a kill resumes where the driver's copy ends) and goes back every `flushMs`, together
// with what happened (closes, resumes) — atomically per message, so the driver's copy is always one the clients
// could have had. Config in the first IPC message, { cmd: 'init', cfg: { url, localAddress, heartbeat: {interval,
// timeout}, flushMs, clients: [{ idx, user, topic, presence, state }] } }.
import WebSocket from 'ws';
import { apply, fresh, subscribeMessage } from './ledger.mjs';

const cfg = await new Promise((resolve) => process.once('message', (m) => resolve(m.cfg)));
const silenceMs = cfg.heartbeat.interval + cfg.heartbeat.timeout + 1000; // no Ping for this long: the link is dead
const clients = cfg.clients.map((c) => ({ ...c, state: c.state ?? fresh(), ws: null, up: false, lastFrameAt: 0,
    failures: 0, dirty: true, slowUntil: 0, timer: null }));
const events = []; // [idx, kind, at, detail]: up (resumed or first subscribed), down (close code), watchdog
let latencies = [];
let received = 0;
let stopping = false;

function connect(c) {
    if (stopping) return;
    c.timer = null;
    const ws = new WebSocket(`${cfg.url}?user=${c.user}`, { localAddress: cfg.localAddress, perMessageDeflate: false,
        handshakeTimeout: 10_000 });
    c.ws = ws;
    c.lastFrameAt = Date.now();
    ws.on('ping', () => { c.lastFrameAt = Date.now(); });
    ws.on('message', (raw) => {
        if (c.ws !== ws) return; // a socket this client gave up (terminated, replaced): as pulse.js, never read it again
        c.lastFrameAt = Date.now();
        const m = JSON.parse(raw);
        if (m.type === 'welcome') {
            ws.send(JSON.stringify(subscribeMessage(c.state, c.topic, c.presence)));
        } else if (m.topic === c.topic && (m.type === 'subscribed' || m.type === 'gap' || m.type === 'message')) {
            if (m.type === 'subscribed') {
                c.up = true;
                c.failures = 0;
                events.push([c.idx, 'up', Date.now(), c.state.epoch === null ? 'first' : 'resumed']);
            } else if (m.type === 'message') {
                received++;
                if (m.data && typeof m.data.t === 'number' && latencies.length < 20_000) latencies.push(Date.now() - m.data.t);
            }
            apply(c.state, m);
            c.dirty = true;
        } else if (m.type === 'error') {
            events.push([c.idx, 'error', Date.now(), m.code]);
        }
    });
    ws.on('close', (code, reason) => {
        if (c.ws !== ws) return;
        c.ws = null;
        if (c.up) events.push([c.idx, 'down', Date.now(), code]);
        c.up = false;
        if (stopping) return;
        // 1012 retry-after=<ms>: come back then; otherwise the client's backoff (0.25 s, doubling to 5 s, jittered)
        const retry = /retry-after=(\d+)/.exec(reason.toString());
        const delay = retry ? Number(retry[1]) : Math.min(5000, 250 * 2 ** c.failures) * (0.5 + Math.random() / 2);
        c.failures++;
        c.timer = setTimeout(() => connect(c), delay);
    });
    ws.on('error', () => {});
}

// the client's own liveness check (the JS client's liveness.js): a link with no Ping for too long is dead
setInterval(() => {
    const now = Date.now();
    for (const c of clients) {
        if (c.ws && c.ws.readyState === WebSocket.OPEN && now - c.lastFrameAt > silenceMs && now >= c.slowUntil) {
            events.push([c.idx, 'watchdog', now, now - c.lastFrameAt]);
            c.ws.terminate(); // its close event reconnects
        }
    }
}, 250);

/** A slow reader: its socket reads `readMs`, then stops for `pauseMs`, for `forMs`. */
function slow(c, forMs, pauseMs, readMs) {
    const until = Date.now() + forMs;
    c.slowUntil = until + silenceMs;
    const cycle = () => {
        const sock = c.ws?._socket;
        if (!sock || Date.now() > until) return;
        sock.pause();
        setTimeout(() => { sock.resume(); setTimeout(cycle, readMs); }, pauseMs);
    };
    cycle();
}

function flush() {
    const states = [];
    for (const c of clients) {
        if (c.dirty) {
            states.push([c.idx, c.state]);
            c.dirty = false;
        }
    }
    const batch = events.splice(0);
    if (states.length || batch.length) {
        process.send({ cmd: 'batch', states, events: batch, up: clients.filter((c) => c.up).map((c) => c.idx) });
    }
}
setInterval(flush, cfg.flushMs ?? 1000);

process.on('message', (msg) => {
    switch (msg.cmd) {
        case 'slow':
            for (const idx of msg.idx) {
                const c = clients.find((x) => x.idx === idx);
                if (c) slow(c, msg.forMs, msg.pauseMs, msg.readMs);
            }
            break;
        case 'report': {
            flush();
            const l = latencies;
            latencies = [];
            process.send({ cmd: 'report', received, latencies: l, up: clients.filter((c) => c.up).length,
                cpu: process.cpuUsage() });
            break;
        }
        case 'stop':
            stopping = true;
            flush();
            clients.forEach((c) => { clearTimeout(c.timer); c.ws?.terminate(); });
            setTimeout(() => process.exit(0), 100);
            break;
        default:
    }
});
process.on('disconnect', () => process.exit(1));

// connect all, spread over a second (a restarted worker's clients come back together, like a reloaded page)
clients.forEach((c) => { c.timer = setTimeout(() => connect(c), Math.random() * 1000); });
