// The chaos run's publisher: a steady rate of publishes to every topic in turn, over HTTP (keep-alive POSTs) and
// over one WebSocket (publish with an id, answered by an ack), directly to the server. It records every
// (topic, seq) the server acknowledged (HTTP 202 body, WebSocket ack) with the time the answer came, so the driver
// can tell which server incarnation (epoch) it belongs to; a publish whose answer never came (the server was killed or
// drained meanwhile) is only counted: it may or may not have been delivered, but never twice or out of order.
// Config in PULSE_CHAOS_PUBLISHER: { url, topics, httpRate, wsRate } (publishes per second, over all topics).
import http from 'node:http';
import WebSocket from 'ws';
import { post } from '../lib/http.mjs';

const cfg = JSON.parse(process.env.PULSE_CHAOS_PUBLISHER);
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
let acks = []; // [topic, seq, answeredAt, via]
const counts = { http: { sent: 0, acked: 0, refused: 0, unknown: 0, statuses: {} }, ws: { sent: 0, acked: 0, refused: 0, unknown: 0 } };
let stopping = false;
let httpInFlight = 0;
let n = 0;
const nextTopic = () => cfg.topics[n++ % cfg.topics.length];

function httpPublish() {
    const topic = nextTopic();
    counts.http.sent++;
    httpInFlight++;
    post(agent, `${cfg.url}/api/topics/${topic}/messages`, JSON.stringify({ via: 'http', n, t: Date.now() }), 5000)
        .then(({ status, body }) => {
            httpInFlight--;
            counts.http.statuses[status] = (counts.http.statuses[status] ?? 0) + 1;
            if (status === 202 && body && Number.isInteger(body.seq)) {
                counts.http.acked++;
                acks.push([topic, body.seq, Date.now(), 'http']);
            } else if (typeof status === 'number') {
                counts.http.refused++; // answered, not published (e.g. 503 while draining)
            } else {
                counts.http.unknown++; // no answer: published or not
            }
        });
}

let ws = null;
let wsOpen = false;
const pending = new Map(); // id → topic
let wsId = 0;
function wsConnect() {
    if (stopping) return;
    const sock = new WebSocket(cfg.url.replace(/^http/, 'ws') + '/ws', { perMessageDeflate: false, handshakeTimeout: 5000 });
    ws = sock;
    sock.on('message', (raw) => {
        const m = JSON.parse(raw);
        if (m.type === 'welcome') {
            wsOpen = true;
        } else if (m.type === 'ack' && pending.has(m.id)) {
            pending.delete(m.id);
            counts.ws.acked++;
            acks.push([m.topic, m.seq, Date.now(), 'ws']);
        } else if (m.type === 'error' && pending.has(m.ref)) {
            pending.delete(m.ref);
            counts.ws.refused++;
        }
    });
    sock.on('close', () => {
        wsOpen = false;
        counts.ws.unknown += pending.size; // sent, never answered
        pending.clear();
        setTimeout(wsConnect, 500);
    });
    sock.on('error', () => {});
}
function wsPublish() {
    if (!wsOpen) return;
    const topic = nextTopic();
    const id = `p${++wsId}`;
    pending.set(id, topic);
    counts.ws.sent++;
    ws.send(JSON.stringify({ type: 'publish', topic, id, data: { via: 'ws', n, t: Date.now() } }));
}

// steady: one tick every 50 ms sends its share of each rate (fractions carried over)
let httpDue = 0;
let wsDue = 0;
const tick = setInterval(() => {
    if (stopping) return;
    httpDue += cfg.httpRate / 20;
    wsDue += cfg.wsRate / 20;
    for (; httpDue >= 1; httpDue--) httpPublish();
    for (; wsDue >= 1; wsDue--) wsPublish();
}, 50);
wsConnect();

process.on('message', (msg) => {
    if (msg.cmd === 'acks') {
        const a = acks;
        acks = [];
        process.send({ cmd: 'acks', acks: a, counts });
    } else if (msg.cmd === 'stop') {
        stopping = true;
        clearInterval(tick);
        // answers still on their way: give them up to 6 s, then report what came
        const until = Date.now() + 6000;
        const wait = setInterval(() => {
            if ((pending.size === 0 && httpInFlight === 0) || Date.now() > until) {
                clearInterval(wait);
                process.send({ cmd: 'stopped', acks, counts });
                ws?.terminate();
                agent.destroy();
                setTimeout(() => process.exit(0), 50);
            }
        }, 100);
    }
});
process.on('disconnect', () => process.exit(1));
