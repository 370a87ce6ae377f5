package dev.pulse.wiring;

import dev.pulse.config.PulseConfig;
import dev.pulse.config.PulseSettings;
import dev.pulse.config.StoreSettings;
import dev.pulse.connection.boundary.PulseEndpoint;
import dev.pulse.connection.control.AddressLimits;
import dev.pulse.connection.control.Clock;
import dev.pulse.connection.control.ErrorLog;
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
import dev.pulse.monitoring.control.Stats;
import dev.pulse.monitoring.control.StoreStats;
import dev.pulse.topic.control.Topics;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Builds the node's {@link PulseGraph} once, when the application starts, with the container's managed threads,
 * and hands its parts to whoever injects them (endpoint registration, timer, resources, filters). A
 * configuration that makes no sense fails the deployment here, naming the key.
 */
@ApplicationScoped
public class Wiring {

    private static final Logger LOG = System.getLogger(Wiring.class.getName());
    /** Long enough for the container to finish the upgrade whose open callback refused the session. */
    private static final long REFUSAL_CLOSE_DELAY_MILLIS = 100;
    /** Most of a heartbeat tick, leaving room for a tick that starts late. */
    private static final long PING_SPREAD_MILLIS = PulseSettings.TICK_MILLIS * 7 / 10;

    @Inject
    PulseConfig config;

    @Resource
    ManagedExecutorService executor;

    @Resource
    ManagedScheduledExecutorService scheduler;

    private PulseGraph graph;

    @PostConstruct
    void build() {
        PulseSettings settings = config.settings();
        StoreSettings store = config.store();
        graph = new PulseGraph(settings, store, Clock.SYSTEM, new PulseGraph.Threads(executor, executor, scheduler,
                CompletableFuture.delayedExecutor(REFUSAL_CLOSE_DELAY_MILLIS, TimeUnit.MILLISECONDS, executor)),
                Pacer.parking(Clock.SYSTEM, PING_SPREAD_MILLIS));
        LOG.log(Level.INFO, () -> "Pulse node " + store.nodeId() + ": store " + store.kind() + ", heartbeat interval "
                + settings.heartbeatInterval() + " ms, timeout " + settings.heartbeatTimeout() + " ms");
        SecurityWarnings.log(settings, LOG);
        if (settings.identityQueryParam()) {
            LOG.log(Level.WARNING, "pulse.identity.query-param=true: anyone can claim any user name with ?user=; "
                    + "for development only");
        }
    }

    @PreDestroy
    void close() {
        graph.refusals().closeOn(Runnable::run); // the managed threads go with the application
        graph.shutdown().shutdown();
        graph.close();
    }

    @Produces
    PulseSettings settings() {
        return graph.settings();
    }

    @Produces
    StoreSettings storeSettings() {
        return graph.storeSettings();
    }

    @Produces
    Clock clock() {
        return graph.clock();
    }

    @Produces
    Lag lag() {
        return graph.lag();
    }

    @Produces
    SessionRegistry registry() {
        return graph.registry();
    }

    @Produces
    AddressLimits addresses() {
        return graph.addresses();
    }

    @Produces
    Refusals refusals() {
        return graph.refusals();
    }

    @Produces
    Shutdown shutdown() {
        return graph.shutdown();
    }

    @Produces
    ErrorLog errors() {
        return graph.errors();
    }

    @Produces
    Stats stats() {
        return graph.stats();
    }

    @Produces
    StoreStats storeStats() {
        return graph.storeStats();
    }

    @Produces
    Topics topics() {
        return graph.topics();
    }

    @Produces
    PulseEndpoint endpoint() {
        return graph.endpoint();
    }

    @Produces
    Heartbeat heartbeat() {
        return graph.heartbeat();
    }

    @Produces
    Tokens tokens() {
        return graph.tokens();
    }

    @Produces
    ApiKeys apiKeys() {
        return graph.apiKeys();
    }

    @Produces
    HealthStatus health() {
        return graph.health();
    }

    @Produces
    Snapshots snapshots() {
        return graph.snapshots();
    }
}
