package dev.pulse.config;

import java.util.Set;

/**
 * The settings that protect the server from its clients: limits, allowed origins and authentication.
 *
 * @param messagesPerSecond sustained inbound messages per session (token bucket holding twice as many)
 * @param origins allowed {@code Origin} headers of browser handshakes; empty allows any
 * @param perAddress open connections allowed from one client address; 0 for no limit
 * @param topicsPerSession topics one session may subscribe to, besides its automatic ones
 * @param authRequired whether anonymous connections are closed with 4001
 * @param tokenSecret the HMAC-SHA256 key of tokens; null means a random key per start (tokens die with it)
 * @param tokenTtl ms a token minted by POST /api/tokens is valid by default
 * @param apiKey the key the HTTP API requires (Bearer or X-Api-Key); null leaves the API open
 * @param proxies reverse proxies whose X-Forwarded-For names the client (for its address and per-address limit)
 */
public record Guard(
        int messagesPerSecond,
        Set<String> origins,
        int perAddress,
        int topicsPerSession,
        boolean authRequired,
        String tokenSecret,
        long tokenTtl,
        String apiKey,
        TrustedProxies proxies) {

    public static Guard defaults() {
        return new Guard(50, Set.of(), 1000, 100, false, null, 3_600_000, null, TrustedProxies.none());
    }

    public Guard withRate(int perSecond) {
        return new Guard(perSecond, origins, perAddress, topicsPerSession, authRequired, tokenSecret, tokenTtl, apiKey,
                proxies);
    }

    public Guard withOrigins(Set<String> allowed) {
        return new Guard(messagesPerSecond, allowed, perAddress, topicsPerSession, authRequired, tokenSecret, tokenTtl,
                apiKey, proxies);
    }

    public Guard withLimits(int addressLimit, int topicLimit) {
        return new Guard(messagesPerSecond, origins, addressLimit, topicLimit, authRequired, tokenSecret, tokenTtl,
                apiKey, proxies);
    }

    public Guard withAuth(boolean required, String secret, String key) {
        return new Guard(messagesPerSecond, origins, perAddress, topicsPerSession, required, secret, tokenTtl, key,
                proxies);
    }

    public Guard withProxies(TrustedProxies trusted) {
        return new Guard(messagesPerSecond, origins, perAddress, topicsPerSession, authRequired, tokenSecret, tokenTtl,
                apiKey, trusted);
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
        if (tokenTtl <= 0) {
            problems.add("pulse.auth.token-ttl=" + tokenTtl + " must be > 0");
        }
        if (!proxies.invalid().isEmpty()) {
            problems.add("pulse.proxies: " + String.join(", ", proxies.invalid())
                    + " is neither an IP address nor a CIDR range (host names are not resolved)");
        }
        if (tokenSecret != null && tokenSecret.length() < 32) {
            problems.add("pulse.auth.token-secret must be at least 32 characters");
        }
    }
}
