package dev.pulse.heartbeat.control;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.connection.entity.Connection;
import dev.pulse.connection.entity.EvictionReason;

/**
 * One heartbeat tick over every session: ping those that are due, evict those that stopped answering.
 * Nothing here blocks (Pings and closes are asynchronous), and one broken session never stops the loop.
 */
public final class Heartbeat {

    private final SessionRegistry registry;

    public Heartbeat(SessionRegistry registry) {
        this.registry = registry;
    }

    public void tick() {
        long now = registry.clock().nanos(); // decisions and schedules use the tick's start, for every session
        PulseSettings s = registry.settings();
        long interval = s.heartbeatInterval() * 1_000_000;
        long timeout = s.heartbeatTimeout() * 1_000_000;
        long tick = PulseSettings.TICK_MILLIS * 1_000_000;
        for (Connection connection : registry.connections()) {
            try {
                switch (connection.liveness().decide(now, interval, timeout, tick)) {
                    case EVICT -> registry.drop(connection, EvictionReason.HEARTBEAT, null);
                    case PING -> {
                        connection.liveness().pinged(now, interval);
                        connection.ping(registry.clock().nanos()); // the real send time, for the round trip
                        registry.stats().pingsSent.increment();
                    }
                    case NOTHING -> {
                    }
                }
            } catch (Exception e) {
                registry.drop(connection, EvictionReason.ERROR, e);
            }
        }
        registry.sweep();
        registry.stats().ticked(registry.clock().millis());
    }
}
