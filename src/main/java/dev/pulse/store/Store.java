package dev.pulse.store;

import dev.pulse.presence.control.Presence;
import dev.pulse.topic.control.TopicStore;
import dev.pulse.topic.control.Topics;

/** Topics and presence kept together in one place: this node's memory, or a store several nodes share. */
public interface Store extends AutoCloseable {

    TopicStore topics();

    Presence presence();

    /** Starts hearing what every node publishes (this one's included) and delivering it through {@code topics}. */
    void start(Topics topics);

    /** Whether what needs the store can be answered now; readiness is DOWN otherwise. */
    boolean available();

    @Override
    void close();
}
