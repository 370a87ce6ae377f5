package dev.pulse.heartbeat.boundary;

import dev.pulse.connection.control.Clock;
import dev.pulse.connection.control.Refusals;
import dev.pulse.connection.control.Shutdown;
import dev.pulse.heartbeat.control.Heartbeat;
import dev.pulse.monitoring.control.Stats;
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
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Drives the heartbeat: a fixed one-second tick (annotation values cannot be configured); the configured
 * interval decides what each tick does. Starting with the application, it also makes the node's object graph
 * (and so the configuration check) happen at deployment; it closes every session on shutdown.
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

    @Inject
    Heartbeat heartbeat;

    @Inject
    Stats stats;

    @Inject
    Clock clock;

    @Inject
    Refusals refusals;

    @Inject
    Shutdown shutdown;

    @Resource
    ManagedExecutorService executor;

    private final AtomicBoolean ticking = new AtomicBoolean();

    @Schedule(second = "*", minute = "*", hour = "*", persistent = false)
    void tick() {
        if (!ticking.compareAndSet(false, true)) {
            stats.ticksSkipped.increment();
            return;
        }
        long firedAt = clock.nanos(); // the wait for a managed thread counts as the node's lag
        try {
            executor.execute(() -> runTick(firedAt));
        } catch (RejectedExecutionException e) {
            runTick(firedAt); // no managed thread to spare: tick here, late ticks are better than none
        }
    }

    private void runTick(long firedAt) {
        try {
            heartbeat.tick(firedAt);
        } catch (RuntimeException e) {
            // never let a failed tick escape: the next one simply runs again
            LOG.log(Level.ERROR, "Heartbeat tick failed", e);
        } finally {
            ticking.set(false);
        }
    }

    @PreDestroy
    void stop() {
        refusals.closeOn(Runnable::run); // the managed threads go with the application
        shutdown.shutdown();
    }
}
