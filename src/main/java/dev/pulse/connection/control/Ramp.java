package dev.pulse.connection.control;

import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongUnaryOperator;

/**
 * A slow start after the node's start (opt-in, {@code pulse.admission.ramp}): at most N new sessions in any 100 ms,
 * N from {@code pulse.admission.ramp-start}, doubled each time the node has taken a second's worth of full windows
 * at N, until N exceeds {@link #CAP} or a minute has passed; then it is over until the next start. A session beyond N
 * is closed 1013 with a retry-after that gives it a moment of its own in the order it was refused, so a storm of
 * clients that all found the restarted node at once comes back spread at the rate the ramp will admit.
 *
 * <p>It grows with the sessions it takes rather than with time alone, so that the pages of a small storm that trickle
 * in over a second or two still find it at N; it only sees sessions while the node keeps up (else
 * {@link Admission} refuses them first), so it holds while the node is behind.
 */
public final class Ramp {

    static final long WINDOW_NANOS = 100_000_000L;
    /**
     * How long an admission counts against N: the window, plus a margin for the session's {@code openedAt}, which is
     * read from the wall clock in the same decision (milliseconds, truncated) while the window is monotonic time.
     */
    static final long HELD_NANOS = WINDOW_NANOS + 20_000_000L;
    /** Sessions per window beyond which the ramp is over: 10,000 handshakes a second needs no pacing by a node. */
    static final int CAP = 1000;
    /** Windows' worth of sessions taken at N before N doubles: about a second of full windows. */
    static final int WINDOWS_PER_DOUBLING = 10;
    /** After this, the ramp is over whatever N has reached: a node has met the storm its start caused. */
    static final long HORIZON_NANOS = 60_000_000_000L;
    /**
     * Room between the moments given to refused sessions, over 100 ms / N: N of them span more than an admission is
     * held, so a client that comes back a little late or early seldom meets a full window.
     */
    static final double SPACING = 1.25;

    private final Clock clock;
    private final LongUnaryOperator jitter; // bound -> a value in [0, bound)
    private volatile boolean over;

    private long startedAt;
    private boolean started;
    private int perWindow;
    private int takenAtLevel;
    private final ArrayDeque<Long> recent = new ArrayDeque<>(); // admission times still held

    private long nextMoment; // the first moment not yet given to a refused session
    private int bookedLevel; // N that the ramp will have reached when the refused come back
    private int bookedAtLevel;

    /** A ramp that paces from {@code start} sessions per 100 ms. */
    public Ramp(int start, Clock clock) {
        this(start, clock, bound -> bound <= 0 ? 0 : ThreadLocalRandom.current().nextLong(bound));
    }

    Ramp(int start, Clock clock, LongUnaryOperator jitter) {
        this.clock = clock;
        this.jitter = jitter;
        this.perWindow = start;
    }

    /** A ramp that never paces, for a node with {@code pulse.admission.ramp=false}. */
    public static Ramp off() {
        Ramp ramp = new Ramp(1, Clock.SYSTEM);
        ramp.over = true;
        return ramp;
    }

    /** Whether the ramp paces handshakes now. */
    public boolean active() {
        return !over;
    }

    /** Sessions admitted in any 100 ms now (0 once the ramp is over). */
    public synchronized int perWindow() {
        return over ? 0 : perWindow;
    }

    /**
     * Decides a new session of a node that keeps up. The first call starts the ramp: the moment the node began to
     * take sessions.
     */
    public Verdict decide() {
        if (over) {
            return Verdict.admittedAt(clock.millis());
        }
        synchronized (this) {
            long now = clock.nanos();
            // read with the decision: taken after it, a session's opening could be delayed past the next admission's
            long at = clock.millis();
            if (!started) {
                started = true;
                startedAt = now;
                nextMoment = now;
            }
            if (now - startedAt >= HORIZON_NANOS) {
                end();
                return Verdict.admittedAt(at);
            }
            while (!recent.isEmpty() && recent.peekFirst() <= now - HELD_NANOS) {
                recent.pollFirst();
            }
            if (recent.size() < perWindow) {
                admitted(now);
                return Verdict.admittedAt(at);
            }
            return new Verdict(at, comeBackIn(now));
        }
    }

    /**
     * A decision: admitted at {@code at} (epoch ms, the session's {@code openedAt}), or refused with the ms after
     * which it should come back ({@code retryAfter}, at least 1).
     */
    public record Verdict(long at, long retryAfter) {

        static Verdict admittedAt(long at) {
            return new Verdict(at, 0);
        }

        public boolean admitted() {
            return retryAfter == 0;
        }
    }

    private void admitted(long now) {
        recent.addLast(now);
        if (++takenAtLevel >= WINDOWS_PER_DOUBLING * perWindow) {
            perWindow *= 2;
            takenAtLevel = 0;
            if (perWindow > CAP) {
                end();
            }
        }
    }

    private void end() {
        over = true;
        recent.clear();
    }

    /**
     * The next free moment, counting the ones given to the sessions refused before: one every {@code 100 ms / N},
     * with N as it will be after the sessions taken and those coming back before (the doubling); the first no
     * earlier than when the oldest admission stops counting against N. Plus jitter within a quarter of the gap.
     */
    private long comeBackIn(long now) {
        if (nextMoment <= now) { // nobody is waiting: start from what the ramp is now
            nextMoment = Math.max(now, recent.peekFirst() + HELD_NANOS);
            bookedLevel = perWindow;
            bookedAtLevel = takenAtLevel;
        }
        long gap = gap(bookedLevel);
        long moment = nextMoment;
        nextMoment += gap;
        if (++bookedAtLevel >= WINDOWS_PER_DOUBLING * bookedLevel && bookedLevel <= CAP) {
            bookedLevel *= 2;
            bookedAtLevel = 0;
        }
        long nanos = moment - now + jitter.applyAsLong(gap / 4);
        return Math.max(1, (nanos + 999_999) / 1_000_000);
    }

    private static long gap(int level) {
        return (long) (SPACING * WINDOW_NANOS / Math.min(level, CAP));
    }
}
