package dev.pulse.identity.control;

import dev.pulse.config.ApiSettings;
import dev.pulse.identity.entity.Role;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The HTTP API's keys and their roles. A key given by a caller is compared with every configured key, each
 * comparison over SHA-256 digests with {@link MessageDigest#isEqual} (constant time, equal lengths), and without
 * stopping at a match, so the time taken tells neither which key nor how much of one matched.
 */
public final class ApiKeys {

    private record Entry(byte[] digest, Role role) {
    }

    private final List<Entry> entries = new ArrayList<>();

    public ApiKeys(ApiSettings settings) {
        settings.monitorKeys().forEach(k -> entries.add(new Entry(digest(k), Role.MONITOR)));
        settings.publishKeys().forEach(k -> entries.add(new Entry(digest(k), Role.PUBLISH)));
        settings.adminKeys().forEach(k -> entries.add(new Entry(digest(k), Role.ADMIN)));
    }

    /** No key configured: the API is open to anybody who reaches it. */
    public boolean open() {
        return entries.isEmpty();
    }

    /** Whether some key has the admin role (minting tokens needs one). */
    public boolean hasAdmin() {
        return entries.stream().anyMatch(e -> e.role() == Role.ADMIN);
    }

    /** The role of {@code given}, or null when it is no configured key. */
    public Role role(String given) {
        if (given == null) {
            return null;
        }
        byte[] digest = digest(given);
        Role best = null;
        for (Entry entry : entries) {
            boolean match = MessageDigest.isEqual(entry.digest(), digest);
            if (match && (best == null || entry.role().includes(best))) {
                best = entry.role();
            }
        }
        return best;
    }

    private static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
