package dev.pulse.config;

import java.util.Set;

/**
 * The settings that protect the server from its clients: limits, allowed origins, authentication and the API's
 * keys.
 *
 * @param messagesPerSecond sustained inbound messages per session (token bucket holding twice as many)
 * @param origins allowed {@code Origin} headers of browser handshakes; empty allows any
 * @param perAddress open connections allowed from one client address; 0 for no limit
 * @param topicsPerSession topics one session may subscribe to, besides its automatic ones
 * @param auth which tokens are accepted and whether anonymous connections are
 * @param api the HTTP API's keys by role and its CORS origins
 * @param proxies reverse proxies whose X-Forwarded-For names the client (for its address and per-address limit)
 */
public record Guard(
        int messagesPerSecond,
        Set<String> origins,
        int perAddress,
        int topicsPerSession,
        AuthSettings auth,
        ApiSettings api,
        TrustedProxies proxies) {

    public static Guard defaults() {
        return new Guard(50, Set.of(), 1000, 100, AuthSettings.defaults(), ApiSettings.open(), TrustedProxies.none());
    }

    public Guard withRate(int perSecond) {
        return new Guard(perSecond, origins, perAddress, topicsPerSession, auth, api, proxies);
    }

    public Guard withOrigins(Set<String> allowed) {
        return new Guard(messagesPerSecond, allowed, perAddress, topicsPerSession, auth, api, proxies);
    }

    public Guard withLimits(int addressLimit, int topicLimit) {
        return new Guard(messagesPerSecond, origins, addressLimit, topicLimit, auth, api, proxies);
    }

    /** Shorthand of tests: whether auth is required, one HMAC secret (or null), one admin key (or null). */
    public Guard withAuth(boolean required, String secret, String adminKey) {
        return withAuth(auth.toBuilder().required(required).secret(secret).build()).withApi(ApiSettings.admin(adminKey));
    }

    public Guard withAuth(AuthSettings settings) {
        return new Guard(messagesPerSecond, origins, perAddress, topicsPerSession, settings, api, proxies);
    }

    public Guard withApi(ApiSettings settings) {
        return new Guard(messagesPerSecond, origins, perAddress, topicsPerSession, auth, settings, proxies);
    }

    public Guard withProxies(TrustedProxies trusted) {
        return new Guard(messagesPerSecond, origins, perAddress, topicsPerSession, auth, api, trusted);
    }

    public boolean authRequired() {
        return auth.required();
    }

    void validate(java.util.List<String> problems) {
        if (messagesPerSecond <= 0) {
            problems.add("pulse.rate.messages-per-second=" + messagesPerSecond + " must be > 0");
        }
        if (perAddress < 0) {
            problems.add("pulse.limits.per-address=" + perAddress + " must be >= 0 (0: no limit)");
        }
        if (topicsPerSession <= 0) {
            problems.add("pulse.limits.topics-per-session=" + topicsPerSession + " must be > 0");
        }
        if (!proxies.invalid().isEmpty()) {
            problems.add("pulse.proxies: " + String.join(", ", proxies.invalid())
                    + " is neither an IP address nor a CIDR range (host names are not resolved)");
        }
        auth.validate(problems);
        api.validate(problems);
    }
}
