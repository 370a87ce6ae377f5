// Child processes driven over IPC by request and answer: every message sent gets the child's next message back.
import { fork } from 'node:child_process';

/** Forks `module` (a URL) with `env` added, and gives it an `ask(msg)` that resolves with the child's answer. */
export function forkAsking(module, env = {}, options = {}) {
    const child = fork(module, [], { ...options, env: { ...process.env, ...env } });
    return asking(child);
}

/** Wraps a child whose every answer is its reply to the oldest open question. */
export function asking(child) {
    const pending = [];
    child.on('message', (m) => pending.shift()?.(m));
    const ask = (msg) => new Promise((resolve) => { pending.push(resolve); child.send(msg); });
    return { child, ask };
}
