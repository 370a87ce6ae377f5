package dev.pulse.connection.control;

import dev.pulse.connection.entity.Connection;
import dev.pulse.monitoring.control.Lag;
import dev.pulse.monitoring.control.Stats;
import java.nio.ByteBuffer;

/**
 * What a frame from a peer tells: any frame proves it alive; a Pong to one of our Pings also acknowledges the output
 * the Ping carried, gives the round-trip time, and how long it waited in this node beyond the peer's fastest (lag).
 */
public final class Arrivals {

    private static final long HOUR_NANOS = 3_600_000_000_000L;

    private final Clock clock;
    private final Stats stats;
    private final Lag lag;

    public Arrivals(Clock clock, Stats stats, Lag lag) {
        this.clock = clock;
        this.stats = stats;
        this.lag = lag;
    }

    /** A frame arrived. */
    public void seen(Connection connection) {
        if (connection.seen(clock.nanos(), clock.millis())) {
            stats.spared.increment();
        }
    }

    /** A Pong arrived: alive, its reads acknowledged, and its round-trip time if the payload is one of our Pings. */
    public void pong(Connection connection, ByteBuffer payload) {
        long now = clock.nanos();
        if (connection.seen(now, clock.millis())) {
            stats.spared.increment();
        }
        stats.pongsReceived.increment();
        long read = Connection.pingOffered(payload);
        if (read >= 0) {
            connection.acknowledge(read);
        }
        long sentAt = Connection.pingTime(payload);
        if (sentAt >= 0 && now - sentAt >= 0 && now - sentAt < HOUR_NANOS) {
            long waited = connection.rtt(now - sentAt);
            stats.rtt.record(now - sentAt, clock.millis());
            lag.pong(now, waited);
        }
    }
}
