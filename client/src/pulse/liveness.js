/**
 * Liveness: app-level pings every heartbeat interval, their round trips, and the verdict that the server is dead.
 *
 * Browsers cannot send or see WebSocket Ping frames, so this sends the contract's `{"type":"ping"}` and judges the
 * server dead when nothing at all has arrived for the server's own interval + timeout. It judges by elapsed
 * wall-clock time, never by counting timer callbacks: a background tab's timers may run once a minute, and a page
 * that was frozen or a laptop that slept runs its overdue timers late. A tick that comes late therefore never
 * condemns the socket by itself: it sends a probe (a ping) at once and waits a short probe timeout for any answer.
 *
 * @module pulse/liveness
 */

const LATE_SLACK_MS = 1_000; // a tick this much later than its period means the page was asleep, frozen or throttled

/**
 * @typedef {object} Clock
 * @property {() => number} now wall-clock epoch ms
 * @property {() => number} perfNow monotonic ms, for round trips
 * @property {(fn: () => void, ms: number) => unknown} setTimeout
 * @property {(id: any) => void} clearTimeout
 * @property {(fn: () => void, ms: number) => unknown} setInterval
 * @property {(id: any) => void} clearInterval
 * @property {() => number} random
 */

/** @typedef {{interval: number, timeout: number}} Heartbeat */

export class Liveness {
    #clock;
    #probeTimeout;
    #send;
    #dead;
    #onTick;
    /** @type {Heartbeat} */
    #heartbeat;
    #tickEvery = 1_000;
    /** @type {unknown} */
    #tickTimer = null;
    #lastTickAt = 0;
    #connected = false; // a socket is open and welcomed
    #lastReceivedAt = 0;
    #lastPingAt = 0;
    /** @type {number|null} when the probe in flight was sent; any frame after it clears it */
    #probeAt = null;
    /** @type {unknown} */
    #probeTimer = null;

    /**
     * @param {object} options
     * @param {Clock} options.clock
     * @param {number} options.probeTimeout ms a probe waits for any answer
     * @param {Heartbeat} options.heartbeat what to assume until a welcome tells
     * @param {(text: string) => boolean} options.send sends on the current socket; false when it cannot
     * @param {(reason: string) => void} options.dead the server is judged dead
     * @param {(now: number, late: boolean) => void} options.tick runs first on every tick
     */
    constructor({ clock, probeTimeout, heartbeat, send, dead, tick }) {
        this.#clock = clock;
        this.#probeTimeout = probeTimeout;
        this.#heartbeat = heartbeat;
        this.#send = send;
        this.#dead = dead;
        this.#onTick = tick;
    }

    /** @returns {Heartbeat} the heartbeat in use (the last welcome's) */
    get heartbeat() {
        return this.#heartbeat;
    }

    /** Starts ticking, at a quarter of the heartbeat's shorter period, between 100 ms and 1 s. */
    start() {
        const { interval, timeout } = this.#heartbeat;
        this.#tickEvery = Math.max(100, Math.min(1_000, Math.floor(Math.min(interval, timeout) / 4)));
        this.#clock.clearInterval(this.#tickTimer);
        this.#lastTickAt = this.#clock.now();
        this.#tickTimer = this.#clock.setInterval(() => this.#tick(), this.#tickEvery);
    }

    /** Stops every timer. */
    stop() {
        this.#clock.clearInterval(this.#tickTimer);
        this.#tickTimer = null;
        this.closed();
    }

    /** A new socket exists: its silence counts from now. */
    opened() {
        this.closed();
        this.#lastReceivedAt = this.#clock.now();
    }

    /**
     * The socket was welcomed with the server's heartbeat: tick at its pace, and measure the round trip now rather
     * than one interval from now.
     *
     * @param {Heartbeat} heartbeat
     */
    welcomed(heartbeat) {
        this.#heartbeat = heartbeat;
        this.#connected = true;
        this.start();
        this.#ping();
    }

    /** The socket is gone (or replaced): no probe pending, nothing to judge. */
    closed() {
        this.#connected = false;
        this.#probeAt = null;
        this.#clock.clearTimeout(this.#probeTimer);
        this.#probeTimer = null;
    }

    /** Any frame proves the server alive, whatever it contains. */
    received() {
        this.#lastReceivedAt = this.#clock.now();
        this.#probeAt = null;
    }

    /**
     * @param {{t?: unknown, time?: unknown}} pong
     * @returns {{rtt: number, time: number|null}|null} the round trip of one of our pings, null for anything else
     */
    pong(pong) {
        if (typeof pong.t !== 'number') {
            return null;
        }
        const rtt = this.#clock.perfNow() - pong.t;
        return rtt >= 0 ? { rtt, time: typeof pong.time === 'number' ? pong.time : null } : null;
    }

    /**
     * Sends a ping now and judges the socket dead if nothing at all arrives within the probe timeout.
     *
     * @returns {boolean} false when there is no welcomed socket to probe
     */
    probe() {
        if (!this.#connected) {
            return false;
        }
        if (this.#probeAt !== null) {
            return true; // one probe at a time
        }
        const sentAt = this.#clock.now();
        this.#ping();
        this.#probeAt = sentAt;
        const verdict = () => {
            if (this.#probeAt !== sentAt) {
                return; // answered, or another socket by now
            }
            const waited = this.#clock.now() - sentAt;
            if (waited < this.#probeTimeout) {
                this.#probeTimer = this.#clock.setTimeout(verdict, this.#probeTimeout - waited);
                return;
            }
            this.#dead(`no answer to a probe within ${this.#probeTimeout} ms`);
        };
        this.#clock.clearTimeout(this.#probeTimer);
        this.#probeTimer = this.#clock.setTimeout(verdict, this.#probeTimeout);
        return true;
    }

    /** Runs every tick (or whenever the browser lets it): pings and the dead-server verdict. */
    #tick() {
        const now = this.#clock.now();
        const late = now - this.#lastTickAt > this.#tickEvery + LATE_SLACK_MS; // we were asleep, frozen or throttled
        this.#lastTickAt = now;
        this.#onTick(now, late);
        if (!this.#connected) {
            return;
        }
        const limit = this.#heartbeat.interval + this.#heartbeat.timeout;
        const silent = now - this.#lastReceivedAt;
        if (silent < 0) {
            this.#lastReceivedAt = now; // the wall clock went back: start counting again
        } else if (late) {
            // frames that arrived while we slept may still be queued behind this timer: ask, do not condemn
            this.probe();
            return;
        } else if (silent > limit && this.#probeAt === null) {
            this.#dead(`nothing from the server for ${silent} ms (limit ${limit} ms)`);
            return;
        }
        if (now - this.#lastPingAt >= this.#heartbeat.interval - this.#tickEvery / 2) {
            this.#ping();
        }
    }

    #ping() {
        if (this.#send(JSON.stringify({ type: 'ping', t: this.#clock.perfNow() }))) {
            this.#lastPingAt = this.#clock.now();
        }
    }
}
