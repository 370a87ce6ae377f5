package dev.pulse.monitoring.control;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * How far behind this node is, second by second: how late its heartbeat ticks and its probe thread run, how long the
 * GC paused it, and how late it reads Pongs (of the Pongs read in a second, the one that waited least beyond its peer's
 * fastest round trip: every Pong read then had waited at least that long; counted from three Pongs a second, so that
 * one peer on a bad network is not taken for the node's lag). The heartbeat adds the worst of these since a peer's Ping to that peer's deadline, so that a node that is
 * behind never blames its peers for its own lateness; admission refuses new sessions while it is high.
 * All times are monotonic nanoseconds.
 */
public final class Lag {

    /** Where a figure comes from; the names are the keys of /api/stats. */
    public enum Source {
        /** A heartbeat tick started later than a second after the one before, or waited for a thread. */
        TICK,
        /** The probe thread woke later than it asked to: CPU starvation or a safepoint. */
        PROBE,
        /** Time the JVM reported spent in GC pauses. */
        GC,
        /** The least any Pong read in that second took beyond its peer's fastest round trip: the inbound backlog. */
        PONG;

        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    static final long SLOT_NANOS = 1_000_000_000L;
    /** Seconds remembered: more than any sensible interval + timeout; an older Ping is judged by all of them. */
    static final int SLOTS = 128;
    private static final int SOURCES = Source.values().length;
    private static final long NONE = Long.MAX_VALUE;
    /** Fewer Pongs in a second say more about their peers' networks than about the node. */
    static final int MIN_PONGS = 3;

    private final long[] second = new long[SLOTS];
    private final long[][] worst = new long[SLOTS][SOURCES];
    private final int[] pongs = new int[SLOTS];
    private long max;
    /** Total GC pause time reported, ms. */
    public final LongAdder gcMillis = new LongAdder();

    public Lag() {
        for (int i = 0; i < SLOTS; i++) {
            second[i] = Long.MIN_VALUE;
        }
    }

    /** Records that something ran {@code lateNanos} later than it should have (TICK, PROBE, GC). */
    public void late(Source source, long now, long lateNanos) {
        if (lateNanos <= 0 || source == Source.PONG) {
            return;
        }
        synchronized (this) {
            long[] slot = slot(now);
            slot[source.ordinal()] = Math.max(slot[source.ordinal()], lateNanos);
            max = Math.max(max, lateNanos);
        }
    }

    /**
     * Records a Pong read now that took {@code waitedNanos} longer than its peer's fastest round trip: each second
     * keeps the least such wait, counted once it has {@link #MIN_PONGS} Pongs.
     */
    public void pong(long now, long waitedNanos) {
        if (waitedNanos < 0) {
            return;
        }
        synchronized (this) {
            long[] slot = slot(now);
            int i = Source.PONG.ordinal();
            slot[i] = Math.min(slot[i], waitedNanos);
            int slotIndex = (int) Math.floorMod(Math.floorDiv(now, SLOT_NANOS), SLOTS);
            if (++pongs[slotIndex] >= MIN_PONGS) {
                max = Math.max(max, slot[i]);
            }
        }
    }

    /** The worst lag of any second from {@code from}'s to {@code now}'s, in nanoseconds (0 when none). */
    public synchronized long since(long from, long now) {
        long first = Math.max(Math.floorDiv(from, SLOT_NANOS), Math.floorDiv(now, SLOT_NANOS) - SLOTS + 1);
        long result = 0;
        for (long s = first; s <= Math.floorDiv(now, SLOT_NANOS); s++) {
            int i = (int) Math.floorMod(s, SLOTS);
            if (second[i] == s) {
                for (int k = 0; k < SOURCES; k++) {
                    result = Math.max(result, value(i, k));
                }
            }
        }
        return result;
    }

    /** The lag of the last two to three seconds (this one and the two before), in nanoseconds. */
    public long recent(long now) {
        return since(now - 2 * SLOT_NANOS, now);
    }

    /** The same, per source, in ms, for /api/stats. */
    public synchronized Map<Source, Double> recentBySource(long now) {
        Map<Source, Double> result = new EnumMap<>(Source.class);
        long last = Math.floorDiv(now, SLOT_NANOS);
        for (Source source : Source.values()) {
            long worstOf = 0;
            for (long s = last - 2; s <= last; s++) {
                int i = (int) Math.floorMod(s, SLOTS);
                if (second[i] == s) {
                    worstOf = Math.max(worstOf, value(i, source.ordinal()));
                }
            }
            result.put(source, worstOf / 1e6);
        }
        return result;
    }

    /** The worst lag since the node started, in nanoseconds. */
    public synchronized long max() {
        return max;
    }

    private long value(int slot, int k) {
        if (k == Source.PONG.ordinal()) {
            return pongs[slot] < MIN_PONGS ? 0 : worst[slot][k];
        }
        return worst[slot][k];
    }

    private long[] slot(long now) {
        long s = Math.floorDiv(now, SLOT_NANOS);
        int i = (int) Math.floorMod(s, SLOTS);
        if (second[i] != s) {
            second[i] = s;
            java.util.Arrays.fill(worst[i], 0);
            worst[i][Source.PONG.ordinal()] = NONE;
            pongs[i] = 0;
        }
        return worst[i];
    }
}
