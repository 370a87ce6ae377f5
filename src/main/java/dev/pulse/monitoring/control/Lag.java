package dev.pulse.monitoring.control;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * How far behind this node is, second by second: how late its heartbeat ticks and its probe thread run, how long the
 * GC paused it, and how late it reads Pongs: of the Pongs read in a second, the wait beyond its peer's fastest round
 * trip that the slowest twentieth of them (at least three) reached. Not the least wait: a container reads its
 * sockets in turns, so a node behind by seconds still reads some Pongs the moment they arrive, while the rest wait a
 * whole turn; and not the largest, so that a few peers on bad networks are not taken for the node's lag.
 * The heartbeat adds the worst of these since a peer's Ping to that peer's deadline, so that a node that is behind
 * never blames its peers for its own lateness; admission refuses new sessions while it is high.
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
        /** How long the slowest Pongs read in that second waited beyond their peers' fastest: the inbound backlog. */
        PONG;

        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    static final long SLOT_NANOS = 1_000_000_000L;
    /** Seconds remembered: more than any sensible interval + timeout; an older Ping is judged by all of them. */
    static final int SLOTS = 128;
    private static final int SOURCES = Source.values().length;
    /** Fewer Pongs in a second than this say more about their peers' networks than about the node. */
    static final int MIN_PONGS = 3;
    /** The share of a second's Pongs that must have waited as long: a twentieth. */
    static final int SHARE = 20;
    /** Pong waits are counted in buckets a quarter octave wide: 0, then from 1 ms up to 2^16 ms. */
    private static final int BUCKETS = 66;

    private final long[] second = new long[SLOTS];
    private final long[][] worst = new long[SLOTS][SOURCES];
    private final int[] pongs = new int[SLOTS];
    private final int[][] waits = new int[SLOTS][BUCKETS];
    /** Seconds whose Pong figure is not computed yet: Pongs come by the thousand, the figure is read far less. */
    private final boolean[] counted = new boolean[SLOTS];
    private static final long[] FLOORS = new long[BUCKETS];
    private long lastPongSecond = Long.MIN_VALUE;
    private long max;
    /** Total GC pause time reported, ms. */
    public final LongAdder gcMillis = new LongAdder();

    static {
        for (int b = 1; b < BUCKETS; b++) {
            FLOORS[b] = (long) Math.ceil(Math.pow(2, (b - 1) / 4.0) * 1_000_000);
        }
    }

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

    /** Records a Pong read now that took {@code waitedNanos} longer than its peer's fastest round trip. */
    public void pong(long now, long waitedNanos) {
        if (waitedNanos < 0) {
            return;
        }
        int bucket = bucket(waitedNanos);
        long s = Math.floorDiv(now, SLOT_NANOS);
        synchronized (this) {
            slot(now);
            int i = (int) Math.floorMod(s, SLOTS);
            waits[i][bucket]++;
            pongs[i]++;
            counted[i] = false;
            if (s != lastPongSecond) { // the second before is complete: its figure counts towards the maximum now
                if (lastPongSecond != Long.MIN_VALUE) {
                    value((int) Math.floorMod(lastPongSecond, SLOTS), Source.PONG.ordinal());
                }
                lastPongSecond = s;
            }
        }
    }

    /** One second's figure from one source; the Pongs' is computed here when new ones came. Holds the lock. */
    private long value(int slot, int k) {
        if (k == Source.PONG.ordinal() && !counted[slot]) {
            counted[slot] = true;
            int count = pongs[slot];
            long v = count < MIN_PONGS ? 0 : slowest(waits[slot], Math.max(MIN_PONGS, (count + SHARE - 1) / SHARE));
            worst[slot][k] = v;
            max = Math.max(max, v);
        }
        return worst[slot][k];
    }

    /** The least wait of the {@code k} longest counted: the lower bound of the bucket holding the k-th longest. */
    private static long slowest(int[] buckets, int k) {
        int seen = 0;
        for (int b = BUCKETS - 1; b > 0; b--) {
            seen += buckets[b];
            if (seen >= k) {
                return floor(b);
            }
        }
        return 0;
    }

    /** Bucket 0 holds waits under 1 ms; bucket b ≥ 1 those from 2^((b-1)/4) ms. */
    static int bucket(long nanos) {
        long micros = nanos / 1000;
        if (micros < 1000) {
            return 0;
        }
        double quarters = 4 * Math.log(micros / 1000.0) / Math.log(2);
        return (int) Math.min(BUCKETS - 1, 1 + Math.floor(quarters));
    }

    /** The shortest wait bucket b holds, in nanoseconds. */
    static long floor(int b) {
        return FLOORS[b];
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
        if (lastPongSecond != Long.MIN_VALUE) {
            value((int) Math.floorMod(lastPongSecond, SLOTS), Source.PONG.ordinal());
        }
        return max;
    }

    private long[] slot(long now) {
        long s = Math.floorDiv(now, SLOT_NANOS);
        int i = (int) Math.floorMod(s, SLOTS);
        if (second[i] != s) {
            second[i] = s;
            java.util.Arrays.fill(worst[i], 0);
            java.util.Arrays.fill(waits[i], 0);
            pongs[i] = 0;
            counted[i] = true;
        }
        return worst[i];
    }
}
