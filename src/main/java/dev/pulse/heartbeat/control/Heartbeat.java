package dev.pulse.heartbeat.control;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.Clock;
import dev.pulse.connection.control.Refusals;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.connection.entity.Connection;
import dev.pulse.connection.entity.EvictionReason;
import dev.pulse.monitoring.control.Lag;
import dev.pulse.monitoring.control.Stats;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongUnaryOperator;

/**
 * One heartbeat tick over every session: evict those that stopped answering, then ping those that are due.
 * Nothing here blocks on a peer (Pings and closes are asynchronous), and one broken session never stops the
 * loop. Evictions come first and at once, so that spreading the Pings never delays noticing a dead peer.
 * A tick that starts late, or waits for a thread, is the node's own lag; so is every other lag {@link Lag} records:
 * a peer's deadline moves by the worst of it since its Ping (up to {@code pulse.heartbeat.lag-allowance}).
 */
public final class Heartbeat {

    private final SessionRegistry registry;
    private final PulseSettings settings;
    private final Clock clock;
    private final Stats stats;
    private final Lag lag;
    private final Refusals refusals;
    private final Pacer pacer;
    private long lastStart;

    public Heartbeat(SessionRegistry registry, PulseSettings settings, Clock clock, Stats stats, Lag lag,
            Refusals refusals, Pacer pacer) {
        this.registry = registry;
        this.settings = settings;
        this.clock = clock;
        this.stats = stats;
        this.lag = lag;
        this.refusals = refusals;
        this.pacer = pacer;
    }

    /** A tick whose timer fired just now. */
    public void tick() {
        tick(clock.nanos());
    }

    /** @param firedAt when the timer fired, before the tick was handed to a thread */
    public void tick(long firedAt) {
        long now = clock.nanos(); // decisions and schedules use the tick's start, for every session
        PulseSettings s = settings;
        long interval = s.heartbeatInterval() * 1_000_000;
        long timeout = s.heartbeatTimeout() * 1_000_000;
        long tick = PulseSettings.TICK_MILLIS * 1_000_000;
        lag.late(Lag.Source.TICK, now, now - firedAt);
        if (lastStart != 0) {
            lag.late(Lag.Source.TICK, now, now - lastStart - tick);
        }
        lastStart = now;
        long allowance = s.lagAllowance() * 1_000_000;
        LongUnaryOperator lagSince = ping -> Math.min(allowance, lag.since(ping, now));
        List<Connection> due = new ArrayList<>();
        for (Connection connection : registry.connections()) {
            try {
                switch (connection.liveness().decide(now, interval, timeout, tick, lagSince)) {
                    case EVICT -> registry.drop(connection, EvictionReason.HEARTBEAT, null);
                    case POSTPONE -> stats.postponed.increment();
                    case PING -> due.add(connection);
                    case NOTHING -> {
                    }
                }
            } catch (RuntimeException e) {
                registry.drop(connection, EvictionReason.ERROR, e);
            }
        }
        registry.sweep();
        refusals.sweep();
        for (int i = 0; i < due.size(); i++) {
            pacer.before(i, due.size(), now);
            Connection connection = due.get(i);
            try {
                connection.liveness().pinged(now, interval);
                connection.ping(clock.nanos()); // the real send time, for the round trip
                stats.pingsSent.increment();
            } catch (Exception e) {
                registry.failed(connection, e);
            }
        }
        stats.ticked(clock.millis(), (clock.nanos() - now) / 1_000_000);
    }
}
