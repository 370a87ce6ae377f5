package dev.pulse.config;

import java.util.List;
import java.util.Set;

/**
 * Who may call the HTTP API: keys by role (several per role, so a key can be rotated without downtime) and the
 * origins whose pages may call it cross-site (CORS). No key at all leaves the API open, as before.
 *
 * @param monitorKeys read-only keys: /api/stats, /api/connections, presence
 * @param publishKeys keys that may also publish
 * @param adminKeys keys that may do everything, including minting tokens and draining the node
 * @param corsOrigins origins allowed to call the API from a browser page; empty: none (no CORS headers)
 * @param legacyKey whether {@code pulse.api.key}, the deprecated alias of an admin key, was used
 */
public record ApiSettings(List<String> monitorKeys, List<String> publishKeys, List<String> adminKeys,
        Set<String> corsOrigins, boolean legacyKey) {

    /** Shorter keys are guessable online; 16 characters of a random generator are plenty. */
    static final int MIN_KEY_LENGTH = 16;

    public ApiSettings {
        monitorKeys = List.copyOf(monitorKeys);
        publishKeys = List.copyOf(publishKeys);
        adminKeys = List.copyOf(adminKeys);
        corsOrigins = Set.copyOf(corsOrigins);
    }

    public static ApiSettings open() {
        return new ApiSettings(List.of(), List.of(), List.of(), Set.of(), false);
    }

    /** Only an admin key, as {@code pulse.api.key} used to be. */
    public static ApiSettings admin(String key) {
        return key == null ? open() : new ApiSettings(List.of(), List.of(), List.of(key), Set.of(), false);
    }

    public ApiSettings withCors(Set<String> origins) {
        return new ApiSettings(monitorKeys, publishKeys, adminKeys, origins, legacyKey);
    }

    public boolean keyed() {
        return !monitorKeys.isEmpty() || !publishKeys.isEmpty() || !adminKeys.isEmpty();
    }

    void validate(List<String> problems) {
        check("pulse.api.monitor-keys", monitorKeys, problems);
        check("pulse.api.publish-keys", publishKeys, problems);
        check(legacyKey ? "pulse.api.admin-keys (or pulse.api.key)" : "pulse.api.admin-keys", adminKeys, problems);
        for (String origin : corsOrigins) {
            if (!origin.matches("https?://[^/\\s]+")) {
                problems.add("pulse.api.cors-origins: " + origin + " is not an origin like https://app.example.com");
            }
        }
    }

    private static void check(String name, List<String> keys, List<String> problems) {
        for (String key : keys) {
            if (key.length() < MIN_KEY_LENGTH) {
                problems.add(name + ": every key must be at least " + MIN_KEY_LENGTH + " characters");
                return;
            }
        }
    }
}
