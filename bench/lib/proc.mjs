// What the bench scenarios read about processes and the machine, from /proc (Linux), and small helpers they share.
import { readFileSync, readdirSync } from 'node:fs';

export const HZ = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const round = (x, d = 3) => (x === null || x === undefined || Number.isNaN(x) ? null : +x.toFixed(d));

/** `--a=b --c` → { a: 'b', c: undefined } (values are strings). */
export function parseArgs(argv = process.argv.slice(2)) {
    return Object.fromEntries(argv.map((a) => {
        const [k, ...v] = a.replace(/^--/, '').split('=');
        return [k, v.length ? v.join('=') : 'true'];
    }));
}

/** CPU seconds (user, system) of a process; null when it is gone. */
export function procCpu(pid) {
    try {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return { user: Number(f[11]) / HZ, system: Number(f[12]) / HZ };
    } catch {
        return null;
    }
}
export function procCpuSeconds(pid) {
    const c = procCpu(pid);
    return c === null ? null : c.user + c.system;
}
/** Resident set (KiB); null when the process is gone. */
export function procRssKiB(pid) {
    try {
        return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
    } catch {
        return null;
    }
}
/** Open file descriptors of a process (needs the same user); null when it is gone. */
export function procFds(pid) {
    try {
        return readdirSync(`/proc/${pid}/fd`).length;
    } catch {
        return null;
    }
}
/** The machine's CPU ticks, busy and total (from the first line of /proc/stat). */
export function machineCpu() {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + f[4];
    return { busy: f.reduce((a, b) => a + b, 0) - idle, total: f.reduce((a, b) => a + b, 0) };
}
/** The q-quantile of an ascending array (nearest rank); null when empty. */
export function pct(sorted, q) {
    return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : null;
}
