package dev.pulse.connection.entity;

import java.util.function.LongUnaryOperator;

/**
 * When one session was last heard from and pinged, and what the heartbeat must do about it.
 * All times are monotonic nanoseconds; fields are written by the socket's threads and read by the timer.
 */
public final class Liveness {

    /** What the heartbeat does with a session on one tick. */
    public enum Action { NOTHING, PING, EVICT, POSTPONE }

    private volatile long lastSeen;
    /** The first Ping sent after the last frame received. */
    private volatile long lastPing;
    private volatile boolean pinged;
    private volatile long nextPing;
    /** A message of the peer's is being handled: its next frames wait unread, so its silence proves nothing. */
    private volatile boolean handling;
    /** An eviction was postponed because the node itself was behind since the Ping. */
    private volatile boolean postponed;

    /** @param firstPingDelay spreads the first Ping of sessions that opened together over several ticks */
    public Liveness(long openedAt, long firstPingDelay) {
        this.lastSeen = openedAt;
        this.nextPing = openedAt + firstPingDelay;
    }

    /** Any frame from the peer proves it alive; true when it came after its eviction was postponed for lag. */
    public boolean seen(long now) {
        lastSeen = now;
        if (postponed) {
            postponed = false;
            return true;
        }
        return false;
    }

    /** Records a Ping; the timeout runs from the first Ping the peer has not answered, not from the latest. */
    public void pinged(long now, long interval) {
        if (!pinged || lastSeen - lastPing >= 0) {
            lastPing = now;
        }
        nextPing = now + interval;
        pinged = true;
    }

    /** While a message is handled (a store call can take seconds) the peer is not counted silent. */
    public void handling(boolean busy) {
        handling = busy;
    }

    public long lastSeen() {
        return lastSeen;
    }

    /**
     * Decides one tick. A session is evicted when a Ping went unanswered for the timeout and nothing at all
     * arrived for the timeout; a Ping is sent on the tick nearest to when it is due. Together these keep
     * eviction within interval + timeout + one tick of the last frame, and never sooner than the timeout.
     * When the node itself was behind since the Ping, the deadline moves by that lag: a Pong the node has not read
     * yet is not the peer's silence.
     *
     * @param lagSince the node's own lag since a given Ping time (already capped), in the same unit as the times
     */
    public Action decide(long now, long interval, long timeout, long tick, LongUnaryOperator lagSince) {
        long seen = lastSeen;
        long ping = lastPing;
        boolean outstanding = pinged && seen - ping < 0;
        if (outstanding && now - ping >= timeout - tick / 2 && now - seen >= timeout && !handling) {
            long lag = lagSince.applyAsLong(ping);
            if (lag <= 0 || now - ping >= timeout + lag - tick / 2 && now - seen >= timeout + lag) {
                return Action.EVICT;
            }
            postponed = true;
            return Action.POSTPONE;
        }
        if (now - nextPing >= -tick / 2) {
            return Action.PING;
        }
        return Action.NOTHING;
    }
}
