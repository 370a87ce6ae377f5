// The faults of a chaos run, drawn from a seeded generator: every few seconds one of worker-kill, blackhole, reset,
// stop, slow (client faults), and at fixed fractions of the run the server faults (two drain restarts and a SIGKILL;
// one drain for --smoke). Each fault is logged with the clients it touched, so that report.mjs can tell how long
// each client took to be back, and the presence check can leave faulted clients out.

/** mulberry32: a small seeded generator, so a run's faults can be drawn again (--seed). */
function random(seed) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6D2B79F5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Faults {
    constructor({ cfg, clients, workers, relay, killWorker, serverFault, log }) {
        Object.assign(this, { cfg, clients, workers, relay, killWorker, serverFault, say: log });
        this.rnd = random(cfg.seed);
        this.log = []; // { kind, at, end, idx: [client idx] | 'all', detail }
        this.serverBusy = false;
        const smoke = cfg.smoke;
        this.n = smoke ? 5 : 20; // connections per relay fault, clients per slow-reader fault
        this.every = smoke ? [1500, 3500] : [2000, 8000];
        this.serverPlan = (cfg.serverFaults ?? (smoke ? ['drain'] : ['drain', 'drain', 'kill'])).map((how, i, all) => ({
            how, at: smoke ? 0.3 : (0.2 + (0.55 * i) / Math.max(1, all.length - 1)) + this.rnd() * 0.1,
        }));
    }

    pick(list) {
        return list[Math.floor(this.rnd() * list.length)];
    }

    /** Client faults until `end` − cooldown, server faults at their fractions of [start, end]. */
    async run(start, end) {
        const cooldown = this.cfg.smoke ? 5000 : 30_000;
        const warmup = this.cfg.smoke ? 3000 : 15_000;
        const span = end - start;
        const server = (async () => {
            for (const p of this.serverPlan) {
                await sleep(Math.max(0, start + p.at * span - Date.now()));
                this.serverBusy = true;
                const entry = { kind: p.how === 'drain' ? 'server-drain-restart' : 'server-kill', at: Date.now(), idx: 'all' };
                this.log.push(entry);
                this.say(entry.kind);
                const { drained } = await this.serverFault(p.how);
                entry.end = Date.now();
                entry.detail = { drained, restartMs: entry.end - entry.at };
                await sleep(this.cfg.smoke ? 3000 : 10_000); // let everybody come back before the next client fault
                this.serverBusy = false;
            }
        })();
        await sleep(warmup);
        while (Date.now() < end - cooldown) {
            await sleep(this.every[0] + this.rnd() * (this.every[1] - this.every[0]));
            if (this.serverBusy || Date.now() >= end - cooldown) continue;
            await this.clientFault(this.pick(['worker-kill', 'blackhole', 'blackhole', 'reset', 'reset', 'stop', 'slow']));
        }
        await server;
        await sleep(Math.max(0, end - Date.now()));
    }

    async clientFault(kind) {
        const w = this.pick(this.workers.filter((x) => x.alive));
        const entry = { kind, at: Date.now(), idx: [] };
        if (kind === 'worker-kill' && w) {
            entry.idx = this.clients.filter((c) => c.worker === w.k).map((c) => c.idx);
            entry.detail = { worker: w.k };
            entry.at = await this.killWorker(w);
        } else if (kind === 'stop' && w) {
            const ms = 1000 + Math.floor(this.rnd() * 5000);
            entry.idx = this.clients.filter((c) => c.worker === w.k).map((c) => c.idx);
            entry.detail = { worker: w.k, stoppedMs: ms };
            const child = w.child;
            child.kill('SIGSTOP');
            setTimeout(() => { try { child.kill('SIGCONT'); } catch { /* gone */ } }, ms);
            entry.end = entry.at + ms;
        } else if (kind === 'blackhole' || kind === 'reset') {
            const r = await this.relay.ask({ cmd: kind, count: this.n, ms: 15_000 });
            entry.at = r.at;
            entry.idx = r.users.map((u) => Number(u.slice(1)));
            if (kind === 'blackhole') entry.end = entry.at + 15_000;
        } else if (kind === 'slow' && w) {
            const mine = this.clients.filter((c) => c.worker === w.k && c.up);
            const chosen = [];
            while (chosen.length < Math.min(this.n, mine.length)) {
                const c = this.pick(mine);
                if (!chosen.includes(c.idx)) chosen.push(c.idx);
            }
            const forMs = 10_000;
            w.child.send({ cmd: 'slow', idx: chosen, forMs, pauseMs: 1500, readMs: 300 });
            entry.idx = chosen;
            entry.detail = { worker: w.k, forMs, pauseMs: 1500, readMs: 300 };
            entry.end = entry.at + forMs;
        } else {
            return;
        }
        entry.end ??= entry.at;
        this.log.push(entry);
    }

    /** Whether a fault touched client `c` in [from, to] (a fault counts until its end plus the eviction bound). */
    touched(c, from, to) {
        const bound = this.cfg.heartbeat.interval + this.cfg.heartbeat.timeout + 1000;
        return this.log.some((f) => (f.idx === 'all' || f.idx.includes(c.idx)) && f.at <= to && (f.end ?? Date.now()) + bound >= from);
    }
}
