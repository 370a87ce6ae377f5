/**
 * Request correlation: every `publish` and `presence` carries an id, its answer (`ack`, `presence`, or an `error`
 * whose `ref` is that id) settles its promise, and a timeout or the socket's end rejects it.
 *
 * @module pulse/requests
 */
import { PulseError } from './errors.js';

/**
 * @typedef {object} Pending
 * @property {(value: any) => void} resolve
 * @property {(error: Error) => void} reject
 * @property {unknown} timer
 * @property {'publish'|'presence'} kind
 * @property {string} topic
 */

export class Requests {
    /** @type {Map<string, Pending>} */
    #pending = new Map();
    #nextId = 1;
    #timeout;
    #setTimeout;
    #clearTimeout;

    /**
     * @param {number} timeout ms after which an unanswered request rejects with `timeout`
     * @param {{setTimeout: (fn: () => void, ms: number) => unknown, clearTimeout: (id: any) => void}} clock
     */
    constructor(timeout, clock) {
        this.#timeout = timeout;
        this.#setTimeout = clock.setTimeout;
        this.#clearTimeout = clock.clearTimeout;
    }

    /**
     * @param {string} prefix `p` for publish, `q` for presence
     * @returns {string} a fresh id
     */
    nextId(prefix) {
        return `${prefix}${this.#nextId++}`;
    }

    /**
     * Waits for the answer to a request that was just sent.
     *
     * @param {string} id
     * @param {'publish'|'presence'} kind
     * @param {string} topic
     * @returns {Promise<any>}
     */
    await(id, kind, topic) {
        return new Promise((resolve, reject) => {
            const timer = this.#setTimeout(() => {
                this.settle(id, null, new PulseError('timeout', `no answer within ${this.#timeout} ms`, id));
            }, this.#timeout);
            this.#pending.set(id, { resolve, reject, timer, kind, topic });
        });
    }

    /**
     * @param {string} id
     * @returns {boolean} whether a request with this id waits for its answer
     */
    has(id) {
        return this.#pending.has(id);
    }

    /**
     * Settles a request: with its value, or with an error.
     *
     * @param {unknown} id
     * @param {unknown} value
     * @param {Error|null} [error]
     * @returns {boolean} whether it was waiting
     */
    settle(id, value, error = null) {
        const request = typeof id === 'string' ? this.#pending.get(id) : undefined;
        if (!request) {
            return false;
        }
        this.#pending.delete(/** @type {string} */ (id));
        this.#clearTimeout(request.timer);
        if (error) {
            request.reject(error);
        } else {
            request.resolve(value);
        }
        return true;
    }

    /**
     * A `presence` answer: by its id; from a server that does not echo ids, the oldest question about its topic.
     *
     * @param {{id?: unknown, topic: string, members?: unknown}} message
     * @returns {boolean} whether it answered one
     */
    presence(message) {
        const members = Array.isArray(message.members) ? message.members : [];
        if (typeof message.id === 'string' && this.#pending.get(message.id)?.kind === 'presence') {
            return this.settle(message.id, members);
        }
        for (const [id, request] of this.#pending) {
            if (request.kind === 'presence' && request.topic === message.topic) {
                return this.settle(id, members);
            }
        }
        return false;
    }

    /**
     * Rejects everything pending.
     *
     * @param {string} code
     * @param {string} text
     */
    failAll(code, text) {
        for (const id of [...this.#pending.keys()]) {
            this.settle(id, null, new PulseError(code, text, id));
        }
    }
}
