// What one subscription (a client and its topic) received, kept as the client's own ledger does
// (client/src/pulse/ledger.js: the last seq and epoch, resumed with since/epoch), plus the record the chaos run
// checks at the end: per epoch, which seqs came (ranges), which an explicit `gap` covered, and every seq that came
// out of line: a hole (a seq skipped without a gap), a duplicate (a seq that came twice) or a reorder (a seq that came
// after a higher one). The state is plain JSON: a worker sends it to the driver, which hands it to the worker it
// starts after a kill, so that the clients resume where their persisted record ends.

/** A new subscription's state: nothing seen yet. */
export function fresh() {
    // epoch/seq: the position (as ledger.js); segs: one per epoch, in order; pending: the epoch of a `subscribed`
    // that differs from ours (a `gap` reset must come next); afterReset: the next message may start above 1
    return { epoch: null, seq: 0, segs: [], pending: null, afterReset: false, anomalies: [] };
}

/** The subscribe message for a (re)connect: with since/epoch once the server named an epoch. */
export function subscribeMessage(state, topic, presence) {
    const m = { type: 'subscribe', topic };
    if (state.epoch !== null) {
        m.since = state.seq;
        m.epoch = state.epoch;
    }
    if (presence) m.presence = true;
    return m;
}

function addRange(ranges, a, b) {
    const last = ranges.at(-1);
    if (last && a === last[1] + 1) {
        last[1] = b;
    } else {
        ranges.push([a, b]);
    }
}
function inRanges(ranges, s) {
    return ranges.some(([a, b]) => s >= a && s <= b);
}
function removeFromRanges(ranges, s) {
    const i = ranges.findIndex(([a, b]) => s >= a && s <= b);
    if (i < 0) return false;
    const [a, b] = ranges[i];
    const parts = [];
    if (a <= s - 1) parts.push([a, s - 1]);
    if (s + 1 <= b) parts.push([s + 1, b]);
    ranges.splice(i, 1, ...parts);
    return true;
}
function seg(state) {
    return state.segs.at(-1);
}
function anomaly(state, kind, topic, detail) {
    state.anomalies.push({ kind, topic, epoch: state.epoch, ...detail, at: Date.now() });
}

/**
 * Applies one message from the server (subscribed, gap or message of this subscription's topic) to the state.
 * Seqs count per epoch; a seg's `start` is the seq it started after (the `subscribed` seq, or 0 after a reset).
 */
export function apply(state, m) {
    if (m.type === 'subscribed') {
        if (state.epoch === null) {
            state.epoch = m.epoch;
            state.seq = Number.isInteger(m.seq) ? m.seq : 0;
            state.segs.push({ epoch: m.epoch, start: state.seq, delivered: [], gaps: [], holes: [], resetAbove: null, resetBelow: null });
        } else if (m.epoch !== state.epoch) {
            state.pending = m.epoch; // we resumed with another epoch: a gap reset must come before any message
        } else if (Number.isInteger(m.seq) && m.seq < state.seq) {
            anomaly(state, 'seq-went-back', m.topic, { subscribedSeq: m.seq, ourSeq: state.seq });
        }
        return;
    }
    if (m.type === 'gap') {
        const s = seg(state);
        if (m.reason === 'reset' || m.from === null) {
            if (s) s.resetAbove = state.seq; // whatever of the old epoch came after our position: covered by the reset
            const epoch = state.pending ?? state.epoch;
            if (epoch === state.epoch) {
                anomaly(state, 'reset-same-epoch', m.topic, { since: state.seq });
            }
            state.epoch = epoch;
            state.seq = 0;
            state.pending = null;
            state.afterReset = true;
            state.segs.push({ epoch, start: 0, delivered: [], gaps: [], holes: [], resetAbove: null, resetBelow: null, reset: true });
        } else {
            if (state.pending !== null) {
                anomaly(state, 'expired-gap-across-epochs', m.topic, { from: m.from, to: m.to });
            }
            if (m.from !== state.seq + 1) {
                anomaly(state, 'gap-not-after-position', m.topic, { from: m.from, to: m.to, ourSeq: state.seq });
            }
            if (m.to >= m.from) s.gaps.push([m.from, m.to]);
            state.seq = Math.max(state.seq, m.to);
        }
        return;
    }
    if (m.type !== 'message') return;
    const { seq, epoch } = m;
    if (state.pending !== null || epoch !== state.epoch) {
        // a message of another epoch without the reset gap: whatever of the old epoch we lacked is lost silently
        anomaly(state, 'epoch-changed-without-gap', m.topic, { newEpoch: epoch, seqArrived: seq });
        const s = seg(state);
        if (s) s.holes.push([state.seq + 1, Infinity]);
        state.epoch = epoch;
        state.seq = 0;
        state.pending = null;
        state.afterReset = false;
        state.segs.push({ epoch, start: 0, delivered: [], gaps: [], holes: [], resetAbove: null, resetBelow: null });
        if (seq > 1) seg(state).holes.push([1, seq - 1]);
        addRange(seg(state).delivered, seq, seq);
        state.seq = seq;
        return;
    }
    const s = seg(state);
    if (seq === state.seq + 1) {
        addRange(s.delivered, seq, seq);
        state.seq = seq;
    } else if (seq > state.seq + 1) {
        if (state.afterReset && state.seq === 0) {
            s.resetBelow = seq; // after a reset the replay starts at the oldest retained: [1, seq-1] covered by it
        } else {
            s.holes.push([state.seq + 1, seq - 1]);
            anomaly(state, 'hole', m.topic, { from: state.seq + 1, to: seq - 1 });
        }
        addRange(s.delivered, seq, seq);
        state.seq = seq;
    } else if (inRanges(s.delivered, seq)) {
        anomaly(state, 'duplicate', m.topic, { seq, ourSeq: state.seq });
    } else if (removeFromRanges(s.holes, seq)) {
        // it came after a higher one: not lost after all, but out of order
        s.delivered.push([seq, seq]);
        s.delivered.sort((x, y) => x[0] - y[0]);
        const h = state.anomalies.findLastIndex((a) => a.kind === 'hole' && seq >= a.from && seq <= a.to);
        if (h >= 0 && state.anomalies[h].from === state.anomalies[h].to) state.anomalies.splice(h, 1);
        anomaly(state, 'reorder', m.topic, { seq, ourSeq: state.seq });
    } else {
        // at or below where the subscription started, or inside a gap it was told about: it should not come
        anomaly(state, 'reorder', m.topic, { seq, ourSeq: state.seq, stale: true });
    }
    state.afterReset = false;
}

/**
 * The whole-run figures of one subscription against what the publishers had acknowledged:
 * `published` maps epoch → ascending seqs acknowledged (of this subscription's topic), `epochsInOrder` lists the
 * topic's epochs in the order the server had them. Counts, per acknowledged seq the subscription was due (after its
 * start, in an epoch it was in, or an epoch it skipped, which its next reset covers): delivered, covered by a gap
 * (expired or reset), or neither (a hole).
 */
export function account(state, published, epochsInOrder) {
    const r = { due: 0, delivered: 0, coveredExpired: 0, coveredReset: 0, holes: 0, holeSeqs: [], deliveredUnacked: 0 };
    const byEpoch = new Map(state.segs.map((s) => [s.epoch, s]));
    const firstIdx = state.segs.length ? epochsInOrder.indexOf(state.segs[0].epoch) : -1;
    const lastIdx = state.segs.length ? epochsInOrder.indexOf(state.segs.at(-1).epoch) : -1;
    for (let i = Math.max(0, firstIdx); firstIdx >= 0 && i < epochsInOrder.length; i++) {
        const epoch = epochsInOrder[i];
        const seqs = published.get(epoch) ?? [];
        const s = byEpoch.get(epoch);
        if (!s) {
            if (i < lastIdx) r.coveredReset += seqs.length; // an epoch it never saw, between two it saw: the reset covers it
            continue; // after its last epoch: it was not connected again (counted by the caller as not back)
        }
        let acked = 0;
        for (const q of seqs) {
            if (q <= s.start) continue;
            r.due++;
            if (inRanges(s.delivered, q)) {
                r.delivered++;
                acked++;
            } else if (inRanges(s.gaps, q)) {
                r.coveredExpired++;
            } else if ((s.resetAbove !== null && q > s.resetAbove) || (s.resetBelow !== null && q < s.resetBelow)) {
                r.coveredReset++;
            } else {
                r.holes++;
                if (r.holeSeqs.length < 20) r.holeSeqs.push({ epoch, seq: q });
            }
        }
        const deliveredCount = s.delivered.reduce((a, [x, y]) => a + y - x + 1, 0);
        r.deliveredUnacked += deliveredCount - acked; // publishes whose answer was lost (server killed): fine
    }
    return r;
}
