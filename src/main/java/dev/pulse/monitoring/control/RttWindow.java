package dev.pulse.monitoring.control;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The most recent round-trip samples in a fixed ring, so recording a Pong allocates nothing; percentiles are
 * computed on demand over the samples younger than the window.
 */
public final class RttWindow {

    /** Percentiles in ms; fields are null without samples. */
    public record Percentiles(Double p50, Double p99, Double max, int samples) {
    }

    private static final int CAPACITY = 1 << 14; // 16k samples: 10k sessions at 1 s interval for ~1.6 s, more at 25 s
    private final long[] rttNanos = new long[CAPACITY];
    private final long[] takenAt = new long[CAPACITY];
    private final AtomicLong next = new AtomicLong();

    public void record(long rtt, long nowMillis) {
        int slot = (int) (next.getAndIncrement() & (CAPACITY - 1));
        takenAt[slot] = nowMillis;
        rttNanos[slot] = rtt;
    }

    public Percentiles percentiles(long nowMillis, long windowMillis) {
        long count = Math.min(next.get(), CAPACITY);
        long[] values = new long[(int) count];
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (nowMillis - takenAt[i] <= windowMillis) {
                values[n++] = rttNanos[i];
            }
        }
        if (n == 0) {
            return new Percentiles(null, null, null, 0);
        }
        Arrays.sort(values, 0, n);
        return new Percentiles(ms(values[rank(n, 0.50)]), ms(values[rank(n, 0.99)]), ms(values[n - 1]), n);
    }

    public void clear() {
        next.set(0);
    }

    private static int rank(int n, double quantile) {
        return Math.min(n - 1, (int) Math.ceil(quantile * n) - 1);
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1_000.0) / 1_000.0;
    }
}
