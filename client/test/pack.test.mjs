/**
 * The package as users get it: `npm pack`, installed into a scratch project next to `ws`, imported by its name in
 * Node against a small server that speaks the contract, and type-checked there against the packed declarations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { WebSocketServer } from 'ws';

const run = promisify(execFile);
const CLIENT = fileURLToPath(new URL('..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** A server that speaks just enough of the contract: welcome, subscribed + one message, ack, presence with its id. */
function contractServer() {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (protocols) => (protocols.has('pulse.v1') ? 'pulse.v1' : false) });
    const seen = [];
    server.on('connection', (socket, request) => {
        const user = request.headers['sec-websocket-protocol']?.includes('bearer.t-ann') ? 'ann' : null;
        socket.send(JSON.stringify({ type: 'welcome', session: 's1', user, heartbeat: { interval: 1000, timeout: 2000 }, time: Date.now() }));
        socket.on('message', (raw) => {
            const m = JSON.parse(String(raw));
            seen.push(m);
            if (m.type === 'subscribe') {
                socket.send(JSON.stringify({ type: 'subscribed', topic: m.topic, epoch: 'E', seq: 0 }));
                socket.send(JSON.stringify({ type: 'message', topic: m.topic, seq: 1, epoch: 'E', time: 1, data: { text: 'first' } }));
            } else if (m.type === 'publish') {
                socket.send(JSON.stringify({ type: 'ack', id: m.id, topic: m.topic, seq: 2 }));
            } else if (m.type === 'presence') {
                socket.send(JSON.stringify({ type: 'presence', id: m.id, topic: m.topic, members: [{ user: 'ann', since: 1, connections: 1 }] }));
            } else if (m.type === 'ping') {
                socket.send(JSON.stringify({ type: 'pong', t: m.t, time: Date.now() }));
            }
        });
    });
    return new Promise((resolve) => server.on('listening', () => resolve({ server, seen, port: server.address().port })));
}

const APP = `
import { Pulse } from 'pulse-client';
import WebSocket from 'ws';

const pulse = Pulse.connect(process.argv[2], { WebSocket, token: async () => 't-ann' });
const states = [];
pulse.on('state', ({ state }) => states.push(state));
const messages = [];
pulse.on('message', ({ topic, seq, data }) => messages.push({ topic, seq, text: data.text }));
const welcome = await new Promise((resolve) => pulse.on('welcome', resolve));
const subscribed = await pulse.subscribe('room:pack', { presence: true });
const ack = await pulse.publish('room:pack', { text: 'hi' });
const members = await pulse.presence('room:pack');
pulse.close();
console.log(JSON.stringify({ user: welcome.user, subscribed: subscribed.topic, ack, members, messages, states }));
`;

const CHECK = `
import { Pulse } from 'pulse-client';
import type { Message } from 'pulse-client';
const pulse = Pulse.connect('ws://localhost/ws');
pulse.on('message', (m: Message) => m.seq);
// @ts-expect-error a typo in an event name does not compile
pulse.on('mesage', () => undefined);
`;

test('npm pack: the tarball installs into a scratch project, imports in Node with ws, and type-checks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pulse-pack-'));
    const { server, seen, port } = await contractServer();
    try {
        // `npm test` has just built the declarations (what `prepack` does), so the pack need not build them again
        const { stdout: packed } = await run(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: CLIENT });
        const [info] = JSON.parse(packed.slice(packed.indexOf('[')));
        const files = info.files.map((f) => f.path).sort();
        const manifest = JSON.parse(await readFile(join(CLIENT, 'package.json'), 'utf8'));
        assert.equal(info.version, manifest.version);
        for (const file of ['package.json', 'README.md', 'src/pulse.js', 'src/pulse/machine.js', 'types/pulse.d.ts', 'types/pulse/machine.d.ts']) {
            assert.ok(files.includes(file), `${file} is packed: ${files}`);
        }
        assert.deepEqual(files.filter((f) => !/^(src|types)\/|^(package\.json|README\.md|LICENSE)$/.test(f)), [], 'nothing else');

        const app = join(dir, 'app');
        await mkdir(app);
        await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
        const ws = JSON.parse(await readFile(join(CLIENT, 'node_modules/ws/package.json'), 'utf8')).version;
        // the cache when it has ws, else the registry: a fresh machine's cache has ws's tarball (from npm ci) but
        // not its metadata, which resolving `ws@<version>` needs (--offline failed there with ENOTCACHED)
        await run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock',
            join(dir, info.filename), `ws@${ws}`], { cwd: app });
        await writeFile(join(app, 'main.mjs'), APP);
        const { stdout } = await run(process.execPath, ['main.mjs', `ws://127.0.0.1:${port}/ws`], { cwd: app, timeout: 20_000 });
        const result = JSON.parse(stdout);
        assert.deepEqual(result.messages, [{ topic: 'room:pack', seq: 1, text: 'first' }]);
        assert.equal(result.user, 'ann', 'the token went as the bearer subprotocol');
        assert.deepEqual(result.ack, { topic: 'room:pack', seq: 2 });
        assert.deepEqual(result.members, [{ user: 'ann', since: 1, connections: 1 }]);
        assert.deepEqual(result.states, ['connecting', 'open', 'closed']);
        assert.ok(seen.some((m) => m.type === 'presence' && typeof m.id === 'string'), 'presence asked with an id');

        await writeFile(join(app, 'check.ts'), CHECK);
        await writeFile(join(app, 'tsconfig.json'), JSON.stringify({
            compilerOptions: { noEmit: true, strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [] },
            files: ['check.ts'],
        }));
        await run(process.execPath, [join(CLIENT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app });
    } finally {
        server.close();
        await rm(dir, { recursive: true, force: true });
    }
});
