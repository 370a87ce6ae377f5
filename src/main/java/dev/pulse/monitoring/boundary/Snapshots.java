package dev.pulse.monitoring.boundary;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.Clock;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.connection.entity.Connection;
import dev.pulse.connection.entity.EvictionReason;
import dev.pulse.monitoring.control.Lag;
import dev.pulse.monitoring.control.RttWindow;
import dev.pulse.monitoring.control.Stats;
import dev.pulse.monitoring.control.StoreStats;
import dev.pulse.protocol.Wire;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The JSON shapes of /api/connections and /api/stats, read from the registry. */
public final class Snapshots {

    private final SessionRegistry registry;
    private final PulseSettings settings;
    private final Stats stats;
    private final Lag lag;
    private final Clock clock;
    private final StoreStats store;
    private final String node;
    private final HealthStatus health;

    public Snapshots(SessionRegistry registry, PulseSettings settings, Stats stats, Lag lag, Clock clock,
            StoreStats store, String node, HealthStatus health) {
        this.registry = registry;
        this.settings = settings;
        this.stats = stats;
        this.lag = lag;
        this.clock = clock;
        this.store = store;
        this.node = node;
        this.health = health;
    }

    public JsonArray connections() {
        List<Connection> sorted = registry.connections().stream()
                .sorted(Comparator.comparingLong(Connection::openedAt))
                .collect(Collectors.toList());
        JsonArrayBuilder array = Wire.builders().createArrayBuilder();
        for (Connection c : sorted) {
            JsonArrayBuilder topics = Wire.builders().createArrayBuilder();
            c.topics().stream().sorted().forEach(topics::add);
            array.add(Wire.object()
                    .add("session", c.id())
                    .add("user", Wire.nullable(c.user()))
                    .add("remote", Wire.nullable(c.remote()))
                    .add("openedAt", c.openedAt())
                    .add("lastSeenAt", c.lastSeenAt())
                    .add("rttMs", Wire.nullable(c.rttMillis()))
                    .add("topics", topics)
                    .add("queue", c.outbox().depth())
                    .add("unacknowledged", c.unacknowledged()));
        }
        return array.build();
    }

    /** How far behind the node is (last seconds, by source, worst since start) and what the heartbeat did about it. */
    private JsonObjectBuilder lag() {
        long now = clock.nanos();
        JsonObjectBuilder bySource = Wire.object();
        lag.recentBySource(now).forEach((source, ms) -> bySource.add(source.key(), ms));
        return Wire.object()
                .add("ms", lag.recent(now) / 1e6)
                .add("maxMs", lag.max() / 1e6)
                .add("sources", bySource)
                .add("gcPauseMs", lag.gcMillis.sum())
                .add("allowanceMs", settings.lagAllowance())
                .add("postponed", stats.postponed.sum())
                .add("spared", stats.spared.sum());
    }

    public JsonObject stats() {
        RttWindow.Percentiles rtt = stats.rtt.percentiles(clock.millis(), settings.rttWindow());
        JsonObjectBuilder evictions = Wire.object();
        Map<String, Long> evicted = stats.evictions();
        for (EvictionReason reason : EvictionReason.values()) {
            evictions.add(reason.key(), evicted.getOrDefault(reason.key(), 0L));
        }
        JsonObjectBuilder errors = Wire.object();
        stats.errors().forEach(errors::add);
        JsonObjectBuilder rejected = Wire.object();
        stats.rejections().forEach(rejected::add);
        RttWindow.Percentiles storeLag = store.lag.percentiles(clock.millis(), settings.rttWindow());
        return Wire.object()
                .add("node", node)
                .add("connections", registry.size())
                .add("opened", stats.opened.sum())
                .add("pingsSent", stats.pingsSent.sum())
                .add("probesSent", stats.probesSent.sum())
                .add("pongsReceived", stats.pongsReceived.sum())
                .add("evictions", evictions)
                .add("disconnects", Wire.object().add(SessionRegistry.ABRUPT,
                        stats.disconnects().getOrDefault(SessionRegistry.ABRUPT, 0L)))
                .add("lingering", registry.lingering())
                .add("rttMs", Wire.object()
                        .add("p50", Wire.nullable(rtt.p50()))
                        .add("p99", Wire.nullable(rtt.p99()))
                        .add("max", Wire.nullable(rtt.max()))
                        .add("samples", rtt.samples())
                        .add("windowMs", settings.rttWindow()))
                .add("messagesIn", stats.messagesIn.sum())
                .add("messagesOut", stats.messagesOut.sum())
                .add("gapsSent", stats.gapsSent.sum())
                .add("errors", errors)
                .add("auth", Wire.object().add("rejected", rejected))
                .add("heartbeat", Wire.object()
                        .add("interval", settings.heartbeatInterval())
                        .add("timeout", settings.heartbeatTimeout())
                        .add("ticks", stats.ticks.sum())
                        .add("ticksSkipped", stats.ticksSkipped.sum())
                        .add("lastTickAt", stats.lastTickAt())
                        .add("lastTickMillis", stats.lastTickMillis())
                        .add("maxTickMillis", stats.maxTickMillis()))
                .add("lag", lag())
                .add("admission", Wire.object()
                        .add("maxLagMs", settings.overload().maxLag())
                        .add("shedding", health.shedding())
                        .add("refused", stats.refused.sum())
                        .add("ramp", Wire.object()
                                .add("active", health.ramp().active())
                                .add("perWindow", health.ramp().perWindow())
                                .add("refused", stats.rampRefused.sum())))
                .add("store", Wire.object()
                        .add("available", health.storeAvailable())
                        .add("errors", store.errors.sum())
                        .add("catchUpReads", store.catchUpReads.sum())
                        .add("caughtUp", store.caughtUp.sum())
                        .add("probeFailures", store.probeFailures.sum())
                        .add("resubscribed", store.resubscribed.sum())
                        .add("lagMs", Wire.object()
                                .add("p50", Wire.nullable(storeLag.p50()))
                                .add("p99", Wire.nullable(storeLag.p99()))
                                .add("max", Wire.nullable(storeLag.max()))
                                .add("samples", storeLag.samples())))
                .add("time", clock.millis())
                .build();
    }
}
