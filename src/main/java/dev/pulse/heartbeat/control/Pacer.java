package dev.pulse.heartbeat.control;

import dev.pulse.connection.control.Clock;
import java.util.concurrent.locks.LockSupport;

/**
 * Spreads the Pings of one tick over part of the tick. Sent in one burst, 10,000 Pings come back as 10,000
 * Pongs within a few hundred milliseconds, and Payara's I/O pool (a queue of 4,096 read events) overflowed
 * and dropped connections; spread out, the same Pongs arrive at the rate the container reads them.
 */
public final class Pacer {

    /** Pause only between batches: parking for every Ping would cost more than it smooths. */
    static final int BATCH = 250;

    /** Waits out a number of nanoseconds; replaceable in tests. */
    @FunctionalInterface
    public interface Pause {
        void pause(long nanos);
    }

    /** Never waits: every Ping of a tick goes out at once. */
    public static final Pacer NONE = new Pacer(null, 0, n -> { });

    private final Clock clock;
    private final long spreadNanos;
    private final Pause pause;

    /** @param spreadMillis the part of each tick over which its Pings are spread */
    public Pacer(Clock clock, long spreadMillis, Pause pause) {
        this.clock = clock;
        this.spreadNanos = spreadMillis * 1_000_000;
        this.pause = pause;
    }

    /** Parks the current thread; an interrupt ends the pause early (and stays set for the caller). */
    public static Pacer parking(Clock clock, long spreadMillis) {
        return new Pacer(clock, spreadMillis, LockSupport::parkNanos);
    }

    /** Called before Ping number {@code index} (from 0) of {@code total}, sent in a tick that began at {@code start}. */
    void before(int index, int total, long start) {
        if (spreadNanos == 0 || index == 0 || index % BATCH != 0) {
            return;
        }
        long wait = start + spreadNanos * index / total - clock.nanos();
        if (wait > 0) {
            pause.pause(wait);
        }
    }
}
