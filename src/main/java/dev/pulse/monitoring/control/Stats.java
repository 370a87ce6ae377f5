package dev.pulse.monitoring.control;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** The counters behind /api/stats; every method is cheap enough for the hot paths that call it. */
public final class Stats {

    public final LongAdder pingsSent = new LongAdder();
    /** Extra Pings sent to sessions with much unacknowledged output, to learn early that they read it. */
    public final LongAdder probesSent = new LongAdder();
    public final LongAdder pongsReceived = new LongAdder();
    public final LongAdder messagesIn = new LongAdder();
    public final LongAdder messagesOut = new LongAdder();
    /** Gaps sent to subscribers: seqs they asked for or missed that nobody can replay. */
    public final LongAdder gapsSent = new LongAdder();
    public final LongAdder ticks = new LongAdder();
    public final LongAdder ticksSkipped = new LongAdder();
    public final LongAdder opened = new LongAdder();
    /** Heartbeat evictions put off by a tick because the node was behind since the peer's Ping. */
    public final LongAdder postponed = new LongAdder();
    /** Sessions whose eviction was put off for the node's lag and that then answered: false evictions avoided. */
    public final LongAdder spared = new LongAdder();
    /** Handshakes refused with 1013 while the node was shedding load. */
    public final LongAdder refused = new LongAdder();
    /** Handshakes refused with 1013 by the slow start after the node's start (pulse.admission.ramp). */
    public final LongAdder rampRefused = new LongAdder();
    public final RttWindow rtt = new RttWindow();
    private final ConcurrentHashMap<String, LongAdder> evictions = new ConcurrentHashMap<>();
    /** Sessions the peer ended without the server closing them, by how (abrupt: no close frame). */
    private final ConcurrentHashMap<String, LongAdder> disconnects = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LongAdder> rejections = new ConcurrentHashMap<>();
    private volatile long lastTickAt;
    private volatile long lastTickMillis;
    private volatile long maxTickMillis;

    public void evicted(String reason) {
        evictions.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    public void disconnected(String how) {
        disconnects.computeIfAbsent(how, k -> new LongAdder()).increment();
    }

    public Map<String, Long> disconnects() {
        return snapshot(disconnects);
    }

    /** A connection refused with 4001, by the check that failed. */
    public void rejected(String check) {
        rejections.computeIfAbsent(check, k -> new LongAdder()).increment();
    }

    public Map<String, Long> rejections() {
        return snapshot(rejections);
    }

    public void error(String code) {
        errors.computeIfAbsent(code, k -> new LongAdder()).increment();
    }

    public Map<String, Long> evictions() {
        return snapshot(evictions);
    }

    public Map<String, Long> errors() {
        return snapshot(errors);
    }

    /** @param tookMillis how long the tick ran: near the tick period, the container starts skipping ticks */
    public void ticked(long nowMillis, long tookMillis) {
        ticks.increment();
        lastTickAt = nowMillis;
        lastTickMillis = tookMillis;
        if (tookMillis > maxTickMillis) {
            maxTickMillis = tookMillis; // only the timer thread writes
        }
    }

    public long lastTickMillis() {
        return lastTickMillis;
    }

    public long maxTickMillis() {
        return maxTickMillis;
    }

    /** Epoch ms of the last completed heartbeat tick, 0 before the first. */
    public long lastTickAt() {
        return lastTickAt;
    }

    public void clear() {
        for (LongAdder a : new LongAdder[] {pingsSent, probesSent, pongsReceived, messagesIn, messagesOut, gapsSent, ticks, ticksSkipped,
                opened, postponed, spared, refused, rampRefused}) {
            a.reset();
        }
        evictions.clear();
        disconnects.clear();
        errors.clear();
        rejections.clear();
        rtt.clear();
        lastTickAt = 0;
        lastTickMillis = 0;
        maxTickMillis = 0;
    }

    private static Map<String, Long> snapshot(Map<String, LongAdder> counters) {
        Map<String, Long> copy = new TreeMap<>();
        counters.forEach((k, v) -> copy.put(k, v.sum()));
        return copy;
    }
}
