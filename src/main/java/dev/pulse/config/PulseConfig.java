package dev.pulse.config;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Reads the Pulse keys from MicroProfile Config (environment variables override, e.g. PULSE_HEARTBEAT_INTERVAL). */
@ApplicationScoped
public class PulseConfig {

    @Inject
    SecurityConfig security;

    @Inject
    @ConfigProperty(name = "pulse.heartbeat.interval", defaultValue = "25000")
    long heartbeatInterval;

    @Inject
    @ConfigProperty(name = "pulse.heartbeat.timeout", defaultValue = "20000")
    long heartbeatTimeout;

    @Inject
    @ConfigProperty(name = "pulse.session.max-queued", defaultValue = "2000")
    int maxQueuedMessages;

    @Inject
    @ConfigProperty(name = "pulse.session.max-queued-bytes", defaultValue = "1048576")
    long maxQueuedBytes;

    @Inject
    @ConfigProperty(name = "pulse.message.max-bytes", defaultValue = "65536")
    int maxMessageBytes;

    @Inject
    @ConfigProperty(name = "pulse.identity.query-param", defaultValue = "false")
    boolean identityQueryParam;

    @Inject
    @ConfigProperty(name = "pulse.shutdown.restart", defaultValue = "false")
    boolean shutdownRestart;

    @Inject
    @ConfigProperty(name = "pulse.shutdown.retry-after", defaultValue = "2000")
    long shutdownRetryAfter;

    @Inject
    @ConfigProperty(name = "pulse.shutdown.retry-jitter", defaultValue = "5000")
    long shutdownRetryJitter;

    @Inject
    @ConfigProperty(name = "pulse.stats.rtt-window", defaultValue = "60000")
    long rttWindow;

    @Inject
    @ConfigProperty(name = "pulse.publish.clients", defaultValue = "true")
    boolean publishClients;

    @Inject
    @ConfigProperty(name = "pulse.history.size", defaultValue = "1000")
    int historySize;

    @Inject
    @ConfigProperty(name = "pulse.history.ttl", defaultValue = "300000")
    long historyTtl;

    @Inject
    @ConfigProperty(name = "pulse.topics.idle", defaultValue = "60000")
    long topicIdle;

    @Inject
    @ConfigProperty(name = "pulse.presence.grace", defaultValue = "5000")
    long presenceGrace;

    @Inject
    @ConfigProperty(name = "pulse.heartbeat.lag-allowance")
    Optional<Long> lagAllowance; // unset: the heartbeat timeout

    @Inject
    @ConfigProperty(name = "pulse.admission.max-lag", defaultValue = "3000")
    long admissionMaxLag;

    @Inject
    @ConfigProperty(name = "pulse.admission.retry-after", defaultValue = "2000")
    long admissionRetryAfter;

    @Inject
    @ConfigProperty(name = "pulse.admission.retry-jitter", defaultValue = "5000")
    long admissionRetryJitter;

    @Inject
    @ConfigProperty(name = "pulse.admission.ramp", defaultValue = "false")
    boolean admissionRamp;

    @Inject
    @ConfigProperty(name = "pulse.admission.ramp-start", defaultValue = "3")
    int admissionRampStart;

    @Inject
    @ConfigProperty(name = "pulse.rate.messages-per-second", defaultValue = "50")
    int messagesPerSecond;

    @Inject
    @ConfigProperty(name = "pulse.origins")
    Optional<String> origins; // a list, split here: Payara fails to inject Optional<List<String>>

    @Inject
    @ConfigProperty(name = "pulse.limits.per-address", defaultValue = "1000")
    int perAddress;

    @Inject
    @ConfigProperty(name = "pulse.limits.topics-per-session", defaultValue = "100")
    int topicsPerSession;

    @Inject
    @ConfigProperty(name = "pulse.proxies")
    Optional<String> proxies;

    @Inject
    @ConfigProperty(name = "pulse.store", defaultValue = "memory")
    String store;

    @Inject
    @ConfigProperty(name = "pulse.redis.uri")
    Optional<String> redisUri;

    @Inject
    @ConfigProperty(name = "pulse.redis.cluster", defaultValue = "false")
    boolean redisCluster;

    @Inject
    @ConfigProperty(name = "pulse.node.id")
    Optional<String> nodeId;

    @Inject
    @ConfigProperty(name = "pulse.node.timeout", defaultValue = "10000")
    long nodeTimeout;

    /** Where topics and presence live, validated. */
    public StoreSettings store() {
        return new StoreSettings(store.trim(), redisUri.filter(v -> !v.isBlank()).orElse(null), redisCluster,
                nodeId.filter(v -> !v.isBlank()).orElseGet(StoreSettings::generatedNodeId), nodeTimeout).validate();
    }

    /** The settings, validated: throws {@link InvalidSettingsException} for nonsense. */
    public PulseSettings settings() {
        Guard guard = new Guard(messagesPerSecond, origins.map(o -> Set.copyOf(Arrays.stream(o.split(","))
                .map(String::trim).filter(v -> !v.isEmpty()).toList())).orElse(Set.of()), perAddress, topicsPerSession,
                security.auth(), security.api(), TrustedProxies.parse(proxies.orElse(null)));
        return PulseSettings.builder().heartbeat(heartbeatInterval, heartbeatTimeout)
                .queue(maxQueuedMessages, maxQueuedBytes).maxMessageBytes(maxMessageBytes)
                .identityQueryParam(identityQueryParam).shutdown(shutdownRestart, shutdownRetryAfter, shutdownRetryJitter)
                .rttWindow(rttWindow).publishClients(publishClients).history(historySize, historyTtl)
                .topicIdle(topicIdle).presenceGrace(presenceGrace).guard(guard)
                .overload(new Overload(lagAllowance.orElse(-1L),
                        admissionMaxLag, admissionRetryAfter, admissionRetryJitter, admissionRamp, admissionRampStart))
                .validate();
    }
}
