/**
 * One tab's side of a shared socket: what the facade does with its own socket when `share` is off, done through
 * the leader. The tab keeps its own ledger (so it delivers each seq once and in order, whoever leads), holds back a
 * topic's messages from a leader until that leader has answered the tab's subscribe, and mirrors the leader's state.
 * The leader is a shared worker (over a MessagePort, `port.js`), or one of the tabs: then every tab runs for
 * leadership, and the one that leads holds the socket for every tab in its {@link Hub}.
 *
 * @module pulse/share/tab
 */
import { PulseError } from '../errors.js';
import { Ledger } from '../ledger.js';
import { TRANSITIONS } from '../machine.js';
import { Requests } from '../requests.js';
import { Hub } from './hub.js';
import { Election, compareTerms } from './leader.js';

/**
 * @typedef {object} ShareOptions
 * @property {string} name the channel's and the lock's name: tabs with the same name share a socket
 * @property {string} id this tab's id
 * @property {((receive: (message: import('./channel.js').Envelope) => void, events: WorkerEvents) => Link)|null} worker
 *     opens a port to the shared worker that leads; null: the tabs elect a leader among them
 * @property {((receive: (message: import('./channel.js').Envelope) => void) => Link)|null} tabs opens the
 *     BroadcastChannel between the tabs (without a worker, or when the worker's script fails); null: the browser has
 *     none
 * @property {any} locks a LockManager
 * @property {{now: () => number, setTimeout: (fn: () => void, ms: number) => unknown, clearTimeout: (id: any) => void,
 *     setInterval: (fn: () => void, ms: number) => unknown, clearInterval: (id: any) => void}} clock
 * @property {number} requestTimeout
 * @property {(tap: (frame: any) => void) => import('./hub.js').Core} makeCore opens this tab's socket when it leads
 * @property {(event: string, detail: any) => void} emit the facade's events
 * @property {{state: string, fire: (event: any, detail?: object) => boolean}} machine the facade's state machine
 * @property {(code: number|null, reason: string) => void} stop closes the facade for good: the leader's socket was
 *     closed by the server in a way that retrying cannot help (4001, 4003), which holds for every tab
 * @property {import('./leader.js').LEASE} [lease]
 */

/**
 * @typedef {object} Link what carries a tab's commands to the leader, and the leader's messages back
 * @property {(message: import('./channel.js').Envelope) => void} post
 * @property {() => void} close
 */

/**
 * @typedef {object} WorkerEvents what a port to the shared worker tells its tab
 * @property {() => void} gone the worker stopped (its process crashed): a new one is needed
 * @property {(reason: string) => void} failed the worker cannot run here (its script did not load)
 */

/**
 * @typedef {object} Lead what a tab knows of who leads: an {@link Election} among the tabs, or {@link FOLLOWER}
 * @property {() => void} start
 * @property {() => void} stop
 * @property {(from: import('./leader.js').Term) => number} heard
 * @property {() => void} leaderLeft
 * @property {() => boolean} check
 * @property {boolean} leading
 */

/** With a shared worker: the worker leads, for as long as it lives; no tab ever does. */
const FOLLOWER = /** @type {Lead} */ (Object.freeze({
    start() {},
    stop() {},
    heard: () => 0,
    leaderLeft() {},
    check: () => false,
    leading: false,
}));

/** The event that leads to each state a leader reports; `paused` (the leader's page is going) means "wait". */
const EVENT_TO = /** @type {const} */ ({ connecting: 'connect', open: 'welcome', reconnecting: 'wait', offline: 'offline',
    paused: 'wait' });
const SWEEP_EVERY = 10; // beats between two looks for tabs that are gone
const LEADER_KINDS = new Set(['leader', 'beat', 'state', 'welcome', 'frame', 'event', 'reply', 'refused', 'bye']);

export class SharedTab {
    /** @type {ShareOptions} */
    #o;
    #ledger = new Ledger();
    /** @type {Set<string>} topics whose messages wait for the current leader's answer to this tab's subscribe */
    #awaiting = new Set();
    /** @type {Requests} */
    #requests;
    /** @type {Link|null} */
    #channel = null;
    /** @type {Lead} */
    #election;
    /** @type {Hub|null} */
    #hub = null;
    /** @type {import('./leader.js').Term|null} the leader this tab listens to */
    #leader = null;
    /** @type {any} */
    #welcome = null;
    #term = 0; // this tab's term while it leads
    /** @type {(() => void)|null} releases the lock that says this tab is alive (a closed or crashed tab loses it) */
    #alive = null;
    #beats = 0;
    #worker = false; // a shared worker leads (until its script fails: then the tabs elect one)

    /** @param {ShareOptions} options */
    constructor(options) {
        this.#o = options;
        this.#requests = new Requests(options.requestTimeout, options.clock);
        this.#worker = options.worker !== null;
        this.#election = this.#worker ? FOLLOWER : this.#elect();
    }

    /** @returns {Election} this tab's part in electing a leader among the tabs */
    #elect() {
        const o = this.#o;
        return new Election({
            locks: o.locks,
            name: o.name,
            id: o.id,
            clock: o.clock,
            lease: o.lease,
            elected: (term) => this.#elected(term),
            deposed: () => this.#deposed(),
            beat: () => this.#beat(),
            probe: () => this.#command({ k: 'probe' }),
        });
    }

    /** @returns {any} the leader's socket's welcome */
    get welcome() {
        return this.#welcome;
    }

    /** @returns {string[]} */
    get topics() {
        return this.#ledger.topics;
    }

    /** @returns {boolean} whether this tab holds the socket (tests, and the page that wants to show it): never with a worker */
    get leading() {
        return this.#election.leading;
    }

    /** @returns {boolean} whether a shared worker holds the socket (rather than one of the tabs) */
    get worker() {
        return this.#worker;
    }

    /** Joins the tabs: listens, and lines up for leadership (unless a shared worker leads). */
    start() {
        this.#channel = this.#link();
        Promise.resolve(this.#o.locks.request(`${this.#o.name}:tab:${this.#o.id}`, () => new Promise((release) => {
            this.#alive = () => release(undefined);
        }))).catch(() => {});
        this.#election.start();
    }

    /**
     * Leaves the tabs (close, or the page going away): its topics are released, and if it led, the next tab takes
     * over at once.
     *
     * @param {string} reason
     */
    stop(reason) {
        if (!this.#channel) {
            return;
        }
        this.#command({ k: 'leave' });
        this.#alive?.();
        this.#alive = null;
        this.#election.stop(); // steps down (says bye) while the channel is still open
        this.#channel.close();
        this.#channel = null;
        this.#leader = null;
        this.#welcome = null;
        this.#requests.failAll(reason === 'closed' ? 'closed' : 'connection_lost',
            reason === 'closed' ? 'the client was closed' : `connection lost before the answer (${reason})`);
    }

    /**
     * @param {string} topic
     * @param {boolean|undefined} presence
     * @returns {import('../ledger.js').Subscription}
     */
    subscribe(topic, presence) {
        const sub = this.#ledger.subscribe(topic, presence);
        this.#awaiting.add(topic); // from now on, only what follows the answer to this subscribe counts
        this.#command({ k: 'sub', topic, presence: sub.presence, seq: sub.seq, epoch: sub.epoch });
        return sub;
    }

    /**
     * @param {string} topic
     * @returns {import('../ledger.js').Subscription|undefined}
     */
    unsubscribe(topic) {
        const sub = this.#ledger.remove(topic);
        this.#awaiting.delete(topic);
        if (sub) {
            this.#command({ k: 'unsub', topic });
        }
        return sub;
    }

    /**
     * @param {'publish'|'presence'} kind
     * @param {string} topic
     * @param {any} [data]
     * @returns {Promise<any>}
     */
    request(kind, topic, data) {
        if (this.#o.machine.state !== 'open' || !this.#channel) {
            return Promise.reject(new PulseError('not_connected', `not connected (${this.#o.machine.state}); nothing was sent`));
        }
        const id = this.#requests.nextId(kind === 'publish' ? 'p' : 'q');
        const answer = this.#requests.await(id, kind, topic);
        this.#command({ k: 'req', id, kind, topic, data });
        return answer;
    }

    /**
     * @param {{type: string}} message
     * @returns {boolean} whether it went to a leader with an open socket (it may still fail there)
     */
    send(message) {
        if (this.#o.machine.state !== 'open' || !this.#channel) {
            return false;
        }
        this.#command({ k: 'req', id: '', kind: 'send', message });
        return true;
    }

    /** Rejects what waits for a subscribe answer (close). */
    rejectWaiters() {
        for (const sub of this.#ledger.subscriptions()) {
            sub.waiters.splice(0).forEach((w) => w.reject(new PulseError('closed', 'the client was closed')));
        }
    }

    /** @returns {Link} to the shared worker, or to the other tabs */
    #link() {
        const receive = (/** @type {import('./channel.js').Envelope} */ m) => this.#received(m);
        const worker = this.#o.worker;
        if (!this.#worker || !worker) {
            return /** @type {NonNullable<ShareOptions['tabs']>} */ (this.#o.tabs)(receive);
        }
        /** @type {Link} */
        const link = worker(receive, {
            gone: () => link === this.#channel && this.#relink(link, 'the shared worker stopped'),
            failed: (reason) => {
                if (link === this.#channel && this.#o.tabs) {
                    this.#worker = false; // every tab learns the same, from the same script: they elect a leader
                    this.#election = this.#elect();
                    this.#relink(link, `no shared worker here (${reason})`);
                    this.#election.start();
                }
            },
        });
        return link;
    }

    /**
     * The worker is gone: what waited on it fails, and a new link finds the next leader (a new worker, started by
     * whichever tab asks first, or the tab elected), which this tab greets with its positions.
     *
     * @param {Link} old
     * @param {string} reason
     */
    #relink(old, reason) {
        this.#leaderGone(reason);
        old.close();
        this.#channel = this.#link();
    }

    // ---- to the leader -------------------------------------------------------------------------------------------

    /** @param {{k: string, [key: string]: any}} command */
    #command(command) {
        this.#channel?.post({ ...command, tab: this.#o.id });
    }

    /** The positions this tab holds: what the new leader must resume from. */
    #hello() {
        const topics = [];
        this.#awaiting.clear();
        for (const topic of this.#ledger.topics) {
            const sub = /** @type {import('../ledger.js').Subscription} */ (this.#ledger.get(topic));
            topics.push({ topic, presence: sub.presence, seq: sub.seq, epoch: sub.epoch, implicit: false });
            this.#awaiting.add(topic);
        }
        for (const [topic, position] of this.#ledger.tracked()) {
            if (position.epoch !== null) {
                topics.push({ topic, presence: false, seq: position.seq, epoch: position.epoch, implicit: true });
                this.#awaiting.add(topic);
            }
        }
        this.#command({ k: 'hello', topics });
    }

    // ---- leading -------------------------------------------------------------------------------------------------

    /** @param {number} term */
    #elected(term) {
        this.#term = term;
        this.#hub = new Hub(this.#o.makeCore, (message) => this.#lead(message));
        this.#lead({ k: 'leader', term });
        this.#hub.start();
    }

    /** The leader's beat; now and then it also looks for tabs that went without a word (crashed, killed). */
    #beat() {
        this.#lead({ k: 'beat', ...(this.#hub?.summary ?? {}) });
        if (++this.#beats % SWEEP_EVERY !== 0 || typeof this.#o.locks.query !== 'function') {
            return;
        }
        const prefix = `${this.#o.name}:tab:`;
        Promise.resolve(this.#o.locks.query()).then((/** @type {any} */ snapshot) => {
            /** @type {string[]} */
            const names = (snapshot?.held ?? []).map((/** @type {any} */ l) => String(l.name));
            const alive = new Set(names.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)));
            this.#hub?.sweep(alive);
        }, () => {});
    }

    #deposed() {
        const hub = this.#hub;
        this.#hub = null;
        hub?.stop();
        this.#channel?.post({ k: 'bye', term: this.#term, leader: this.#o.id });
    }

    /**
     * Posts as the leader, if the lease still holds: a leader thawed after its lease ran out delivers nothing.
     *
     * @param {{k: string, [key: string]: any}} message
     */
    #lead(message) {
        if (!this.#hub || !this.#election.check()) {
            return;
        }
        this.#channel?.post({ ...message, term: this.#term, leader: this.#o.id });
    }

    // ---- from the channel ----------------------------------------------------------------------------------------

    /** @param {{k: string, [key: string]: any}} message */
    #received(message) {
        if (!LEADER_KINDS.has(message.k)) {
            if (message.k === 'probe') {
                this.#lead({ k: 'beat', ...(this.#hub?.summary ?? {}) });
            } else if (this.#hub && this.#election.check()) {
                this.#hub.command(/** @type {any} */ (message));
            }
            return;
        }
        const from = { term: message.term, id: message.leader };
        if (message.k === 'bye') {
            if (this.#leader && compareTerms(from, this.#leader) === 0) {
                this.#election.leaderLeft();
                this.#leaderGone('the tab holding the socket left');
            }
            return;
        }
        if (this.#election.heard(from) < 0 || (this.#leader && compareTerms(from, this.#leader) < 0)) {
            return; // a leader that was replaced: nothing it says is news
        }
        if (!this.#leader || compareTerms(from, this.#leader) > 0) {
            this.#leaderGone('another tab holds the socket now');
            this.#leader = from;
            this.#hello();
            if (message.k !== 'beat' && message.k !== 'leader') {
                this.#command({ k: 'probe' }); // joined mid-way: its beat tells the state of its socket
            }
        }
        this.#handle(message);
    }

    /** @param {string} reason */
    #leaderGone(reason) {
        if (!this.#leader) {
            return;
        }
        this.#leader = null;
        this.#welcome = null;
        this.#requests.failAll('connection_lost', `connection lost before the answer (${reason})`);
        this.#mirror({ state: 'reconnecting', code: null, reason, delay: null, retryAt: null, attempt: 0 });
    }

    /** @param {{k: string, [key: string]: any}} message from the current leader */
    #handle(message) {
        if (message.to && !message.to.includes(this.#o.id)) {
            return;
        }
        switch (message.k) {
            case 'state':
                if (message.detail.state === 'closed') {
                    return this.#o.stop(message.detail.code, message.detail.reason);
                }
                return this.#mirror(message.detail);
            case 'beat':
                if (message.state) {
                    this.#mirror(message.state); // the same state, unless this tab joined after it changed
                }
                if (message.welcome && !this.#welcome && this.#o.machine.state === 'open') {
                    this.#welcome = message.welcome; // joined an open socket: its welcome, as if this tab had opened it
                    this.#o.emit('welcome', message.welcome);
                }
                return undefined;
            case 'welcome':
                this.#welcome = message.welcome;
                return this.#o.emit('welcome', message.welcome);
            case 'event': return this.#o.emit(message.name, message.detail);
            case 'frame': return this.#frame(message.frame);
            case 'reply': {
                const error = message.error && new PulseError(message.error.code, message.error.message, message.error.ref);
                this.#requests.settle(message.id, message.value, error);
                if (error && !['connection_lost', 'closed', 'timeout', 'not_connected'].includes(error.code)) {
                    this.#o.emit('error', message.error);
                }
                return undefined;
            }
            case 'refused': {
                const sub = this.#ledger.remove(message.topic);
                this.#awaiting.delete(message.topic);
                const { code, message: text, ref } = message.error;
                sub?.waiters.splice(0).forEach((w) => w.reject(new PulseError(code, text, ref)));
                return this.#o.emit('error', message.error);
            }
            default: return undefined;
        }
    }

    /** @param {any} frame a server frame the leader routed here */
    #frame(frame) {
        const topic = frame.topic;
        if (typeof topic !== 'string') {
            return;
        }
        if (frame.type === 'subscribed') {
            this.#awaiting.delete(topic);
            const answered = this.#ledger.subscribed(frame);
            if (answered) {
                const detail = { ...without(frame), resumed: answered.resumed };
                answered.sub.waiters.splice(0).forEach((w) => w.resolve(detail));
                this.#o.emit('subscribed', detail);
            }
            return;
        }
        if (this.#awaiting.has(topic)) {
            return; // before this leader answered our subscribe: what counts is replayed after the answer
        }
        switch (frame.type) {
            case 'message':
                if (Number.isInteger(frame.seq) && this.#ledger.accept(frame)) {
                    this.#o.emit('message', without(frame));
                }
                return;
            case 'gap':
                if (this.#ledger.gap(frame)) {
                    this.#o.emit('gap', without(frame));
                }
                return;
            case 'join':
            case 'leave':
                if (this.#ledger.get(topic)?.presence) {
                    this.#o.emit(frame.type, without(frame));
                }
                return;
            default:
        }
    }

    /**
     * Moves the facade's machine to the leader's state, through `reconnecting` where the table has no direct way.
     *
     * @param {any} detail the leader's state event
     */
    #mirror(detail) {
        const target = detail.state === 'paused' ? 'reconnecting' : detail.state;
        const event = /** @type {Record<string, any>} */ (EVENT_TO)[target];
        if (!event) {
            return; // idle, or closed: the leader's own, not this tab's
        }
        const machine = this.#o.machine;
        for (let step = 0; step < 3 && machine.state !== target && machine.state !== 'closed'; step++) {
            const row = /** @type {Record<string, string>} */ (TRANSITIONS[/** @type {keyof TRANSITIONS} */ (machine.state)]);
            if (row[event] === target) {
                machine.fire(event, detail);
            } else if (target === 'open' && row.connect === 'connecting') {
                machine.fire('connect', { ...detail, state: 'connecting' });
            } else if (row.wait === 'reconnecting') {
                machine.fire('wait', { ...detail, state: 'reconnecting' });
            } else if (row.show === 'connecting') {
                machine.fire('show', { ...detail, state: 'connecting' });
            } else {
                return;
            }
        }
    }
}

/**
 * @param {Record<string, unknown>} frame
 * @returns {any} the frame without its `type`, as the events carry it
 */
function without(frame) {
    const copy = { ...frame };
    delete copy.type;
    return copy;
}
