package dev.pulse.config;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Reads the keys of {@code pulse.auth.*} and {@code pulse.api.*}; lists are comma-separated strings. */
@ApplicationScoped
public class SecurityConfig {

    @Inject
    @ConfigProperty(name = "pulse.auth.required", defaultValue = "false")
    boolean required;

    @Inject
    @ConfigProperty(name = "pulse.auth.token-query-param", defaultValue = "false")
    boolean tokenQueryParam;

    @Inject
    @ConfigProperty(name = "pulse.auth.issuer")
    Optional<String> issuer;

    @Inject
    @ConfigProperty(name = "pulse.auth.audience", defaultValue = "pulse")
    String audience;

    @Inject
    @ConfigProperty(name = "pulse.auth.algorithms", defaultValue = "HS256,RS256,ES256")
    String algorithms;

    @Inject
    @ConfigProperty(name = "pulse.auth.leeway", defaultValue = "30000")
    long leeway;

    @Inject
    @ConfigProperty(name = "pulse.auth.token-ttl", defaultValue = "3600000")
    long tokenTtl;

    @Inject
    @ConfigProperty(name = "pulse.auth.token-secret")
    Optional<String> secret;

    @Inject
    @ConfigProperty(name = "pulse.auth.token-keys")
    Optional<String> tokenKeys;

    @Inject
    @ConfigProperty(name = "pulse.auth.public-keys")
    Optional<String> publicKeys;

    @Inject
    @ConfigProperty(name = "pulse.auth.jwks-file")
    Optional<String> jwksFile;

    @Inject
    @ConfigProperty(name = "pulse.api.monitor-keys")
    Optional<String> monitorKeys;

    @Inject
    @ConfigProperty(name = "pulse.api.publish-keys")
    Optional<String> publishKeys;

    @Inject
    @ConfigProperty(name = "pulse.api.admin-keys")
    Optional<String> adminKeys;

    @Inject
    @ConfigProperty(name = "pulse.api.key")
    Optional<String> legacyKey; // deprecated: one admin key

    @Inject
    @ConfigProperty(name = "pulse.api.cors-origins")
    Optional<String> corsOrigins;

    public AuthSettings auth() {
        return AuthSettings.builder().required(required).tokenQueryParam(tokenQueryParam)
                .issuer(value(issuer)).audience(audience.trim()).algorithms(new LinkedHashSet<>(list(algorithms)))
                .leeway(leeway).tokenTtl(tokenTtl).secret(value(secret)).hmacKeys(byKid(value(tokenKeys)))
                .publicKeys(byKid(value(publicKeys))).jwksFile(value(jwksFile)).build();
    }

    public ApiSettings api() {
        List<String> admins = new ArrayList<>(list(value(adminKeys)));
        String legacy = value(legacyKey);
        if (legacy != null) {
            admins.add(legacy);
        }
        return new ApiSettings(list(value(monitorKeys)), list(value(publishKeys)), admins,
                new LinkedHashSet<>(list(value(corsOrigins))), legacy != null);
    }

    private static String value(Optional<String> v) {
        return v.map(String::trim).filter(s -> !s.isEmpty()).orElse(null);
    }

    static List<String> list(String csv) {
        return csv == null ? List.of()
                : Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** {@code kid=value,…} in order; an entry without {@code =} has the empty key id (values may hold '='). */
    static Map<String, String> byKid(String csv) {
        Map<String, String> entries = new LinkedHashMap<>();
        for (String entry : list(csv)) {
            int eq = entry.indexOf('=');
            String kid = eq < 0 ? "" : entry.substring(0, eq).trim();
            String value = eq < 0 ? entry : entry.substring(eq + 1).trim();
            entries.put(kid.isEmpty() ? AuthSettings.UNNAMED + entries.size() : kid, value);
        }
        return entries;
    }
}
