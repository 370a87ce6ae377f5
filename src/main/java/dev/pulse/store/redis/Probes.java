package dev.pulse.store.redis;

/**
 * Whether this node's subscription still delivers: a probe published to itself that is not back within the
 * timeout means deaf. Counted from when the oldest unanswered probe was sent, not from the last answer, so a
 * round of upkeep that ran late (a busy machine) is not mistaken for deafness. Used by one thread; answers
 * arrive on Lettuce's.
 */
final class Probes {

    private static final int KEPT = 64; // send times remembered; far more than fit in the timeout

    private final long timeout;
    private final long[] sentAt = new long[KEPT];
    private long sent;
    private volatile long answered;
    private volatile long listeningSince;

    Probes(long timeout) {
        this.timeout = timeout;
    }

    /** The number of the next probe; call {@link #sent(long, long)} once it is published. */
    long next() {
        return sent + 1;
    }

    void sent(long n, long now) {
        sentAt[(int) (n % KEPT)] = now;
        sent = n;
    }

    void answered(long n) {
        if (n > answered) {
            answered = n;
        }
    }

    /** A (re)subscription: probes sent before it may be lost without meaning anything. */
    void listening(long now) {
        listeningSince = now;
    }

    boolean deaf(long now) {
        long oldest = answered + 1;
        if (oldest > sent) {
            return false;
        }
        long since = sentAt[(int) (Math.max(oldest, sent - KEPT + 1) % KEPT)]; // beyond those kept: the oldest kept
        return now - Math.max(since, listeningSince) > timeout;
    }
}
