package dev.pulse.heartbeat.boundary;

import dev.pulse.config.PulseConfig;
import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.heartbeat.control.Heartbeat;
import dev.pulse.heartbeat.control.Pacer;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.Schedule;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.inject.Inject;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Drives the heartbeat: a fixed one-second tick (annotation values cannot be configured); the configured
 * interval decides what each tick does. Applies the validated settings at startup and closes every session
 * on shutdown.
 * <p>
 * The timeout callback only hands the tick to a managed thread and returns: Payara schedules the next
 * expiration about a second after the callback returns, so a tick that ran 0.5 s (10,000 Pings) made the
 * heartbeat run every 1.5 s. Handed off, the tick starts on every second however long the last one ran.
 */
@Singleton
@Startup
@ConcurrencyManagement(ConcurrencyManagementType.BEAN) // a tick that overlaps a slow one is skipped, not queued
public class HeartbeatTimer {

    private static final Logger LOG = System.getLogger(HeartbeatTimer.class.getName());
    /** Long enough for the container to finish the upgrade whose open callback refused the session. */
    private static final long REFUSAL_CLOSE_DELAY_MILLIS = 100;
    /** Most of a tick, leaving room for a tick that starts late. */
    private static final long PING_SPREAD_MILLIS = PulseSettings.TICK_MILLIS * 7 / 10;

    @Inject
    PulseConfig config;

    @Resource
    ManagedExecutorService executor;

    private final SessionRegistry registry = SessionRegistry.shared();
    private final AtomicBoolean ticking = new AtomicBoolean();
    private Heartbeat heartbeat;

    @PostConstruct
    void start() {
        PulseSettings settings = config.settings();
        registry.configure(settings);
        registry.closeRefusalsOn(CompletableFuture.delayedExecutor(REFUSAL_CLOSE_DELAY_MILLIS, TimeUnit.MILLISECONDS,
                executor));
        heartbeat = new Heartbeat(registry, Pacer.parking(registry.clock(), PING_SPREAD_MILLIS));
        LOG.log(Level.INFO, () -> "Pulse heartbeat: interval " + settings.heartbeatInterval() + " ms, timeout "
                + settings.heartbeatTimeout() + " ms, tick " + PulseSettings.TICK_MILLIS + " ms");
        if (settings.identityQueryParam()) {
            LOG.log(Level.WARNING, "pulse.identity.query-param=true: anyone can claim any user name with ?user=; "
                    + "for development only");
        }
    }

    @Schedule(second = "*", minute = "*", hour = "*", persistent = false)
    void tick() {
        if (!ticking.compareAndSet(false, true)) {
            registry.stats().ticksSkipped.increment();
            return;
        }
        try {
            executor.execute(this::runTick);
        } catch (RejectedExecutionException e) {
            runTick(); // no managed thread to spare: tick here, late ticks are better than none
        }
    }

    private void runTick() {
        try {
            heartbeat.tick();
        } catch (RuntimeException e) {
            // never let a failed tick escape: the next one simply runs again
            LOG.log(Level.ERROR, "Heartbeat tick failed", e);
        } finally {
            ticking.set(false);
        }
    }

    @PreDestroy
    void stop() {
        registry.closeRefusalsOn(Runnable::run); // the managed threads go with the application
        registry.shutdown();
    }
}
