package dev.pulse.topic.control;

import dev.pulse.protocol.StoreUnavailableException;
import dev.pulse.topic.entity.Replay;
import dev.pulse.topic.entity.Sequenced;

/**
 * Sequencing and retained messages per topic: in this node's memory, or in Redis shared by several nodes.
 * Returns data, never wire JSON; every method may throw {@link StoreUnavailableException}.
 */
public interface TopicStore {

    /** Gives the message the topic's next seq and retains it. {@code data} is JSON text. */
    Sequenced append(String topic, String data, long now);

    /**
     * The topic's epoch and last seq (created if the topic has none yet) and, when {@code since} is given, the
     * gap and the retained messages after it, by the contract's replay rules.
     */
    Replay since(String topic, Long since, String epoch, long now);

    /** Whether messages appended here reach this node's subscribers only through {@code Topics#publish}. */
    boolean local();

    /**
     * A node delivered seqs up to {@code lastSeen} in {@code epoch} that the store no longer has (a failover lost
     * its tail): the topic moves to a new epoch, so that its next seqs are never taken for ones seen before.
     */
    default void lostTail(String topic, String epoch, long lastSeen) {
    }

    /** Forgets topics that retain nothing and were idle for {@code idleMillis}, unless {@code inUse}. */
    default void sweep(long now, long idleMillis, java.util.function.Predicate<String> inUse) {
    }
}
