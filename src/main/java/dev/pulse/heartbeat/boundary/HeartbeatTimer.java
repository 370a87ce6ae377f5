package dev.pulse.heartbeat.boundary;

import dev.pulse.config.PulseConfig;
import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.heartbeat.control.Heartbeat;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.Schedule;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.inject.Inject;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Drives the heartbeat: a fixed one-second tick (annotation values cannot be configured); the configured
 * interval decides what each tick does. Applies the validated settings at startup and closes every session
 * on shutdown.
 */
@Singleton
@Startup
@ConcurrencyManagement(ConcurrencyManagementType.BEAN) // a tick that overlaps a slow one is skipped, not queued
public class HeartbeatTimer {

    private static final Logger LOG = System.getLogger(HeartbeatTimer.class.getName());

    @Inject
    PulseConfig config;

    private final SessionRegistry registry = SessionRegistry.shared();
    private final AtomicBoolean ticking = new AtomicBoolean();
    private Heartbeat heartbeat;

    @PostConstruct
    void start() {
        PulseSettings settings = config.settings();
        registry.configure(settings);
        heartbeat = new Heartbeat(registry);
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
            heartbeat.tick();
        } catch (RuntimeException e) {
            // never let the container retry a failed timeout: the next tick simply runs again
            LOG.log(Level.ERROR, "Heartbeat tick failed", e);
        } finally {
            ticking.set(false);
        }
    }

    @PreDestroy
    void stop() {
        registry.shutdown();
    }
}
