package dev.pulse.topic.control;

import dev.pulse.topic.entity.Replay;
import dev.pulse.topic.entity.TopicMessage;
import jakarta.json.JsonValue;

/**
 * Sequencing and retained messages per topic. In memory by default; a shared store (Redis) implements the
 * same interface for several nodes. Callers serialize calls per topic.
 */
public interface History {

    /** Gives the message the topic's next seq, stores it, and returns it with its wire form. */
    TopicMessage append(String topic, JsonValue data, long now);

    /**
     * The replay for a subscriber resuming after {@code since} in {@code epoch}; {@code since} null means no
     * resume (only the epoch and last seq are wanted).
     */
    Replay since(String topic, Long since, String epoch, long now);

    /** Whether the topic retains nothing any more (nothing published, or everything expired). */
    boolean empty(String topic, long now);

    /** Forgets a topic; its next message starts a new epoch at seq 1. */
    void drop(String topic);

    /** Number of topics with state. */
    int size();
}
