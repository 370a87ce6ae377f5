package dev.pulse.monitoring.boundary;

import dev.pulse.connection.control.Admission;
import dev.pulse.connection.control.Clock;
import dev.pulse.connection.control.Ramp;
import dev.pulse.connection.control.Shutdown;
import dev.pulse.monitoring.control.Stats;
import java.util.function.BooleanSupplier;

/** Liveness and readiness as Pulse sees them, for MicroProfile Health and for servers without it on the app port. */
public final class HealthStatus {

    /** A heartbeat that has not ticked for this long means the timer thread is stuck or dead. */
    static final long STALE_TICK_MILLIS = 10_000;

    private final Stats stats;
    private final Clock clock;
    private final Shutdown shutdown;
    private final BooleanSupplier storeAvailable;
    private final Admission admission;

    public HealthStatus(Stats stats, Clock clock, Shutdown shutdown, BooleanSupplier storeAvailable,
            Admission admission) {
        this.admission = admission;
        this.stats = stats;
        this.clock = clock;
        this.shutdown = shutdown;
        this.storeAvailable = storeAvailable;
    }

    /** Live while the heartbeat timer keeps ticking (a stuck timer means no session is checked any more). */
    public boolean live() {
        long last = stats.lastTickAt();
        return last == 0 || clock.millis() - last < STALE_TICK_MILLIS;
    }

    /** Ready once the heartbeat has ticked, while the store answers and the node is not shedding load, until shutdown. */
    public boolean ready() {
        return stats.lastTickAt() != 0 && !shutdown.active() && live() && storeAvailable.getAsBoolean()
                && !admission.shedding();
    }

    /** True while the node refuses new sessions because it is behind (see {@link Admission}). */
    public boolean shedding() {
        return admission.shedding();
    }

    /** The slow start after the node's start (see {@link Admission}). */
    public Ramp ramp() {
        return admission.ramp();
    }

    /** Seconds a client refused while shedding should wait, for a Retry-After header. */
    public long retryAfterSeconds() {
        return admission.retryAfterSeconds();
    }

    public boolean storeAvailable() {
        return storeAvailable.getAsBoolean();
    }

    public long lastTickAt() {
        return stats.lastTickAt();
    }
}
