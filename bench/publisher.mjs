// One publisher process: K concurrent HTTP publishers (keep-alive, one request at a time each) to one topic,
// for a given time. Driven by cluster.mjs over IPC; reports what the server answered, so that the subscriber's
// deliveries can be checked against the seqs the server handed out. Never run against anything but a local server.
import http from 'node:http';
import { post as postJson } from './lib/http.mjs';

const HZ = 1e6; // process.cpuUsage() counts microseconds
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function post(agent, url, body) {
    const { status, body: answer } = await postJson(agent, url, body);
    return { status, seq: status === 202 && answer && Number.isInteger(answer.seq) ? answer.seq : null };
}

/** K loops publishing back to back for `seconds`; each body carries the step, the publisher's clock and padding. */
async function step({ url, topic, k, seconds, bytes }) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: k });
    const target = `${url}/api/topics/${topic}/messages`;
    const pad = 'x'.repeat(Math.max(0, bytes - 40));
    const seqs = [];
    const statuses = {};
    const latencies = [];
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    const end = t0 + seconds * 1000;
    await Promise.all(Array.from({ length: k }, async () => {
        while (Date.now() < end) {
            const sent = Date.now();
            const r = await post(agent, target, JSON.stringify({ n: k, t: sent, pad }));
            latencies.push(Date.now() - sent);
            statuses[r.status] = (statuses[r.status] ?? 0) + 1;
            if (r.seq !== null) {
                seqs.push(r.seq);
            } else if (r.status !== 202) {
                await sleep(10); // a refusal: do not spin
            }
        }
    }));
    const elapsed = (Date.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    agent.destroy();
    latencies.sort((a, b) => a - b);
    seqs.sort((a, b) => a - b);
    const pct = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] : null);
    let duplicates = 0;
    for (let i = 1; i < seqs.length; i++) {
        if (seqs[i] === seqs[i - 1]) duplicates++;
    }
    return {
        k, elapsed, accepted: seqs.length, statuses, duplicates,
        firstSeq: seqs[0] ?? null, lastSeq: seqs.at(-1) ?? null,
        httpP50Ms: pct(0.5), httpP99Ms: pct(0.99),
        cpuSeconds: (cpu.user + cpu.system) / HZ,
    };
}

process.on('message', async (msg) => {
    if (msg.cmd === 'step') {
        process.send({ cmd: 'step', report: await step(msg) });
    } else if (msg.cmd === 'stop') {
        process.send({ cmd: 'stopped' });
        setTimeout(() => process.exit(0), 50);
    }
});
process.on('disconnect', () => process.exit(1));
