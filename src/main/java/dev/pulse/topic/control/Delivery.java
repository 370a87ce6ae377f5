package dev.pulse.topic.control;

import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.connection.entity.Connection;
import dev.pulse.monitoring.control.Stats;
import dev.pulse.topic.entity.Sequenced;

/** Queues what topics send to one session, counting the messages that went out. Never blocks. */
public final class Delivery {

    private final SessionRegistry registry;
    private final Stats stats;

    public Delivery(SessionRegistry registry, Stats stats) {
        this.registry = registry;
        this.stats = stats;
    }

    public void message(Connection connection, Sequenced message) {
        if (registry.send(connection, message.wire())) {
            stats.messagesOut.increment();
        }
    }

    /** A replayed message: exempt from the unread limit until acknowledged, so a resume never trips it. */
    public void replayed(Connection connection, Sequenced message) {
        if (registry.sendReplay(connection, message.wire())) {
            stats.messagesOut.increment();
        }
    }

    /** A gap: the subscriber learns which seqs it will never get, counted for /api/stats. */
    public void gap(Connection connection, String wire) {
        stats.gapsSent.increment();
        registry.send(connection, wire);
    }

    public void send(Connection connection, String wire) {
        registry.send(connection, wire);
    }
}
