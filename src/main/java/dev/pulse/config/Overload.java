package dev.pulse.config;

import java.util.List;

/**
 * How the node behaves when it falls behind: how much of its own lag it may add to a peer's heartbeat deadline, and
 * when it stops taking new sessions (1013 with a jittered retry-after, readiness DOWN).
 *
 * @param lagAllowance largest lag of its own (ms) the node adds to a peer's deadline; negative: the heartbeat timeout
 * @param maxLag lag (ms) above which new handshakes are refused and readiness is DOWN; 0: never refuse
 * @param retryAfter smallest retry-after (ms) sent with a refused handshake's 1013
 * @param retryJitter random spread (ms) added to each refused handshake's retry-after
 * @param ramp whether a node paces the handshakes after its start (see {@code connection.control.Ramp})
 * @param rampStart sessions the ramp admits in any 100 ms at first
 */
public record Overload(long lagAllowance, long maxLag, long retryAfter, long retryJitter, boolean ramp,
        int rampStart) {

    /** Without the ramp (off by default). */
    public Overload(long lagAllowance, long maxLag, long retryAfter, long retryJitter) {
        this(lagAllowance, maxLag, retryAfter, retryJitter, false, 3);
    }

    /** The documented defaults; {@code maxLag} from the overload measurements in bench/README.md. */
    public static Overload defaults() {
        return new Overload(-1, 3000, 2000, 5000);
    }

    public Overload withAllowance(long millis) {
        return new Overload(millis, maxLag, retryAfter, retryJitter, ramp, rampStart);
    }

    public Overload withAdmission(long lagMillis, long afterMillis, long jitterMillis) {
        return new Overload(lagAllowance, lagMillis, afterMillis, jitterMillis, ramp, rampStart);
    }

    public Overload withRamp(boolean on, int start) {
        return new Overload(lagAllowance, maxLag, retryAfter, retryJitter, on, start);
    }

    void validate(List<String> problems) {
        if (lagAllowance < -1) {
            problems.add("pulse.heartbeat.lag-allowance=" + lagAllowance + " must be >= 0");
        }
        if (maxLag < 0) {
            problems.add("pulse.admission.max-lag=" + maxLag + " must be >= 0 (0: never refuse)");
        }
        if (retryAfter < 0 || retryJitter < 0) {
            problems.add("pulse.admission.retry-after and pulse.admission.retry-jitter must be >= 0");
        }
        if (rampStart < 1) {
            problems.add("pulse.admission.ramp-start=" + rampStart + " must be >= 1");
        }
    }
}
