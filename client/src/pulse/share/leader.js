/**
 * Leader election among the tabs that share a socket: a Web Lock makes one tab the leader and hands leadership to
 * the next tab at once when the leader's tab closes; a lease renewed by a beat over the channel takes it from a
 * leader that went silent (a frozen tab still holds its lock), and a term number says which leader is the newest.
 *
 * The lease: the leader beats every `beat` ms and counts itself leader only while its last beat is at most `self`
 * ms old, so a leader thawed after a longer freeze steps down before it delivers anything it received meanwhile;
 * the others take over (stealing the lock) after `others` ms without hearing it, which is longer than `self`.
 *
 * @module pulse/share/leader
 */

/** Lease timings, ms. */
export const LEASE = Object.freeze({
    beat: 500, // the leader's beat over the channel
    self: 2_000, // a leader whose last beat is older than this (a freeze, a blocked thread) steps down
    others: 3_000, // a follower that heard nothing from the leader for this long asks it for a beat ...
    probe: 1_000, // ... and takes over when none came within this (what it had not read yet came first)
});

/**
 * @typedef {object} Term who leads: a greater `term` is newer; equal terms are ordered by `id`
 * @property {number} term
 * @property {string} id the leader's tab id
 */

/**
 * @typedef {object} ElectionOptions
 * @property {any} locks a LockManager (`navigator.locks`)
 * @property {string} name the lock's name
 * @property {string} id this tab's id
 * @property {{now: () => number, setInterval: (fn: () => void, ms: number) => unknown,
 *     clearInterval: (id: any) => void, setTimeout: (fn: () => void, ms: number) => unknown}} clock
 * @property {(term: number) => void} elected this tab leads from now on, with this term
 * @property {(reason: string) => void} deposed this tab no longer leads (it must not deliver anything more)
 * @property {() => void} beat the leader's beat is due: tell the others
 * @property {() => void} probe the leader seems silent: ask it for a beat
 * @property {typeof LEASE} [lease]
 */

/**
 * @param {Term} a
 * @param {Term} b
 * @returns {number} > 0 when a is newer than b
 */
export function compareTerms(a, b) {
    return a.term - b.term || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export class Election {
    #o;
    /** @type {typeof LEASE} */
    #lease;
    /** @type {Term} the newest leader heard of (or this tab) */
    #newest = { term: 0, id: '' };
    #leading = false;
    #grant = 0; // bumped by every grant and step-down, so that a stale lock callback does nothing
    /** @type {(() => void)|null} releases the held lock */
    #release = null;
    /** @type {AbortController|null} the queued (not yet granted) lock request */
    #queued = null;
    #taking = false;
    #lastHeard = 0;
    #lastBeat = 0;
    /** @type {number|null} when this tab asked a silent leader for a beat */
    #probedAt = null;
    /** @type {unknown} */
    #timer = null;
    #running = false;

    /** @param {ElectionOptions} options */
    constructor(options) {
        this.#o = options;
        this.#lease = options.lease ?? LEASE;
    }

    /** @returns {boolean} whether this tab leads and its lease holds: only then may it deliver */
    get valid() {
        return this.#leading && this.#o.clock.now() - this.#lastBeat <= this.#lease.self;
    }

    /** @returns {boolean} */
    get leading() {
        return this.#leading;
    }

    /** @returns {Term} */
    get newest() {
        return this.#newest;
    }

    start() {
        if (this.#running) {
            return;
        }
        this.#running = true;
        this.#lastHeard = this.#o.clock.now();
        this.#queue();
        this.#timer = this.#o.clock.setInterval(() => this.#tick(), this.#lease.beat);
    }

    /** Leaves for good (or until {@link Election#start}): steps down, gives up its place in the queue. */
    stop() {
        if (!this.#running) {
            return;
        }
        this.#running = false;
        this.#o.clock.clearInterval(this.#timer);
        this.#queued?.abort();
        this.#queued = null;
        this.#stepDown('left');
    }

    /**
     * Something came from a leader: renews its lease in this tab's eyes; a leader newer than this tab deposes it.
     *
     * @param {Term} from
     * @returns {number} the comparison with the newest leader known before (> 0: a newer one, < 0: a stale one)
     */
    heard(from) {
        const order = compareTerms(from, this.#newest);
        if (order >= 0) {
            this.#newest = { term: from.term, id: from.id };
            this.#lastHeard = this.#o.clock.now();
            if (order > 0 && this.#leading) {
                this.#stepDown('a newer leader');
                this.#queue();
            }
        }
        return order;
    }

    /** The leader said goodbye: the lock passes to the next tab; nothing to take over. */
    leaderLeft() {
        this.#lastHeard = this.#o.clock.now();
    }

    /**
     * Checks the lease where something is about to be delivered: a leader whose lease ran out (it was frozen)
     * steps down now, and lines up again.
     *
     * @returns {boolean} whether this tab may still deliver
     */
    check() {
        if (this.valid) {
            return true;
        }
        if (this.#leading) {
            this.#stepDown('lease expired');
            this.#queue();
        }
        return false;
    }

    #tick() {
        const now = this.#o.clock.now();
        if (this.#leading) {
            if (!this.check()) {
                return;
            }
            this.#lastBeat = now;
            this.#o.beat();
        } else if (this.#probedAt !== null && this.#lastHeard >= this.#probedAt) {
            this.#probedAt = null; // it answered
        } else if (this.#probedAt !== null && now - this.#probedAt > this.#lease.probe) {
            this.#probedAt = null;
            this.#takeOver();
        } else if (this.#probedAt === null && now - this.#lastHeard > this.#lease.others) {
            // a tab thawed or busy may run this before it reads what the leader sent meanwhile: the answer to a
            // question asked now comes after all of that
            this.#probedAt = now;
            this.#o.probe();
        }
    }

    /** Lines up for the lock, as every tab does that does not lead. */
    #queue() {
        if (!this.#running || this.#queued) {
            return;
        }
        const queued = new AbortController();
        this.#queued = queued;
        this.#request({ signal: queued.signal }, () => {
            if (this.#queued === queued) {
                this.#queued = null;
            }
        });
    }

    /**
     * The leader is silent (frozen, or its tab hangs): one follower, the one that gets the takeover lock, steals the
     * leader's lock. It holds the takeover lock a little after its first beat, so that the others hear it first.
     */
    #takeOver() {
        if (this.#taking || this.#leading) {
            return;
        }
        this.#taking = true;
        const { locks, name, clock } = this.#o;
        Promise.resolve(locks.request(`${name}:takeover`, { ifAvailable: true }, async (/** @type {any} */ lock) => {
            if (!lock || this.#leading || !this.#running || clock.now() - this.#lastHeard <= this.#lease.others) {
                return; // another tab is taking over, or the leader spoke meanwhile
            }
            await new Promise((granted) => this.#request({ steal: true }, () => granted(undefined)));
            await new Promise((wait) => clock.setTimeout(() => wait(undefined), 2 * this.#lease.beat));
        })).catch(() => {}).finally(() => {
            this.#taking = false;
        });
    }

    /**
     * @param {object} options for `locks.request`
     * @param {() => void} granted called when the lock is granted
     */
    #request(options, granted) {
        const { locks, name } = this.#o;
        let grant = -1;
        Promise.resolve(locks.request(name, options, () => {
            granted();
            if (!this.#running) {
                return undefined; // left while queued: let it go at once
            }
            grant = this.#lead();
            return new Promise((release) => {
                this.#release = () => release(undefined);
            });
        })).catch(() => {
            // aborted while queued, or stolen while held: a frozen leader learns it here, if not earlier
            if (grant === this.#grant && this.#leading) {
                this.#release = null; // nothing to release: it is gone
                this.#stepDown('the lock was taken over');
                this.#queue();
            }
        });
    }

    /** @returns {number} the grant */
    #lead() {
        const now = this.#o.clock.now();
        this.#leading = true;
        this.#lastBeat = now;
        this.#lastHeard = now;
        // greater than every term heard of, and than any term a tab that heard of none could pick before now
        const term = Math.max(this.#newest.term + 1, now);
        this.#newest = { term, id: this.#o.id };
        const grant = ++this.#grant;
        this.#o.elected(term);
        return grant;
    }

    /** @param {string} reason */
    #stepDown(reason) {
        if (!this.#leading) {
            return;
        }
        this.#leading = false;
        this.#grant++;
        this.#lastHeard = this.#o.clock.now(); // give the next leader a lease's time to speak
        const release = this.#release;
        this.#release = null;
        this.#o.deposed(reason);
        release?.();
    }
}
