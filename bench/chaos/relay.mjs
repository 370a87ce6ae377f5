// A TCP relay in front of the server (chaos run, loopback only): every client connects here and is forwarded.
// On the driver's word it turns chosen connections into half-open peers on both sides (stops forwarding in both
// directions and stops reading, so each side sees a peer that neither answers nor reads) or resets them (RST to the
// client and to the server). Each connection is named by the `user` of its upgrade request, so faults map to clients.
// Config in PULSE_RELAY: { listenPort, targetPort, sources: ["127.0.1.1", …] } (outbound source addresses, in turn).
import net from 'node:net';

const cfg = JSON.parse(process.env.PULSE_RELAY);
const conns = new Set();
let nextSource = 0;
const counts = { accepted: 0, upstreamFailed: 0, blackholed: 0, reset: 0 };

const server = net.createServer({ noDelay: true }, (client) => {
    counts.accepted++;
    const source = cfg.sources[nextSource++ % cfg.sources.length];
    const upstream = net.connect({ host: '127.0.0.1', port: cfg.targetPort, localAddress: source, noDelay: true });
    const c = { client, upstream, user: null, state: 'forwarding', openedAt: Date.now() };
    conns.add(c);
    const drop = () => {
        if (c.state === 'blackholed') return; // a half-open peer stays so until the driver's time is up
        conns.delete(c);
        client.destroy();
        upstream.destroy();
    };
    client.once('data', (chunk) => {
        const m = /^GET [^ ]*[?&]user=([A-Za-z0-9._@-]+)/.exec(chunk.toString('latin1', 0, Math.min(chunk.length, 512)));
        c.user = m ? m[1] : null;
    });
    upstream.on('error', (e) => { if (e.code === 'ECONNREFUSED') counts.upstreamFailed++; drop(); });
    client.on('error', drop);
    upstream.on('close', drop);
    client.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
});
server.on('error', (e) => { console.error(`relay: ${e.message}`); process.exit(1); });
server.listen(cfg.listenPort, '127.0.0.1', () => process.send?.({ cmd: 'listening' }));

function pick(count, users) {
    const open = [...conns].filter((c) => c.state === 'forwarding' && c.user !== null && (!users || users.has(c.user)));
    for (let i = open.length - 1; i > 0; i--) { // Fisher–Yates, then the first `count`
        const j = Math.floor(Math.random() * (i + 1));
        [open[i], open[j]] = [open[j], open[i]];
    }
    return open.slice(0, count);
}

/** Both directions stop: nothing is forwarded and nothing more is read, so both peers' writes back up. */
function blackhole(c, ms) {
    c.state = 'blackholed';
    c.client.unpipe(c.upstream);
    c.upstream.unpipe(c.client);
    c.client.pause();
    c.upstream.pause();
    counts.blackholed++;
    setTimeout(() => { // then let go of both sockets (each side gave up on it long before)
        conns.delete(c);
        c.client.destroy();
        c.upstream.destroy();
    }, ms).unref();
}

function reset(c) {
    c.state = 'reset';
    conns.delete(c);
    counts.reset++;
    c.client.resetAndDestroy();
    c.upstream.resetAndDestroy();
}

process.on('message', (msg) => {
    const users = msg.users ? new Set(msg.users) : null;
    switch (msg.cmd) {
        case 'blackhole': {
            const chosen = pick(msg.count, users);
            chosen.forEach((c) => blackhole(c, msg.ms));
            process.send({ cmd: 'blackholed', users: chosen.map((c) => c.user), at: Date.now() });
            break;
        }
        case 'reset': {
            const chosen = pick(msg.count, users);
            chosen.forEach(reset);
            process.send({ cmd: 'reset', users: chosen.map((c) => c.user), at: Date.now() });
            break;
        }
        case 'stats':
            process.send({ cmd: 'stats', open: conns.size, ...counts });
            break;
        case 'stop':
            server.close();
            conns.forEach((c) => { c.client.destroy(); c.upstream.destroy(); });
            process.send({ cmd: 'stopped' });
            setTimeout(() => process.exit(0), 50);
            break;
        default:
    }
});
process.on('disconnect', () => process.exit(1));
