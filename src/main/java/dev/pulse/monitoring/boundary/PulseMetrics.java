package dev.pulse.monitoring.boundary;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.Clock;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.connection.entity.EvictionReason;
import dev.pulse.monitoring.control.Lag;
import dev.pulse.monitoring.control.Stats;
import dev.pulse.monitoring.control.StoreStats;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.Tag;

/**
 * Publishes the counters of /api/stats as MicroProfile Metrics gauges (Prometheus text at /metrics) where the
 * server has MicroProfile Metrics (Payara). Elsewhere the API is missing and CDI skips this bean.
 */
@ApplicationScoped
public class PulseMetrics {

    @Inject
    MetricRegistry metrics;

    @Inject
    SessionRegistry registry;

    @Inject
    PulseSettings settings;

    @Inject
    Stats stats;

    @Inject
    Lag lag;

    @Inject
    Clock clock;

    @Inject
    StoreStats store;

    @Inject
    HealthStatus health;

    void register(@Observes @Initialized(ApplicationScoped.class) Object started) {
        metrics.gauge("pulse_connections", registry, SessionRegistry::size);
        metrics.gauge("pulse_connections_lingering", registry, SessionRegistry::lingering);
        counter("pulse_pings_sent_total", stats.pingsSent);
        counter("pulse_pongs_received_total", stats.pongsReceived);
        counter("pulse_messages_in_total", stats.messagesIn);
        counter("pulse_messages_out_total", stats.messagesOut);
        counter("pulse_gaps_sent_total", stats.gapsSent);
        counter("pulse_heartbeat_ticks_skipped_total", stats.ticksSkipped);
        counter("pulse_heartbeat_ticks_total", stats.ticks);
        metrics.gauge("pulse_heartbeat_last_tick_ms", stats, Stats::lastTickMillis);
        metrics.gauge("pulse_lag_ms", lag, l -> l.recent(clock.nanos()) / 1e6);
        metrics.gauge("pulse_lag_max_ms", lag, l -> l.max() / 1e6);
        counter("pulse_gc_pause_ms_total", lag.gcMillis);
        counter("pulse_evictions_postponed_total", stats.postponed);
        counter("pulse_evictions_spared_total", stats.spared);
        counter("pulse_handshakes_refused_total", stats.refused);
        metrics.gauge("pulse_admission_shedding", health, h -> h.shedding() ? 1 : 0);
        for (EvictionReason reason : EvictionReason.values()) {
            metrics.gauge("pulse_evictions_total", stats,
                    s -> s.evictions().getOrDefault(reason.key(), 0L), new Tag("reason", reason.key()));
        }
        metrics.gauge("pulse_disconnects_total", stats,
                s -> s.disconnects().getOrDefault(SessionRegistry.ABRUPT, 0L), new Tag("kind", SessionRegistry.ABRUPT));
        counter("pulse_store_errors_total", store.errors);
        counter("pulse_store_catch_up_reads_total", store.catchUpReads);
        counter("pulse_store_caught_up_messages_total", store.caughtUp);
        counter("pulse_store_probe_failures_total", store.probeFailures);
        metrics.gauge("pulse_store_lag_p99_ms", store, s -> {
            Double p99 = s.lag.percentiles(clock.millis(), settings.rttWindow()).p99();
            return p99 == null ? 0.0 : p99;
        });
        metrics.gauge("pulse_rtt_p99_ms", stats, s -> {
            Double p99 = s.rtt.percentiles(clock.millis(), settings.rttWindow()).p99();
            return p99 == null ? 0.0 : p99;
        });
    }

    private void counter(String name, LongAdder adder) {
        metrics.gauge(name, adder, LongAdder::sum);
    }
}
