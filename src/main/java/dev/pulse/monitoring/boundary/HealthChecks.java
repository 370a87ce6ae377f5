package dev.pulse.monitoring.boundary;

import dev.pulse.connection.control.Clock;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.monitoring.control.Lag;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/** Pulse's checks for servers with MicroProfile Health (Payara); {@link HealthServlet} serves the same elsewhere. */
@ApplicationScoped
public class HealthChecks {

    @Inject
    HealthStatus status;

    @Inject
    SessionRegistry registry;

    @Inject
    Lag lag;

    @Inject
    Clock clock;

    @Produces
    @Liveness
    HealthCheck heartbeatTicking() {
        return () -> HealthCheckResponse.named("pulse-heartbeat").status(status.live())
                .withData("lastTickAt", status.lastTickAt()).build();
    }

    @Produces
    @Readiness
    HealthCheck acceptingConnections() {
        return () -> HealthCheckResponse.named("pulse-ready").status(status.ready())
                .withData("connections", registry.size()).withData("shedding", status.shedding())
                .withData("lagMs", lag.recent(clock.nanos()) / 1_000_000).build();
    }
}
