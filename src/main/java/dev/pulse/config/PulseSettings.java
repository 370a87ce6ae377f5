package dev.pulse.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The validated settings every part of Pulse reads; built once at startup from MicroProfile Config.
 * The README's configuration table lists each key with its default and meaning.
 *
 * @param heartbeatInterval ms between two Ping frames to one session
 * @param heartbeatTimeout ms without any frame after a Ping before the session is evicted
 * @param maxQueuedMessages outbound messages a session may have waiting before it is dropped
 * @param maxQueuedBytes outbound characters a session may have waiting before it is dropped
 * @param maxMessageBytes largest inbound text message (and HTTP body) accepted
 * @param identityQueryParam whether {@code ?user=} names the user (development only)
 * @param shutdownRestart close with 1012 and a retry-after hint instead of 1001 on shutdown
 * @param shutdownRetryAfter smallest retry-after hint in ms
 * @param shutdownRetryJitter random spread added to the retry-after hint, in ms
 * @param rttWindow ms of Pong round-trip samples kept for the percentiles of /api/stats
 * @param publishClients whether WebSocket clients may publish
 * @param historySize messages retained per topic for resume
 * @param historyTtl ms a message is retained for resume
 * @param topicIdle ms a topic with no subscribers and no retained messages is kept before it is dropped
 * @param presenceGrace ms a user stays listed after their last session closed, so a reload is not a leave
 * @param guard limits, allowed origins and authentication
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
        long rttWindow,
        boolean publishClients,
        int historySize,
        long historyTtl,
        long topicIdle,
        long presenceGrace,
        Guard guard) {

    /** The fixed period of the heartbeat timer; {@code @Schedule} cannot read configuration. */
    public static final long TICK_MILLIS = 1000;

    public static PulseSettings defaults() {
        return new PulseSettings(25_000, 20_000, 2000, 1L << 20, 65_536, false, false, 2000, 5000, 60_000,
                true, 1000, 300_000, 60_000, 5000, Guard.defaults());
    }

    public PulseSettings withHeartbeat(long interval, long timeout) {
        return new PulseSettings(interval, timeout, maxQueuedMessages, maxQueuedBytes, maxMessageBytes,
                identityQueryParam, shutdownRestart, shutdownRetryAfter, shutdownRetryJitter, rttWindow,
                publishClients, historySize, historyTtl, topicIdle, presenceGrace, guard);
    }

    public PulseSettings withQueue(int messages, long bytes) {
        return new PulseSettings(heartbeatInterval, heartbeatTimeout, messages, bytes, maxMessageBytes,
                identityQueryParam, shutdownRestart, shutdownRetryAfter, shutdownRetryJitter, rttWindow,
                publishClients, historySize, historyTtl, topicIdle, presenceGrace, guard);
    }

    public PulseSettings withMaxMessageBytes(int bytes) {
        return new PulseSettings(heartbeatInterval, heartbeatTimeout, maxQueuedMessages, maxQueuedBytes, bytes,
                identityQueryParam, shutdownRestart, shutdownRetryAfter, shutdownRetryJitter, rttWindow,
                publishClients, historySize, historyTtl, topicIdle, presenceGrace, guard);
    }

    public PulseSettings withShutdown(boolean restart, long retryAfter, long retryJitter) {
        return new PulseSettings(heartbeatInterval, heartbeatTimeout, maxQueuedMessages, maxQueuedBytes,
                maxMessageBytes, identityQueryParam, restart, retryAfter, retryJitter, rttWindow,
                publishClients, historySize, historyTtl, topicIdle, presenceGrace, guard);
    }

    public PulseSettings withTopics(boolean clientsPublish, int size, long ttl, long idle, long grace) {
        return new PulseSettings(heartbeatInterval, heartbeatTimeout, maxQueuedMessages, maxQueuedBytes,
                maxMessageBytes, identityQueryParam, shutdownRestart, shutdownRetryAfter, shutdownRetryJitter,
                rttWindow, clientsPublish, size, ttl, idle, grace, guard);
    }

    public PulseSettings withIdentityQueryParam(boolean enabled) {
        return new PulseSettings(heartbeatInterval, heartbeatTimeout, maxQueuedMessages, maxQueuedBytes,
                maxMessageBytes, enabled, shutdownRestart, shutdownRetryAfter, shutdownRetryJitter, rttWindow,
                publishClients, historySize, historyTtl, topicIdle, presenceGrace, guard);
    }

    public PulseSettings withGuard(Guard g) {
        return new PulseSettings(heartbeatInterval, heartbeatTimeout, maxQueuedMessages, maxQueuedBytes,
                maxMessageBytes, identityQueryParam, shutdownRestart, shutdownRetryAfter, shutdownRetryJitter,
                rttWindow, publishClients, historySize, historyTtl, topicIdle, presenceGrace, g);
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
        if (historySize < 0) {
            problems.add("pulse.history.size=" + historySize + " must be >= 0");
        }
        if (historyTtl <= 0) {
            problems.add("pulse.history.ttl=" + historyTtl + " must be > 0");
        }
        if (topicIdle < 0) {
            problems.add("pulse.topics.idle=" + topicIdle + " must be >= 0");
        }
        if (maxQueuedMessages <= historySize) {
            problems.add("pulse.session.max-queued=" + maxQueuedMessages + " must exceed pulse.history.size="
                    + historySize + ", or a full replay would overflow a resuming session's queue");
        }
        if (presenceGrace < 0) {
            problems.add("pulse.presence.grace=" + presenceGrace + " must be >= 0");
        }
        guard.validate(problems);
        if (!problems.isEmpty()) {
            throw new InvalidSettingsException("Invalid Pulse configuration: " + String.join("; ", problems));
        }
        return this;
    }
}
