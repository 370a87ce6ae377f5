package dev.pulse.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How connections prove who they are: which tokens are accepted (keys, algorithms, issuer, audience, leeway),
 * how they may be sent, and whether anonymous connections are allowed.
 *
 * @param required whether anonymous connections are closed with 4001
 * @param tokenQueryParam whether {@code ?token=} is accepted (it ends up in access logs; the subprotocol is not)
 * @param issuer the {@code iss} every token must carry; null: not checked (minted tokens then carry none)
 * @param audience the {@code aud} every token must name, so a token minted for another service is refused
 * @param algorithms the JWS algorithms accepted; anything else (and {@code none}) is refused
 * @param leeway ms of clock skew allowed when checking {@code exp}, {@code nbf} and {@code iat}
 * @param tokenTtl ms a minted token is valid by default
 * @param secret a single HMAC secret without a key id ({@code pulse.auth.token-secret}); null for none
 * @param hmacKeys HMAC secrets by key id ({@code pulse.auth.token-keys}), in order: the first signs, all verify
 * @param publicKeys PEM files of RSA or EC public keys by key id (empty id: none)
 * @param jwksFile a JWK set file of public keys (an identity provider's), or null
 */
public record AuthSettings(boolean required, boolean tokenQueryParam, String issuer, String audience,
        Set<String> algorithms, long leeway, long tokenTtl, String secret, Map<String, String> hmacKeys,
        Map<String, String> publicKeys, String jwksFile) {

    /** The algorithms a configuration may allow: HMAC with a shared secret, RSA and ECDSA with public keys. */
    public static final List<String> SUPPORTED = List.of("HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
            "PS256", "PS384", "PS512", "ES256", "ES384", "ES512");

    /** The prefix of the made-up names of entries configured without a key id. */
    public static final String UNNAMED = "#";

    public AuthSettings {
        algorithms = Set.copyOf(algorithms);
        hmacKeys = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(hmacKeys));
        publicKeys = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(publicKeys));
    }

    public static AuthSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().required(required).tokenQueryParam(tokenQueryParam).issuer(issuer).audience(audience)
                .algorithms(algorithms).leeway(leeway).tokenTtl(tokenTtl).secret(secret).hmacKeys(hmacKeys)
                .publicKeys(publicKeys).jwksFile(jwksFile);
    }

    /** Whether any key was configured; without one each start makes a random HMAC key. */
    public boolean keyed() {
        return secret != null || !hmacKeys.isEmpty() || !publicKeys.isEmpty() || jwksFile != null;
    }

    void validate(List<String> problems) {
        if (tokenTtl <= 0) {
            problems.add("pulse.auth.token-ttl=" + tokenTtl + " must be > 0");
        }
        if (leeway < 0 || leeway > 300_000) {
            problems.add("pulse.auth.leeway=" + leeway + " must be 0..300000 ms");
        }
        if (audience == null || audience.isBlank()) {
            problems.add("pulse.auth.audience must name this service");
        }
        if (algorithms.isEmpty() || !SUPPORTED.containsAll(algorithms)) {
            problems.add("pulse.auth.algorithms=" + algorithms + " must be some of " + SUPPORTED);
        }
        Secrets.check("pulse.auth.token-secret", secret, problems);
        hmacKeys.forEach((kid, value) -> {
            if (kid.startsWith(UNNAMED)) {
                problems.add("pulse.auth.token-keys: every entry is <key id>=<secret>");
            } else {
                Secrets.check("pulse.auth.token-keys " + kid, value, problems);
            }
        });
    }

    /** Collects the values of {@link AuthSettings}, starting from the documented defaults. */
    public static final class Builder {
        private boolean required;
        private boolean tokenQueryParam;
        private String issuer;
        private String audience = "pulse";
        private Set<String> algorithms = Set.of("HS256", "RS256", "ES256");
        private long leeway = 30_000;
        private long tokenTtl = 3_600_000;
        private String secret;
        private Map<String, String> hmacKeys = Map.of();
        private Map<String, String> publicKeys = Map.of();
        private String jwksFile;

        private Builder() {
        }

        public Builder required(boolean value) {
            required = value;
            return this;
        }

        public Builder tokenQueryParam(boolean value) {
            tokenQueryParam = value;
            return this;
        }

        public Builder issuer(String value) {
            issuer = value;
            return this;
        }

        public Builder audience(String value) {
            audience = value;
            return this;
        }

        public Builder algorithms(Set<String> value) {
            algorithms = value;
            return this;
        }

        public Builder leeway(long millis) {
            leeway = millis;
            return this;
        }

        public Builder tokenTtl(long millis) {
            tokenTtl = millis;
            return this;
        }

        public Builder secret(String value) {
            secret = value;
            return this;
        }

        public Builder hmacKeys(Map<String, String> byKid) {
            hmacKeys = byKid;
            return this;
        }

        public Builder publicKeys(Map<String, String> pemFilesByKid) {
            publicKeys = pemFilesByKid;
            return this;
        }

        public Builder jwksFile(String path) {
            jwksFile = path;
            return this;
        }

        public AuthSettings build() {
            return new AuthSettings(required, tokenQueryParam, issuer, audience, algorithms, leeway, tokenTtl, secret,
                    hmacKeys, publicKeys, jwksFile);
        }
    }
}
