package dev.pulse.connection.control;

import dev.pulse.config.Overload;
import dev.pulse.monitoring.control.Lag;
import dev.pulse.monitoring.control.Stats;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Whether this node takes new sessions: not while it is behind by more than {@code pulse.admission.max-lag} over the
 * last seconds (see {@link Lag#recent}). A saturated node that took them would make every open connection worse; a
 * refused client is told when to come back (1013 with a jittered retry-after), and readiness is DOWN meanwhile, so a
 * load balancer sends new clients elsewhere. A node that keeps up may still pace the sessions after its start
 * ({@link Ramp}).
 */
public final class Admission {

    /** The close code of a refused handshake: RFC 6455's "Try Again Later". */
    public static final int TRY_AGAIN_LATER = 1013;

    private final Overload settings;
    private final Lag lag;
    private final Clock clock;
    private final Stats stats;
    private final Ramp ramp;

    public Admission(Overload settings, Lag lag, Clock clock, Stats stats, Ramp ramp) {
        this.settings = settings;
        this.lag = lag;
        this.clock = clock;
        this.stats = stats;
        this.ramp = ramp;
    }

    /** True while new sessions are refused. */
    public boolean shedding() {
        return settings.maxLag() > 0 && lag.recent(clock.nanos()) > settings.maxLag() * 1_000_000;
    }

    /**
     * Decides a new session: admitted, with the moment it was taken (its {@code openedAt}); or refused, with the
     * reason of its 1013 close, {@code retry-after=<ms>} with a value in [retry-after, retry-after + retry-jitter], so
     * the refused do not all come back at once; or, while the node keeps up, the ramp's refusal with the moment it
     * gives that session.
     */
    public Decision decide() {
        if (!shedding()) {
            Ramp.Verdict verdict = ramp.decide();
            if (verdict.admitted()) {
                return new Decision(verdict.at(), null);
            }
            stats.rampRefused.increment();
            return new Decision(verdict.at(), "retry-after=" + verdict.retryAfter());
        }
        stats.refused.increment();
        long jitter = settings.retryJitter() == 0 ? 0 : ThreadLocalRandom.current().nextLong(settings.retryJitter() + 1);
        return new Decision(clock.millis(), "retry-after=" + (settings.retryAfter() + jitter));
    }

    /** When a session was decided (epoch ms), and the reason of its 1013 close if it was refused, else null. */
    public record Decision(long at, String refusal) {

        public boolean admitted() {
            return refusal == null;
        }
    }

    /** The smallest retry-after in seconds, for the Retry-After header of a 503 readiness answer. */
    public long retryAfterSeconds() {
        return Math.max(1, (settings.retryAfter() + 999) / 1000);
    }

    public Ramp ramp() {
        return ramp;
    }

    public long maxLagMillis() {
        return settings.maxLag();
    }
}
