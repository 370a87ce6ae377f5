/**
 * A tab's link to the shared worker that holds the socket: a MessagePort that looks like the {@link Channel} between
 * tabs (post, close), so that the tab's side is the same whoever leads. It tells the worker how to connect (the first
 * tab's word counts), and answers the worker's asks for a token with the application's token function, which cannot
 * cross to the worker. A MessagePort says nothing when the worker dies, but the worker holds a Web Lock while it
 * lives: the port asks for it too, and is granted it when the worker is gone.
 *
 * @module pulse/share/port
 */

/** @typedef {import('./channel.js').Envelope} Envelope */

/**
 * @typedef {object} WorkerConfig what the worker needs to open the socket (structured-cloneable)
 * @property {string} url
 * @property {Record<string, any>} options the tuning, heartbeat and readyUrl of {@link import('../../pulse.js').ConnectOptions};
 *     `token` when it is a string, `tokenFromTab` when it is a function (the worker then asks a tab)
 */

export class PortChannel {
    /** @type {any} */
    #port;
    #open = true;
    /** @type {(() => (string|null|Promise<string|null>))|null} */
    #token;
    /** @type {AbortController|null} the request for the worker's lock, granted when the worker is gone */
    #watch = null;

    /**
     * @param {any} SharedWorker the class (the global one, or a fake in tests)
     * @param {string|URL} url the worker's module
     * @param {string} name tabs with the same name (and origin) share the worker, and so the socket
     * @param {(message: Envelope) => void} receive every message of the worker to this tab
     * @param {{config: WorkerConfig, token: (() => (string|null|Promise<string|null>))|null, locks: any,
     *     events: import('./tab.js').WorkerEvents}} connect
     */
    constructor(SharedWorker, url, name, receive, { config, token, locks, events }) {
        const worker = new SharedWorker(url, { type: 'module', name });
        worker.onerror = (/** @type {any} */ e) => {
            const reason = `the shared worker ${url} failed: ${e?.message || 'its script did not load'}`;
            (globalThis.reportError ?? console.error)(new Error(reason));
            if (this.#open) {
                events.failed(reason);
            }
        };
        this.#port = worker.port;
        this.#token = token;
        this.#port.onmessage = (/** @type {{data: Envelope}} */ e) => {
            if (!this.#open) {
                return;
            }
            if (typeof e.data.alive === 'string' && !this.#watch) {
                this.#watchWorker(locks, e.data.alive, events.gone);
            }
            if (e.data.k === 'token') {
                this.#answerToken(e.data.id);
            } else {
                receive(e.data);
            }
        };
        this.#port.start?.();
        this.#port.postMessage({ k: 'config', ...config });
    }

    /** @param {Envelope} message to the worker (structured-cloneable) */
    post(message) {
        if (this.#open) {
            this.#port.postMessage(message);
        }
    }

    close() {
        this.#open = false;
        this.#watch?.abort();
        this.#port.onmessage = null;
        this.#port.close();
    }

    /**
     * Asks for the lock the worker holds while it lives (shared, as every tab asks): granted when the worker is gone.
     *
     * @param {any} locks
     * @param {string} lock its name, as the worker tells it once it holds it
     * @param {() => void} gone
     */
    #watchWorker(locks, lock, gone) {
        const watch = new AbortController();
        this.#watch = watch;
        Promise.resolve(locks.request(lock, { mode: 'shared', signal: watch.signal }, () => {
            if (this.#open) {
                gone();
            }
        })).catch(() => {}); // aborted: this tab closed its port
    }

    /** @param {string} id the worker's ask */
    #answerToken(id) {
        const token = this.#token;
        Promise.resolve().then(() => (token ? token() : null)).then(
            (value) => this.post({ k: 'token', id, value: typeof value === 'string' ? value : null }),
            (/** @type {any} */ e) => this.post({ k: 'token', id, error: String(e?.message ?? e) }));
    }
}
