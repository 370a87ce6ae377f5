/**
 * The per-topic ledger: for every topic, the last `seq` and the `epoch` delivered to the application, so that a
 * reconnect resumes with `since`/`epoch`, a replay that overlaps is delivered once, and a gap moves the position.
 *
 * @module pulse/ledger
 */

/**
 * @typedef {object} Waiter
 * @property {(value: any) => void} resolve
 * @property {(error: Error) => void} reject
 */

/**
 * @typedef {object} Position
 * @property {number} seq the last seq delivered (or, before any, the topic's seq when first subscribed)
 * @property {string|null} epoch null until the server named one
 */

/**
 * @typedef {Position & {presence: boolean, waiters: Waiter[]}} Subscription a topic the application subscribed to
 */

export class Ledger {
    /** @type {Map<string, Subscription>} topics the application subscribed to */
    #topics = new Map();
    /** @type {Map<string, Position>} `broadcast` and `user:` topics, to which the server subscribes us by itself */
    #tracked = new Map();

    /** @returns {string[]} */
    get topics() {
        return [...this.#topics.keys()];
    }

    /**
     * @param {string} topic
     * @returns {boolean} whether the application subscribed to it
     */
    has(topic) {
        return this.#topics.has(topic);
    }

    /**
     * @param {string} topic
     * @returns {Subscription|undefined} the application's subscription to it
     */
    get(topic) {
        return this.#topics.get(topic);
    }

    /** @returns {Array<[string, Position]>} the positions in `broadcast` and `user:` topics the server subscribed us to */
    tracked() {
        return [...this.#tracked];
    }

    /**
     * Adds a topic (keeping the position of a tracked one, e.g. an explicit subscribe to `broadcast`) or returns
     * the existing one.
     *
     * @param {string} topic
     * @param {boolean|undefined} presence changes the presence flag when given
     * @returns {Subscription}
     */
    subscribe(topic, presence) {
        let sub = this.#topics.get(topic);
        if (!sub) {
            const tracked = this.#tracked.get(topic);
            sub = { presence: false, seq: tracked?.seq ?? 0, epoch: tracked?.epoch ?? null, waiters: [] };
            this.#topics.set(topic, sub);
            this.#tracked.delete(topic);
        }
        if (presence !== undefined) {
            sub.presence = presence;
        }
        return sub;
    }

    /**
     * Forgets a topic.
     *
     * @param {string} topic
     * @returns {Subscription|undefined} what it was, if it was subscribed
     */
    remove(topic) {
        const sub = this.#topics.get(topic);
        this.#topics.delete(topic);
        return sub;
    }

    /** @returns {Subscription[]} */
    subscriptions() {
        return [...this.#topics.values()];
    }

    /**
     * The subscribe messages a new socket sends: every application topic, with `since`/`epoch` once known, then
     * `broadcast` and this user's own topic with their positions (the server subscribed us quietly; asking again
     * with `since` replays what we missed). Another user's topic is forgotten: not ours to resume.
     *
     * @param {string|null} user the welcome's user
     * @returns {Array<Record<string, unknown>>}
     */
    resubscriptions(user) {
        const messages = [];
        for (const [topic, sub] of this.#topics) {
            messages.push(Ledger.subscribeMessage(topic, sub));
        }
        for (const [topic, position] of this.#tracked) {
            if (topic === 'broadcast' || topic === `user:${user}`) {
                messages.push({ type: 'subscribe', topic, since: position.seq, epoch: position.epoch });
            } else {
                this.#tracked.delete(topic);
            }
        }
        return messages;
    }

    /**
     * @param {string} topic
     * @param {Subscription} sub
     * @returns {Record<string, unknown>} the subscribe message for it; the id names it in a refusal's `ref`
     */
    static subscribeMessage(topic, sub) {
        /** @type {Record<string, unknown>} */
        const message = { type: 'subscribe', topic, id: `s:${topic}` };
        if (sub.epoch !== null) {
            message.since = sub.seq;
            message.epoch = sub.epoch;
        }
        if (sub.presence) {
            message.presence = true;
        }
        return message;
    }

    /**
     * A `subscribed` answer: the first one sets the position (older messages are history, not news); one with
     * another epoch than ours means the history was reset (a `gap` and the new epoch's messages follow).
     *
     * @param {{topic: string, epoch: string, seq?: unknown}} message
     * @returns {{sub: Subscription, resumed: boolean}|null} the application's subscription it answers, if any
     */
    subscribed(message) {
        const sub = this.#topics.get(message.topic);
        const position = sub ?? this.#tracked.get(message.topic);
        if (!position) {
            return null; // unsubscribed meanwhile
        }
        const resumed = position.epoch !== null;
        if (position.epoch === null) {
            position.seq = Number.isInteger(message.seq) ? /** @type {number} */ (message.seq) : 0;
            position.epoch = message.epoch;
        } else if (position.epoch !== message.epoch) {
            position.epoch = message.epoch;
            position.seq = 0;
        }
        return sub ? { sub, resumed } : null;
    }

    /**
     * A message: whether it is news (and then it becomes the position) or a duplicate of what was delivered.
     *
     * @param {{topic: string, seq: number, epoch: string}} message
     * @returns {boolean} whether to deliver it
     */
    accept({ topic, seq, epoch }) {
        let position = this.#topics.get(topic) ?? this.#tracked.get(topic);
        if (!position) {
            if (topic !== 'broadcast' && !topic.startsWith('user:')) {
                return false; // a message of a topic we just unsubscribed from, still in flight
            }
            position = { seq: 0, epoch: null };
            this.#tracked.set(topic, position);
        }
        if (position.epoch === epoch && seq <= position.seq) {
            return false; // a replay overlapping what we already had
        }
        position.epoch = epoch;
        position.seq = seq;
        return true;
    }

    /**
     * A gap: `reset` means everything of the current epoch is replayed next; `expired` skips to its end.
     *
     * @param {{topic: string, from: number|null, to: number|null, reason: string}} message
     * @returns {boolean} whether it concerns one of our topics
     */
    gap(message) {
        const position = this.#topics.get(message.topic) ?? this.#tracked.get(message.topic);
        if (!position) {
            return false;
        }
        if (message.reason === 'reset' || message.from === null) {
            position.seq = 0;
        } else if (Number.isInteger(message.to)) {
            position.seq = Math.max(position.seq, /** @type {number} */ (message.to));
        }
        return true;
    }
}
