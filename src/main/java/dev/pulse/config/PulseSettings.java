package dev.pulse.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The validated settings every part of Pulse reads; built once at startup from MicroProfile Config.
 *
 * @param heartbeatInterval ms between two Ping frames to one session
 * @param heartbeatTimeout ms without any frame after a Ping before the session is evicted
 * @param maxQueuedMessages outbound messages a session may have waiting before it is dropped
 * @param maxQueuedBytes outbound characters a session may have waiting before it is dropped
 * @param maxMessageBytes largest inbound text message accepted
 * @param identityQueryParam whether {@code ?user=} names the user (development only)
 * @param shutdownRestart close with 1012 and a retry-after hint instead of 1001 on shutdown
 * @param shutdownRetryAfter smallest retry-after hint in ms
 * @param shutdownRetryJitter random spread added to the retry-after hint, in ms
 * @param rttWindow ms of Pong round-trip samples kept for the percentiles of /api/stats
 */
public record PulseSettings(
        long heartbeatInterval,
        long heartbeatTimeout,
        int maxQueuedMessages,
        long maxQueuedBytes,
        int maxMessageBytes,
        boolean identityQueryParam,
        boolean shutdownRestart,
        long shutdownRetryAfter,
        long shutdownRetryJitter,
        long rttWindow) {

    /** The fixed period of the heartbeat timer; {@code @Schedule} cannot read configuration. */
    public static final long TICK_MILLIS = 1000;

    public static PulseSettings defaults() {
        return new PulseSettings(25_000, 20_000, 1000, 1 << 20, 65_536, false, false, 2000, 5000, 60_000);
    }

    /** Returns these settings, or throws naming every key whose value makes no sense. */
    public PulseSettings validate() {
        List<String> problems = new ArrayList<>();
        if (heartbeatInterval < TICK_MILLIS) {
            problems.add("pulse.heartbeat.interval=" + heartbeatInterval
                    + " is below the heartbeat tick of " + TICK_MILLIS + " ms");
        }
        if (heartbeatTimeout <= 0) {
            problems.add("pulse.heartbeat.timeout=" + heartbeatTimeout + " must be > 0");
        }
        if (maxQueuedMessages <= 0) {
            problems.add("pulse.session.max-queued=" + maxQueuedMessages + " must be > 0");
        }
        if (maxQueuedBytes <= 0) {
            problems.add("pulse.session.max-queued-bytes=" + maxQueuedBytes + " must be > 0");
        }
        if (maxMessageBytes < 128) {
            problems.add("pulse.message.max-bytes=" + maxMessageBytes + " must be >= 128");
        }
        if (shutdownRetryAfter < 0 || shutdownRetryJitter < 0) {
            problems.add("pulse.shutdown.retry-after and pulse.shutdown.retry-jitter must be >= 0");
        }
        if (rttWindow <= 0) {
            problems.add("pulse.stats.rtt-window=" + rttWindow + " must be > 0");
        }
        if (!problems.isEmpty()) {
            throw new InvalidSettingsException("Invalid Pulse configuration: " + String.join("; ", problems));
        }
        return this;
    }
}
