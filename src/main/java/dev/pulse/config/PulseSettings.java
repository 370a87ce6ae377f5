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
 * @param overload the lag allowance of deadlines and when handshakes are refused
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
        Guard guard,
        Overload overload) {

    /** The fixed period of the heartbeat timer; {@code @Schedule} cannot read configuration. */
    public static final long TICK_MILLIS = 1000;

    public static PulseSettings defaults() {
        return builder().build();
    }

    /** A builder holding the documented defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these settings, for a copy that differs in a few values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Ms of its own lag the node may add to a peer's heartbeat deadline: {@code pulse.heartbeat.lag-allowance}. */
    public long lagAllowance() {
        return overload.lagAllowance() < 0 ? heartbeatTimeout : overload.lagAllowance();
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
        overload.validate(problems);
        if (!problems.isEmpty()) {
            throw new InvalidSettingsException("Invalid Pulse configuration: " + String.join("; ", problems));
        }
        return this;
    }

    /** Collects the values of {@link PulseSettings}; {@link #build()} does not validate, {@link #validate()} does. */
    public static final class Builder {
        private long heartbeatInterval = 25_000;
        private long heartbeatTimeout = 20_000;
        private int maxQueuedMessages = 2000;
        private long maxQueuedBytes = 1L << 20;
        private int maxMessageBytes = 65_536;
        private boolean identityQueryParam;
        private boolean shutdownRestart;
        private long shutdownRetryAfter = 2000;
        private long shutdownRetryJitter = 5000;
        private long rttWindow = 60_000;
        private boolean publishClients = true;
        private int historySize = 1000;
        private long historyTtl = 300_000;
        private long topicIdle = 60_000;
        private long presenceGrace = 5000;
        private Guard guard = Guard.defaults();
        private Overload overload = Overload.defaults();

        private Builder() {
        }

        private Builder(PulseSettings s) {
            heartbeat(s.heartbeatInterval, s.heartbeatTimeout).queue(s.maxQueuedMessages, s.maxQueuedBytes)
                    .maxMessageBytes(s.maxMessageBytes).identityQueryParam(s.identityQueryParam)
                    .shutdown(s.shutdownRestart, s.shutdownRetryAfter, s.shutdownRetryJitter).rttWindow(s.rttWindow)
                    .publishClients(s.publishClients).history(s.historySize, s.historyTtl).topicIdle(s.topicIdle)
                    .presenceGrace(s.presenceGrace).guard(s.guard).overload(s.overload);
        }

        public Builder heartbeat(long interval, long timeout) {
            heartbeatInterval = interval;
            heartbeatTimeout = timeout;
            return this;
        }

        public Builder queue(int messages, long bytes) {
            maxQueuedMessages = messages;
            maxQueuedBytes = bytes;
            return this;
        }

        public Builder maxMessageBytes(int bytes) {
            maxMessageBytes = bytes;
            return this;
        }

        public Builder identityQueryParam(boolean enabled) {
            identityQueryParam = enabled;
            return this;
        }

        public Builder shutdown(boolean restart, long retryAfter, long retryJitter) {
            shutdownRestart = restart;
            shutdownRetryAfter = retryAfter;
            shutdownRetryJitter = retryJitter;
            return this;
        }

        public Builder rttWindow(long millis) {
            rttWindow = millis;
            return this;
        }

        public Builder publishClients(boolean allowed) {
            publishClients = allowed;
            return this;
        }

        public Builder history(int size, long ttl) {
            historySize = size;
            historyTtl = ttl;
            return this;
        }

        public Builder topicIdle(long millis) {
            topicIdle = millis;
            return this;
        }

        public Builder presenceGrace(long millis) {
            presenceGrace = millis;
            return this;
        }

        public Builder guard(Guard g) {
            guard = g;
            return this;
        }

        public Builder overload(Overload o) {
            overload = o;
            return this;
        }

        public PulseSettings build() {
            return new PulseSettings(heartbeatInterval, heartbeatTimeout, maxQueuedMessages, maxQueuedBytes,
                    maxMessageBytes, identityQueryParam, shutdownRestart, shutdownRetryAfter, shutdownRetryJitter,
                    rttWindow, publishClients, historySize, historyTtl, topicIdle, presenceGrace, guard, overload);
        }

        public PulseSettings validate() {
            return build().validate();
        }
    }
}
