/**
 * The leader's job: one socket (a plain Pulse in "core" mode, which leaves topics to its tap) serving every tab; the
 * leader is the leading tab, or the shared worker.
 * Topics are reference-counted across tabs; each subscribe resumes from the lowest position of the tabs it answers
 * (grouped by epoch), and its answer, and a gap right after it, go to exactly those tabs; messages go to all tabs,
 * which drop what they already have. Publishes and presence questions are answered to the tab that asked.
 *
 * @module pulse/share/hub
 */

/**
 * @typedef {object} Entry one tab's interest in one topic, with the position the hub last knew it had
 * @property {boolean} presence
 * @property {number} seq
 * @property {string|null} epoch null: the tab has no position yet (its first subscribe)
 * @property {boolean} implicit `broadcast` or `user:` topics, to which every socket is subscribed by the server
 * @property {'waiting'|'asked'|'answered'} status waiting: needs a subscribe; asked: one is in flight
 */

/**
 * @typedef {object} Core what the hub needs of the Pulse that holds the socket
 * @property {(event: any, fn: (detail: any) => void) => () => void} on
 * @property {(message: {type: string, [key: string]: unknown}) => boolean} send
 * @property {(topic: string, data: any) => Promise<any>} publish
 * @property {(topic: string) => Promise<any>} presence
 * @property {() => void} close
 * @property {string} state
 * @property {any} welcome
 */

const CORE_REQUEST = /^[pq]\d+$/; // ids of the core's own publish/presence requests: their errors go to the asking tab

export class Hub {
    /** @type {(tap: (frame: any) => void) => Core} */
    #makeCore;
    /** @type {(message: {k: string, [key: string]: any}) => void} */
    #post;
    /** @type {Core|null} */
    #core = null;
    /** @type {Array<() => void>} */
    #listeners = [];
    /** @type {Map<string, Map<string, Entry>>} tab id → topic → entry */
    #tabs = new Map();
    /** @type {Map<string, string[][]>} topic → the tabs each subscribe in flight answers, oldest first */
    #asked = new Map();
    /** @type {Map<string, string[]>} topic → the tabs of the answer just routed, until its first message */
    #answered = new Map();
    /** @type {any} */
    #state = null;
    /** @type {Map<string, number>} tabs not seen alive at the last looks, and how many looks in a row */
    #missing = new Map();

    /**
     * @param {(tap: (frame: any) => void) => Core} makeCore opens the socket: a connected core Pulse whose topic
     *     frames go to the tap
     * @param {(message: {k: string, [key: string]: any}) => void} post to every tab (checks the lease)
     */
    constructor(makeCore, post) {
        this.#makeCore = makeCore;
        this.#post = post;
    }

    /** @returns {{state: any, welcome: any}} what a beat tells tabs that just arrived */
    get summary() {
        return { state: this.#state, welcome: this.#core?.welcome ?? null };
    }

    start() {
        const core = this.#makeCore((frame) => this.#frame(frame));
        this.#core = core;
        this.#listeners = [
            core.on('state', (detail) => {
                this.#state = detail;
                this.#post({ k: 'state', detail });
            }),
            core.on('welcome', (welcome) => this.#welcomed(welcome)),
            core.on('rtt', (detail) => this.#post({ k: 'event', name: 'rtt', detail })),
            core.on('error', (detail) => {
                if (typeof detail.ref !== 'string' || !(CORE_REQUEST.test(detail.ref) || detail.ref.startsWith('s:'))) {
                    this.#post({ k: 'event', name: 'error', detail });
                }
            }),
        ];
    }

    /** Closes the socket without a word to the tabs: this tab no longer leads. */
    stop() {
        this.#listeners.splice(0).forEach((off) => off());
        const core = this.#core;
        this.#core = null;
        core?.close();
    }

    /** @returns {string[]} the tabs the hub serves (a shared worker drops the ports of the others) */
    get tabs() {
        return [...this.#tabs.keys()];
    }

    /** @returns {string[]} the topics some tab subscribed to (tests) */
    get topics() {
        const topics = new Set();
        for (const entries of this.#tabs.values()) {
            for (const [topic, entry] of entries) {
                if (!entry.implicit) {
                    topics.add(topic);
                }
            }
        }
        return [...topics].sort();
    }

    /**
     * A tab's command.
     *
     * @param {any} command `{k, tab, ...}`
     */
    command(command) {
        switch (command.k) {
            case 'hello': return this.#hello(command.tab, command.topics);
            case 'sub': return this.#subscribe(command.tab, command);
            case 'unsub': return this.#unsubscribe(command.tab, command.topic);
            case 'req': return this.#request(command);
            case 'leave': return this.#leave(command.tab);
            default: return undefined;
        }
    }

    // ---- tabs ----------------------------------------------------------------------------------------------------

    /**
     * Everything a tab holds, when it learns of this leader: every topic needs a subscribe from its position.
     *
     * @param {string} tab
     * @param {Array<{topic: string, presence: boolean, seq: number, epoch: string|null, implicit: boolean}>} topics
     */
    #hello(tab, topics) {
        const before = this.#tabs.get(tab);
        const entries = new Map();
        for (const { topic, presence, seq, epoch, implicit } of topics) {
            entries.set(topic, { presence: !!presence, seq, epoch, implicit: !!implicit, status: 'waiting' });
        }
        this.#tabs.set(tab, entries);
        for (const topic of before?.keys() ?? []) {
            if (!entries.has(topic)) {
                this.#released(topic);
            }
        }
        this.#flush();
    }

    /**
     * @param {string} tab
     * @param {{topic: string, presence: boolean, seq: number, epoch: string|null}} position
     */
    #subscribe(tab, { topic, presence, seq, epoch }) {
        let entries = this.#tabs.get(tab);
        if (!entries) {
            entries = new Map();
            this.#tabs.set(tab, entries);
        }
        entries.set(topic, { presence: !!presence, seq, epoch, implicit: false, status: 'waiting' });
        this.#flush();
    }

    /**
     * @param {string} tab
     * @param {string} topic
     */
    #unsubscribe(tab, topic) {
        if (this.#tabs.get(tab)?.delete(topic)) {
            this.#released(topic);
        }
    }

    /**
     * Forgets the tabs that went without a word (a crash, a kill: no `leave`): every live tab holds a lock of its
     * own, and a tab missing from two looks in a row (a tab that just opened may not hold its lock yet) is gone.
     * A frozen tab still holds its lock, and keeps its topics.
     *
     * @param {Set<string>} alive the tabs that hold their lock now
     */
    sweep(alive) {
        for (const tab of [...this.#tabs.keys()]) {
            if (alive.has(tab)) {
                this.#missing.delete(tab);
                continue;
            }
            const misses = (this.#missing.get(tab) ?? 0) + 1;
            this.#missing.set(tab, misses);
            if (misses >= 2) {
                this.#missing.delete(tab);
                this.#leave(tab);
            }
        }
    }

    /** @param {string} tab */
    #leave(tab) {
        const entries = this.#tabs.get(tab);
        this.#tabs.delete(tab);
        for (const topic of entries?.keys() ?? []) {
            this.#released(topic);
        }
    }

    /**
     * A tab left a topic: the socket leaves it when no tab is left in it.
     *
     * @param {string} topic
     */
    #released(topic) {
        if (this.#holders(topic).some(([, entry]) => !entry.implicit)) {
            return;
        }
        if (topic === 'broadcast' || topic.startsWith('user:')) {
            return; // every socket is subscribed to these by the server; leaving them is not ours to do
        }
        this.#asked.delete(topic);
        this.#answered.delete(topic);
        this.#core?.send({ type: 'unsubscribe', topic });
    }

    /**
     * @param {string} topic
     * @returns {Array<[string, Entry]>} the tabs in the topic and their entries
     */
    #holders(topic) {
        /** @type {Array<[string, Entry]>} */
        const holders = [];
        for (const [tab, entries] of this.#tabs) {
            const entry = entries.get(topic);
            if (entry) {
                holders.push([tab, entry]);
            }
        }
        return holders;
    }

    /**
     * Sends a subscribe for every waiting entry, once the socket is welcomed: one per topic and epoch, from the lowest
     * seq of its tabs, so that each of them gets everything after its own position (and the others drop the rest).
     */
    #flush() {
        const core = this.#core;
        const welcome = core?.welcome;
        if (!core || !welcome || core.state !== 'open') {
            return;
        }
        /** @type {Map<string, Map<string|null, Array<[string, Entry]>>>} */
        const groups = new Map();
        for (const [tab, entries] of this.#tabs) {
            for (const [topic, entry] of entries) {
                if (entry.status !== 'waiting') {
                    continue;
                }
                if (entry.implicit && topic !== 'broadcast' && topic !== `user:${welcome.user}`) {
                    entry.status = 'answered'; // another user's topic: not ours to resume
                    continue;
                }
                let byEpoch = groups.get(topic);
                if (!byEpoch) {
                    byEpoch = new Map();
                    groups.set(topic, byEpoch);
                }
                const group = byEpoch.get(entry.epoch) ?? [];
                group.push([tab, entry]);
                byEpoch.set(entry.epoch, group);
            }
        }
        for (const [topic, byEpoch] of groups) {
            const presence = this.#holders(topic).some(([, entry]) => entry.presence);
            for (const [epoch, group] of byEpoch) {
                /** @type {{type: string, [key: string]: unknown}} */
                const subscribe = { type: 'subscribe', topic, id: `s:${topic}` };
                if (epoch !== null) {
                    subscribe.since = Math.min(...group.map(([, entry]) => entry.seq));
                    subscribe.epoch = epoch;
                }
                if (presence) {
                    subscribe.presence = true;
                }
                if (!core.send(subscribe)) {
                    return; // the socket just went; its welcome flushes again
                }
                group.forEach(([, entry]) => {
                    entry.status = 'asked';
                });
                const asked = this.#asked.get(topic) ?? [];
                asked.push(group.map(([tab]) => tab));
                this.#asked.set(topic, asked);
            }
        }
    }

    /**
     * @param {{tab: string, id: string, kind: string, topic: string, data?: any, message?: any}} request
     */
    #request({ tab, id, kind, topic, data, message }) {
        const core = this.#core;
        if (!core) {
            return;
        }
        const reply = (/** @type {any} */ value, /** @type {any} */ error) => this.#post({ k: 'reply', to: [tab], id, value,
            error: error && { code: error.code ?? null, message: String(error.message ?? error), ref: error.ref ?? null } });
        try {
            if (kind === 'send') {
                reply(core.send(message), null);
                return;
            }
            const answer = kind === 'publish' ? core.publish(topic, data) : core.presence(topic);
            answer.then((value) => reply(value, null), (error) => reply(null, error));
        } catch (e) {
            reply(null, e);
        }
    }

    // ---- the socket ----------------------------------------------------------------------------------------------

    /** @param {any} welcome */
    #welcomed(welcome) {
        // a new socket: nothing is subscribed on it yet (but broadcast and the user's topic); every entry asks again,
        // from the position the hub tracked for it
        this.#asked.clear();
        this.#answered.clear();
        for (const entries of this.#tabs.values()) {
            for (const entry of entries.values()) {
                entry.status = 'waiting';
            }
        }
        this.#post({ k: 'welcome', welcome });
        this.#flush();
    }

    /**
     * A topic frame from the socket (subscribed, message, gap, join, leave, or an error): routed to its tabs.
     *
     * @param {any} frame
     */
    #frame(frame) {
        const topic = frame.topic;
        switch (frame.type) {
            case 'subscribed': {
                const to = this.#asked.get(topic)?.shift() ?? this.#holders(topic).map(([tab]) => tab);
                for (const tab of to) {
                    const entry = this.#tabs.get(tab)?.get(topic);
                    if (!entry) {
                        continue;
                    }
                    entry.status = 'answered';
                    if (entry.epoch === null) {
                        entry.seq = Number.isInteger(frame.seq) ? frame.seq : 0;
                        entry.epoch = frame.epoch;
                    } else if (entry.epoch !== frame.epoch) {
                        entry.epoch = frame.epoch;
                        entry.seq = 0;
                    }
                }
                this.#answered.set(topic, to);
                return this.#post({ k: 'frame', frame, to });
            }
            case 'gap': {
                const to = this.#answered.get(topic);
                for (const [tab, entry] of this.#holders(topic)) {
                    if (!to || to.includes(tab)) {
                        entry.seq = frame.reason === 'reset' || frame.from === null ? 0
                            : Math.max(entry.seq, Number.isInteger(frame.to) ? frame.to : entry.seq);
                    }
                }
                return this.#post(to ? { k: 'frame', frame, to } : { k: 'frame', frame });
            }
            case 'message':
                this.#answered.delete(topic);
                for (const [, entry] of this.#holders(topic)) {
                    if (entry.status === 'answered' && (entry.epoch !== frame.epoch || frame.seq > entry.seq)) {
                        entry.seq = frame.seq;
                        entry.epoch = frame.epoch;
                    }
                }
                return this.#post({ k: 'frame', frame });
            case 'join':
            case 'leave':
                return this.#post({ k: 'frame', frame });
            case 'error':
                return this.#refused(frame);
            default:
                return undefined;
        }
    }

    /**
     * An error about one of the subscribes: its tabs are told (and forget the topic), unless it was only rate
     * limited (then they ask again with the next flush).
     *
     * @param {any} error
     */
    #refused(error) {
        if (typeof error.ref !== 'string' || !error.ref.startsWith('s:')) {
            return;
        }
        const topic = error.ref.slice(2);
        const to = this.#asked.get(topic)?.shift() ?? [];
        for (const tab of to) {
            const entries = this.#tabs.get(tab);
            const entry = entries?.get(topic);
            if (entry && error.code === 'rate_limited') {
                entry.status = 'waiting';
            } else {
                entries?.delete(topic);
            }
        }
        if (error.code !== 'rate_limited') {
            this.#post({ k: 'refused', to, topic,
                error: { code: error.code ?? null, message: error.message ?? '', ref: error.ref } });
        }
    }
}
