/**
 * When to try again: full-jitter exponential backoff for handshakes, the server's own `retry-after` on 1012/1013
 * (and the same backoff after it, which keeps the spread the server gave its clients), a short jittered period for
 * readiness checks while a server that went without notice is away (they are cheap, and a returning server is found
 * within a second; in long outages the period grows with the outage's age), and a reset once a connection stayed
 * healthy.
 *
 * @module pulse/backoff
 */

const RETRY_AFTER_MAX_MS = 5 * 60_000; // a retry-after hint beyond this is taken as this
const MAX_FAILURES = 30; // 2^30 * base is past any cap; counting further gains nothing

/**
 * The retry delay after `attempt` failures in a row: "full jitter", a uniform pick between 0 and the exponential
 * bound, so that clients dropped together do not all come back together.
 *
 * @param {number} attempt failures in a row, 0 for the first retry
 * @param {{base?: number, cap?: number, random?: () => number}} [options] bound of the first retry (500), largest
 *     bound (15000), and a source of [0, 1) numbers (for tests)
 * @returns {number} ms to wait, in [0, min(cap, base * 2^attempt))
 */
export function backoffDelay(attempt, { base = 500, cap = 15_000, random = Math.random } = {}) {
    if (!Number.isInteger(attempt) || attempt < 0) {
        throw new TypeError(`attempt must be a non-negative integer, not ${attempt}`);
    }
    const bound = Math.min(cap, base * 2 ** Math.min(attempt, MAX_FAILURES));
    return Math.floor(random() * bound);
}

/**
 * The ms a close asks the client to wait: a 1012 (service restart) or 1013 (try again later) close says in its
 * reason when the server expects clients back (`retry-after=<ms>`); 0 for any other close.
 *
 * @param {number|null} code the close code
 * @param {string} [reason] the close reason
 * @returns {number}
 */
export function retryAfter(code, reason) {
    const match = (code === 1012 || code === 1013) && /^retry-after=(\d+)$/.exec(reason ?? '');
    return match ? Math.min(Number(match[1]), RETRY_AFTER_MAX_MS) : 0;
}

/**
 * The HTTP `Retry-After` header of a 503 (seconds, or a date), in ms from `now`; 0 when absent or unreadable.
 *
 * @param {string|null|undefined} header
 * @param {number} now epoch ms
 * @returns {number}
 */
export function retryAfterHeader(header, now) {
    if (typeof header !== 'string' || header.trim() === '') {
        return 0;
    }
    const seconds = /^\s*(\d+)\s*$/.exec(header);
    const ms = seconds ? Number(seconds[1]) * 1000 : Date.parse(header) - now;
    return Number.isFinite(ms) && ms > 0 ? Math.min(ms, RETRY_AFTER_MAX_MS) : 0;
}

/** Counts failures in a row and turns them into the next delay. */
export class Backoff {
    #base;
    #cap;
    #healthyAfter;
    #readyEvery;
    #readyFor;
    #random;
    #failures = 0;
    /** @type {number|null} */
    #welcomedAt = null;
    /** @type {number|null} when the current run of failures began */
    #downSince = null;
    #announced = false; // the server said when to come back (1012/1013 retry-after): keep to its spread
    #notBefore = 0;

    /**
     * @param {{base: number, cap: number, healthyAfter: number, readyEvery: number, readyFor: number,
     *     random: () => number}} options see DEFAULTS in pulse.js
     */
    constructor({ base, cap, healthyAfter, readyEvery, readyFor, random }) {
        this.#base = base;
        this.#cap = cap;
        this.#healthyAfter = healthyAfter;
        this.#readyEvery = readyEvery;
        this.#readyFor = readyFor;
        this.#random = random;
    }

    /** @returns {number} failures in a row since the last healthy connection */
    get failures() {
        return this.#failures;
    }

    /** @returns {number} epoch ms before which the server asked not to come back (0: no such wish) */
    get notBefore() {
        return this.#notBefore;
    }

    /**
     * Whether the next attempt should first ask the server whether it is ready: once a retry failed, the server is
     * probably away, and a readiness check costs it far less than a handshake.
     *
     * @returns {boolean}
     */
    get serverAway() {
        return this.#failures >= 2;
    }

    /** @param {number} now a socket was welcomed */
    welcomed(now) {
        this.#welcomedAt = now;
        this.#announced = false;
    }

    /**
     * A connection open this long resets the count; one that drops at once does not.
     *
     * @param {number} now
     */
    check(now) {
        if (this.#failures > 0 && this.#welcomedAt !== null && now - this.#welcomedAt >= this.#healthyAfter) {
            this.#failures = 0;
            this.#downSince = null;
        }
    }

    /**
     * A socket or an attempt ended.
     *
     * @param {number} now
     * @param {number|null} code its close code
     * @param {string} reason its close reason
     * @returns {number} ms until the next attempt
     */
    failed(now, code, reason) {
        const welcomed = this.#welcomedAt !== null; // a server that welcomes and drops us is there: back off from it
        this.check(now);
        this.#welcomedAt = null;
        this.#downSince ??= now;
        const delay = !welcomed && this.#failures >= 1 && this.#quick()
            ? this.#readyDelay(now) // not the first retry of an outage without notice: the server is away, find it soon
            : backoffDelay(this.#failures, { base: this.#base, cap: this.#cap, random: this.#random });
        this.#failures = Math.min(this.#failures + 1, MAX_FAILURES);
        return this.#honour(now, delay, retryAfter(code, reason));
    }

    /**
     * A readiness check said the server is not (yet) there: after an outage without notice, check again soon (see
     * {@link Backoff#readyDelay}); after the server's own retry-after, back off like handshakes. A
     * handshake that fails before any welcome in such an outage is retried as soon (the server may answer its
     * readiness before the application is deployed, or there may be no readiness URL to ask).
     *
     * @param {number} now
     * @param {number} [hint] ms the server asked for (a 503's Retry-After)
     * @returns {number} ms until the next attempt
     */
    notReady(now, hint = 0) {
        this.#downSince ??= now;
        const delay = this.#quick()
            ? this.#readyDelay(now)
            : backoffDelay(this.#failures, { base: this.#base, cap: this.#cap, random: this.#random });
        this.#failures = Math.min(this.#failures + 1, MAX_FAILURES);
        return this.#honour(now, delay, hint);
    }

    /** @returns {boolean} whether the current outage came without notice */
    #quick() {
        return !this.#announced && this.#downSince !== null;
    }

    /**
     * @param {number} now
     * @returns {number} a delay in [bound/2, bound): the bound is `readyEvery` for the first `readyFor` of the
     *     outage, then grows with its age (readyEvery per readyFor of it: 2 s after 4 minutes with the defaults) up
     *     to the cap, so a long outage costs few checks and a returning server is still found within a small share
     *     of the time it was away
     */
    #readyDelay(now) {
        const age = now - /** @type {number} */ (this.#downSince);
        const bound = Math.min(this.#cap, Math.max(this.#readyEvery, (this.#readyEvery * age) / Math.max(1, this.#readyFor)));
        return Math.floor(bound * (0.5 + this.#random() / 2));
    }

    /**
     * @param {number} now
     * @param {number} delay
     * @param {number} hint
     * @returns {number}
     */
    #honour(now, delay, hint) {
        if (hint > 0) {
            this.#announced = true; // from now on keep to the server's spread
            this.#notBefore = now + hint;
            return hint; // the server chose this client's moment: come then, not later
        }
        return delay;
    }
}
