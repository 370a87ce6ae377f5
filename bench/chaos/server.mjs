// The chaos run's server: started with bench/server.sh (the JVM settings of every bench run), restarted after a
// drain (POST /api/drain, then SIGTERM) or a SIGKILL, and read from /proc (RSS, CPU, open files) and /api/stats.
import { spawn, execFileSync } from 'node:child_process';
import { openSync, closeSync, fstatSync, readSync, statSync } from 'node:fs';
import { sleep, procRssKiB, procCpuSeconds, procFds } from '../lib/proc.mjs';

const repo = new URL('../../', import.meta.url).pathname;

export class Server {
    /** @param {{kind: string, port: number, dir: string, env: object, log: string}} opts dir: Payara's root dir or WildFly's base */
    constructor(opts) {
        this.opts = opts;
        this.url = `http://127.0.0.1:${opts.port}`;
        this.launcher = null;
        this.pid = null;
        this.incarnation = -1;
    }

    /** Starts the server and resolves once it is ready (or rejects after `timeoutMs`). */
    async start(timeoutMs = 180_000) {
        const fd = openSync(this.opts.log, 'a');
        const logFrom = statSync(this.opts.log).size;
        // Payara: every start on the same root dir, which bench/server.sh empties first (a reused one would deploy
        // the application twice: checked below)
        this.launcher = spawn('bash', ['bench/server.sh', 'run', this.opts.kind, String(this.opts.port), this.opts.dir],
            { cwd: repo, env: { ...process.env, ...this.opts.env }, stdio: ['ignore', fd, fd] });
        closeSync(fd);
        this.incarnation++;
        this.spawnAt = Date.now();
        const launcher = this.launcher;
        this.exited = new Promise((resolve) => launcher.once('exit', resolve));
        // Payara: the launcher execs the JVM; WildFly: standalone.sh runs it as its child, which is known once the
        // server is ready (before, standalone.sh also runs short-lived `java -version` checks)
        this.pid = this.opts.kind === 'payara' ? launcher.pid : null;
        const until = Date.now() + timeoutMs;
        while (Date.now() < until) {
            if (launcher.exitCode !== null || launcher.signalCode !== null) throw new Error(`server exited while starting, see ${this.opts.log}`);
            if (await this.ready()) {
                this.readyAt = Date.now();
                if (this.opts.kind === 'payara') this.checkDeployedOnce(logFrom);
                if (this.opts.kind !== 'payara') this.pid = childJava(launcher.pid);
                if (this.pid === null) throw new Error(`no JVM under ${launcher.pid}`);
                return;
            }
            await sleep(250);
        }
        throw new Error(`server not ready after ${timeoutMs} ms, see ${this.opts.log}`);
    }

    /**
     * Payara logs "Loading application [pulse] at [/]" once per deployment, and "Loading application pulse done in"
     * only for one it booted from its root dir: then it serves a saved copy besides --deploy's (README, Known
     * issues), and the run measures two servers.
     */
    checkDeployedOnce(logFrom) {
        const fd = openSync(this.opts.log, 'r');
        try {
            const size = fstatSync(fd).size - logFrom;
            const buffer = Buffer.alloc(Math.max(0, size));
            readSync(fd, buffer, 0, buffer.length, logFrom);
            const log = buffer.toString('utf8');
            const loads = log.match(/Loading application \[[^\]]*\] at/g) ?? [];
            // logged only for an application booted from the root dir's domain.xml, before it serves
            const saved = log.match(/Loading application \S+ done in/g) ?? [];
            if (loads.length !== 1 || saved.length !== 0) {
                throw new Error(`start ${this.incarnation}: the application was loaded ${loads.length} times, `
                    + `${saved.length} of them saved in the root dir (expected once, from --deploy), see ${this.opts.log}`);
            }
        } finally {
            closeSync(fd);
        }
    }

    async ready() {
        try {
            const r = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(2000) });
            return r.ok;
        } catch {
            return false;
        }
    }

    async stats() {
        try {
            const r = await fetch(`${this.url}/api/stats`, { signal: AbortSignal.timeout(5000) });
            return r.ok ? await r.json() : null;
        } catch {
            return null;
        }
    }

    async drain() {
        try {
            // every POST of the API must say JSON (415 otherwise: no cross-site form can post)
            const r = await fetch(`${this.url}/api/drain`, {
                method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(10_000),
            });
            return r.ok ? await r.json() : { status: r.status };
        } catch (e) {
            return { error: e.message };
        }
    }

    /** SIGTERM (a clean stop), SIGKILL after `graceMs`; resolves when the launcher is gone. */
    async stop(signal = 'SIGTERM', graceMs = 60_000) {
        if (!this.launcher || this.launcher.exitCode !== null || this.launcher.signalCode !== null) return;
        const pid = this.opts.kind === 'payara' ? this.launcher.pid : childJava(this.launcher.pid) ?? this.launcher.pid;
        try { process.kill(pid, signal); } catch { /* gone */ }
        const timer = setTimeout(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
        await this.exited;
        clearTimeout(timer);
        this.diedAt = Date.now();
    }

    sample() {
        return { rssKiB: procRssKiB(this.pid), cpuSeconds: procCpuSeconds(this.pid), fds: procFds(this.pid) };
    }
}

function childJava(parent) {
    try {
        const out = execFileSync('pgrep', ['-P', String(parent), 'java'], { encoding: 'utf8' }).trim();
        return out ? Number(out.split('\n')[0]) : null;
    } catch {
        return null;
    }
}
