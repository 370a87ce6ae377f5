package dev.pulse.store.redis;

import io.lettuce.core.Range;
import io.lettuce.core.ScoredValue;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/**
 * Each node renews its entry in {@code pulse:nodes} every beat; a node silent for {@code pulse.node.timeout} is
 * dead, and the first node to remove its entry (an atomic ZREM) cleans up after it: its sessions leave presence,
 * their users as {@code evicted}, no earlier than the grace period after the death.
 */
final class NodeLiveness {

    private static final Logger LOG = System.getLogger(NodeLiveness.class.getName());
    static final long BEAT_MILLIS = 500; // with the detecting node's own beat, bounds how late a death is noticed

    private final RedisLink link;
    private final RedisPresence presence;
    private final String node;
    private final long timeout;
    private final long grace;
    private long lastBeat;

    NodeLiveness(RedisLink link, RedisPresence presence, String node, long timeout, long grace) {
        this.link = link;
        this.presence = presence;
        this.node = node;
        this.timeout = timeout;
        this.grace = grace;
    }

    /** Renews this node's entry; true if the entry had gone (others took this node for dead meanwhile). */
    boolean beat(long now) {
        if (now - lastBeat < Math.min(BEAT_MILLIS, timeout / 4)) {
            return false;
        }
        boolean first = lastBeat == 0;
        lastBeat = now;
        boolean added = link.call(r -> r.zadd(Keys.NODES, (double) now, node)) == 1;
        return added && !first;
    }

    /**
     * Claims the nodes silent for longer than the timeout (an atomic ZREM: one node wins each) and returns the
     * cleanups to run for them; the caller runs those off the beat, which a dead node's many topics would delay.
     */
    List<Runnable> claimDead(long now) {
        List<ScoredValue<String>> dead = link.call(r -> r.zrangebyscoreWithScores(Keys.NODES,
                Range.create(Double.NEGATIVE_INFINITY, (double) (now - timeout))));
        List<Runnable> cleanups = new ArrayList<>();
        for (ScoredValue<String> d : dead) {
            if (!d.getValue().equals(node) && link.call(r -> r.zrem(Keys.NODES, d.getValue())) == 1) {
                long lastSeen = (long) d.getScore();
                long leaveAt = Math.max(now, lastSeen + Math.min(BEAT_MILLIS, timeout / 4) + grace);
                LOG.log(Level.INFO, () -> "Node " + d.getValue() + " silent since " + (now - lastSeen)
                        + " ms: its sessions leave presence");
                cleanups.add(() -> presence.nodeGone(d.getValue(), leaveAt));
            }
        }
        return cleanups;
    }

    /** Whatever the store lists of this node's sessions goes; its users leave after the grace period unless relisted. */
    void forgetSessions(long now) {
        presence.nodeGone(node, now + grace);
    }

    /** A clean stop: this node's entry goes; sessions that did not leave yet get the grace period. */
    void leave(long now) {
        link.call(r -> r.zrem(Keys.NODES, node));
        presence.nodeGone(node, now + grace);
    }
}
