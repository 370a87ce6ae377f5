package dev.pulse.topic.control;

import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.connection.entity.Connection;
import dev.pulse.topic.entity.Sequenced;

/** Queues what topics send to one session, counting the messages that went out. Never blocks. */
public final class Delivery {

    private final SessionRegistry registry;

    public Delivery(SessionRegistry registry) {
        this.registry = registry;
    }

    public void message(Connection connection, Sequenced message) {
        if (registry.send(connection, message.wire())) {
            registry.stats().messagesOut.increment();
        }
    }

    /** A replayed message: exempt from the unread limit until acknowledged, so a resume never trips it. */
    public void replayed(Connection connection, Sequenced message) {
        if (registry.sendReplay(connection, message.wire())) {
            registry.stats().messagesOut.increment();
        }
    }

    /** A gap: the subscriber learns which seqs it will never get, counted for /api/stats. */
    public void gap(Connection connection, String wire) {
        registry.stats().gapsSent.increment();
        registry.send(connection, wire);
    }

    public void send(Connection connection, String wire) {
        registry.send(connection, wire);
    }
}
