package dev.pulse.connection.entity;

/**
 * The inbound message budget of one session: a token bucket of {@code 2R} tokens, full at open, refilled at
 * R per second. It also tells when to answer a drop (at most once a second) and when drops amount to a flood
 * (more than R within 10 s). Called only from the session's own message thread, but synchronized because
 * containers do not promise which thread that is.
 */
public final class RateLimiter {

    /** What to do with one inbound message. */
    public enum Verdict { ACCEPT, DROP_SILENTLY, DROP_AND_TELL, FLOOD }

    private static final long SECOND = 1_000_000_000L;
    private static final long FLOOD_WINDOW = 10 * SECOND;

    private final int perSecond;
    private double tokens;
    private long refilledAt;
    private long toldAt = Long.MIN_VALUE;
    private long[] drops;
    private int nextDrop;
    private boolean flooded;

    public RateLimiter(int perSecond, long now) {
        this.perSecond = perSecond;
        this.tokens = 2.0 * perSecond;
        this.refilledAt = now;
    }

    public synchronized Verdict take(long now) {
        tokens = Math.min(2.0 * perSecond, tokens + (now - refilledAt) * perSecond / (double) SECOND);
        refilledAt = now;
        if (tokens >= 1) {
            tokens -= 1;
            return Verdict.ACCEPT;
        }
        if (drops == null) {
            drops = new long[perSecond]; // the times of the last R drops, allocated only for abusers
            java.util.Arrays.fill(drops, Long.MIN_VALUE);
        }
        long oldest = drops[nextDrop];
        drops[nextDrop] = now;
        nextDrop = (nextDrop + 1) % drops.length;
        if (flooded) { // closing already: messages received meanwhile (Undertow delivers them) are just dropped
            return Verdict.DROP_SILENTLY;
        }
        if (oldest != Long.MIN_VALUE && now - oldest <= FLOOD_WINDOW) {
            flooded = true;
            return Verdict.FLOOD;
        }
        if (toldAt == Long.MIN_VALUE || now - toldAt >= SECOND) {
            toldAt = now;
            return Verdict.DROP_AND_TELL;
        }
        return Verdict.DROP_SILENTLY;
    }
}
