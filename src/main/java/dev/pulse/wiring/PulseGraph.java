package dev.pulse.wiring;

import dev.pulse.config.PulseSettings;
import dev.pulse.config.StoreSettings;
import dev.pulse.connection.boundary.PulseEndpoint;
import dev.pulse.connection.control.AddressLimits;
import dev.pulse.connection.control.Admission;
import dev.pulse.connection.control.Arrivals;
import dev.pulse.connection.control.Clock;
import dev.pulse.connection.control.ErrorLog;
import dev.pulse.connection.control.InboundDispatcher;
import dev.pulse.connection.control.Ramp;
import dev.pulse.connection.control.Refusals;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.connection.control.Shutdown;
import dev.pulse.heartbeat.control.Heartbeat;
import dev.pulse.heartbeat.control.Pacer;
import dev.pulse.identity.control.ApiKeys;
import dev.pulse.identity.control.Tokens;
import dev.pulse.monitoring.boundary.HealthStatus;
import dev.pulse.monitoring.boundary.Snapshots;
import dev.pulse.monitoring.control.Lag;
import dev.pulse.monitoring.control.LagProbe;
import dev.pulse.monitoring.control.Stats;
import dev.pulse.monitoring.control.StoreStats;
import dev.pulse.presence.control.PresenceListener;
import dev.pulse.store.InMemoryStore;
import dev.pulse.store.Store;
import dev.pulse.store.redis.RedisStore;
import dev.pulse.topic.boundary.TopicMessages;
import dev.pulse.topic.control.Delivery;
import dev.pulse.topic.control.PresenceAnnouncer;
import dev.pulse.topic.control.Subscribers;
import dev.pulse.topic.control.Topics;
import java.security.SecureRandom;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The composition root: every part of a Pulse node, built once, in one place, from the settings, a clock and
 * the threads it may use. The container's startup bean builds it with managed threads; tests build their own.
 */
public final class PulseGraph implements AutoCloseable {

    /** How often grace periods end and idle topics are forgotten: the precision of a presence leave. */
    static final long HOUSEKEEPING_MILLIS = 250;

    /**
     * The threads a node uses besides the container's own.
     *
     * @param fanOut helpers for delivering to large topics (null: the publishing thread alone)
     * @param cleanup where gone sessions leave their topics
     * @param scheduler housekeeping, store probes and retries
     * @param refusalCloser where refused handshakes are closed, a little after the open callback
     */
    public record Threads(Executor fanOut, Executor cleanup, ScheduledExecutorService scheduler,
            Executor refusalCloser) {
    }

    private final PulseSettings settings;
    private final StoreSettings storeSettings;
    private final Clock clock;
    private final Stats stats = new Stats();
    private final StoreStats storeStats = new StoreStats();
    private final Lag lag = new Lag();
    private final LagProbe lagProbe;
    private final Admission admission;
    private final ErrorLog errors;
    private final SessionRegistry registry;
    private final AddressLimits addresses = new AddressLimits();
    private final Refusals refusals;
    private final Shutdown shutdown;
    private final Store store;
    private final Topics topics;
    private final PulseEndpoint endpoint;
    private final Heartbeat heartbeat;
    private final HealthStatus health;
    private final Snapshots snapshots;
    private final ScheduledFuture<?> housekeeping;
    private final Tokens tokens;
    private final ApiKeys apiKeys;

    public PulseGraph(PulseSettings settings, StoreSettings storeSettings, Clock clock, Threads threads,
            Pacer pacer) {
        this.settings = settings;
        this.storeSettings = storeSettings;
        this.clock = clock;
        this.errors = new ErrorLog(stats);
        this.tokens = new Tokens(settings.guard().auth(), new SecureRandom());
        this.apiKeys = new ApiKeys(settings.guard().api());
        this.registry = new SessionRegistry(settings, clock, stats, addresses);
        this.admission = new Admission(settings.overload(), lag, clock, stats, settings.overload().ramp()
                ? new Ramp(settings.overload().rampStart(), clock) : Ramp.off());
        this.refusals = new Refusals(clock);
        refusals.closeOn(threads.refusalCloser());
        this.shutdown = new Shutdown(registry, settings);
        Subscribers subscribers = new Subscribers();
        Delivery delivery = new Delivery(registry, stats);
        PresenceListener announcer = new PresenceAnnouncer(subscribers, delivery);
        this.store = storeSettings.shared()
                ? new RedisStore(settings, storeSettings, announcer, clock, storeStats, threads.cleanup())
                : new InMemoryStore(settings, announcer);
        this.topics = new Topics(subscribers, store.topics(), store.presence(), delivery, clock, threads.fanOut(),
                threads.cleanup(), settings.topicIdle(), storeStats);
        registry.listen(topics);
        InboundDispatcher dispatcher = new InboundDispatcher(registry, settings, clock, stats, errors,
                new TopicMessages(registry, settings, topics).handlers());
        this.endpoint = new PulseEndpoint(registry, new Arrivals(clock, stats, lag), settings, clock, stats, refusals, shutdown, admission, errors,
                dispatcher, topics::attach);
        this.heartbeat = new Heartbeat(registry, settings, clock, stats, lag, refusals, pacer);
        this.health = new HealthStatus(stats, clock, shutdown, store::available, admission);
        this.snapshots = new Snapshots(registry, settings, stats, lag, clock, storeStats, storeSettings.nodeId(), health);
        store.start(topics);
        this.lagProbe = new LagProbe(lag, clock::nanos);
        lagProbe.start();
        this.housekeeping = threads.scheduler().scheduleWithFixedDelay(this::housekeeping, HOUSEKEEPING_MILLIS,
                HOUSEKEEPING_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void housekeeping() {
        try {
            topics.housekeeping();
        } catch (RuntimeException e) {
            System.getLogger(PulseGraph.class.getName()).log(System.Logger.Level.DEBUG,
                    () -> "Housekeeping postponed: " + e);
        }
    }

    public PulseSettings settings() {
        return settings;
    }

    public StoreSettings storeSettings() {
        return storeSettings;
    }

    public Clock clock() {
        return clock;
    }

    public Stats stats() {
        return stats;
    }

    public Lag lag() {
        return lag;
    }

    public Admission admission() {
        return admission;
    }

    public StoreStats storeStats() {
        return storeStats;
    }

    public ErrorLog errors() {
        return errors;
    }

    public SessionRegistry registry() {
        return registry;
    }

    public AddressLimits addresses() {
        return addresses;
    }

    public Refusals refusals() {
        return refusals;
    }

    public Shutdown shutdown() {
        return shutdown;
    }

    public Topics topics() {
        return topics;
    }

    public PulseEndpoint endpoint() {
        return endpoint;
    }

    public Heartbeat heartbeat() {
        return heartbeat;
    }

    public Tokens tokens() {
        return tokens;
    }

    public ApiKeys apiKeys() {
        return apiKeys;
    }

    public Snapshots snapshots() {
        return snapshots;
    }

    public HealthStatus health() {
        return health;
    }

    public Store store() {
        return store;
    }

    /** Stops the node's own schedules and the store's connections; sessions are closed by the caller first. */
    @Override
    public void close() {
        housekeeping.cancel(false);
        lagProbe.close();
        store.close();
    }
}
