package dev.pulse.testing;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.AddressLimits;
import dev.pulse.connection.control.Arrivals;
import dev.pulse.connection.control.ErrorLog;
import dev.pulse.connection.control.InboundDispatcher;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.monitoring.control.Lag;
import dev.pulse.monitoring.control.Stats;
import dev.pulse.monitoring.control.StoreStats;
import dev.pulse.store.InMemoryStore;
import dev.pulse.topic.boundary.TopicMessages;
import dev.pulse.topic.control.Delivery;
import dev.pulse.topic.control.InMemoryTopicStore;
import dev.pulse.topic.control.PresenceAnnouncer;
import dev.pulse.topic.control.Subscribers;
import dev.pulse.topic.control.Topics;
import java.util.concurrent.Executor;

/**
 * The parts of a one-node Pulse that topics need, wired as {@code PulseGraph} wires them but without threads of
 * its own: a gone session leaves its topics at once, and housekeeping runs when the test calls
 * {@code topics.housekeeping()} (after moving the fake clock).
 */
public final class LocalNode {

    public final PulseSettings settings;
    public final FakeClock clock;
    public final Stats stats = new Stats();
    public final StoreStats storeStats = new StoreStats();
    public final ErrorLog errors = new ErrorLog(stats);
    public final Lag lag = new Lag();
    public final SessionRegistry registry;
    public final Arrivals arrivals;
    public final Subscribers subscribers = new Subscribers();
    public final InMemoryStore store;
    public final Topics topics;

    /** @param fanOut helpers for large topics, or null (the publishing thread delivers alone) */
    public LocalNode(PulseSettings settings, FakeClock clock, Executor fanOut) {
        this.settings = settings;
        this.clock = clock;
        this.registry = new SessionRegistry(settings, clock, stats, new AddressLimits());
        this.arrivals = new Arrivals(clock, stats, lag);
        Delivery delivery = new Delivery(registry, stats);
        this.store = new InMemoryStore(settings, new PresenceAnnouncer(subscribers, delivery));
        this.topics = new Topics(subscribers, store.topics(), store.presence(), delivery, clock, fanOut,
                Runnable::run, settings.topicIdle(), storeStats);
        registry.listen(topics);
    }

    public LocalNode(PulseSettings settings) {
        this(settings, new FakeClock(), null);
    }

    /** The dispatcher the endpoint hands every inbound text frame to. */
    public InboundDispatcher dispatcher() {
        return new InboundDispatcher(registry, settings, clock, stats, errors, new TopicMessages(registry, settings, topics).handlers());
    }

    /** The in-memory topic store, to see how many topics it keeps. */
    public InMemoryTopicStore topicStore() {
        return (InMemoryTopicStore) store.topics();
    }
}
