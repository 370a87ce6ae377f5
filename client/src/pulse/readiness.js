/**
 * The readiness check: one cheap HTTP GET of the server's `/health/ready` before a handshake, while the server
 * seems away. A server that is down refuses it as fast as a handshake, but a booting or draining one answers it
 * without creating a session, and a 503 may say when to come back (`Retry-After`).
 *
 * @module pulse/readiness
 */
import { retryAfterHeader } from './backoff.js';

const CHECK_TIMEOUT_MS = 2_000; // a cold server's first answer can be slow; longer than this is as good as none

/**
 * The readiness URL of a socket URL: `ws://host/app/ws` → `http://host/app/health/ready`. Null when the socket URL
 * does not end in `/ws`, or when a page would have to ask another origin (that needs CORS; set `readyUrl` then).
 *
 * @param {string} socketUrl a `ws:` or `wss:` URL
 * @param {{origin?: string}|null|undefined} [page] the page's location; none outside browsers
 * @returns {string|null}
 */
export function readyUrlOf(socketUrl, page = globalThis.location) {
    const url = new URL(socketUrl);
    if (!url.pathname.endsWith('/ws')) {
        return null;
    }
    url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
    url.pathname = `${url.pathname.slice(0, -'ws'.length)}health/ready`;
    url.search = '';
    url.hash = '';
    if (page && typeof page.origin === 'string' && page.origin !== url.origin) {
        return null;
    }
    return url.href;
}

/**
 * @typedef {object} ReadyAnswer
 * @property {boolean} ready
 * @property {number|null} status the HTTP status, null when nothing answered
 * @property {number} retryAfter ms the server asked to wait (a 503's Retry-After), else 0
 */

export class Readiness {
    #url;
    #fetch;
    #clock;

    /**
     * @param {string} url
     * @param {(url: string, init: object) => Promise<{ok: boolean, status: number,
     *     headers: {get(name: string): string|null}}>} fetch
     * @param {{now: () => number, setTimeout: (fn: () => void, ms: number) => unknown,
     *     clearTimeout: (id: any) => void}} clock
     */
    constructor(url, fetch, clock) {
        this.#url = url;
        this.#fetch = fetch;
        this.#clock = clock;
    }

    /** @returns {string} */
    get url() {
        return this.#url;
    }

    /**
     * Asks once; never rejects.
     *
     * @returns {Promise<ReadyAnswer>}
     */
    async check() {
        const abort = typeof AbortController === 'function' ? new AbortController() : null;
        /** @type {unknown} */
        let timer = null;
        const timeout = new Promise((resolve) => {
            timer = this.#clock.setTimeout(() => {
                abort?.abort();
                resolve({ ready: false, status: null, retryAfter: 0 });
            }, CHECK_TIMEOUT_MS);
        });
        const asked = (async () => {
            try {
                const response = await this.#fetch(this.#url, { cache: 'no-store', signal: abort?.signal });
                const retryAfter = response.status === 503
                    ? retryAfterHeader(response.headers?.get?.('retry-after'), this.#clock.now())
                    : 0;
                return { ready: response.ok, status: response.status, retryAfter };
            } catch {
                return { ready: false, status: null, retryAfter: 0 }; // refused, reset, aborted
            }
        })();
        try {
            return /** @type {ReadyAnswer} */ (await Promise.race([asked, timeout]));
        } finally {
            this.#clock.clearTimeout(timer);
        }
    }
}
