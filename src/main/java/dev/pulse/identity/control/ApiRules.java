package dev.pulse.identity.control;

import dev.pulse.identity.entity.Role;
import java.util.Locale;
import java.util.regex.Pattern;

/** Which role each API call needs, and which request bodies a call accepts. */
public final class ApiRules {

    /** The request attribute (and JAX-RS property) holding the caller's {@link Role}, when it gave a key. */
    public static final String ROLE = "dev.pulse.api-role";

    private static final Pattern READS = Pattern.compile("stats|connections|topics/[^/]+/presence");
    private static final Pattern PUBLISHES = Pattern.compile("broadcast|topics/[^/]+/messages|users/[^/]+/messages");

    private ApiRules() {
    }

    /**
     * The role {@code method path} needs ({@code path} relative to /api): reads need a monitor key, publishing a
     * publish key, anything else (tokens, drain, and whatever is added later) an admin key.
     */
    public static Role required(String method, String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        if (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (("GET".equals(method) || "HEAD".equals(method)) && READS.matcher(p).matches()) {
            return Role.MONITOR;
        }
        if ("POST".equals(method) && PUBLISHES.matcher(p).matches()) {
            return Role.PUBLISH;
        }
        return Role.ADMIN;
    }

    /**
     * Whether a POST may carry this content type: JSON only. A cross-site HTML form can send only
     * {@code application/x-www-form-urlencoded}, {@code multipart/form-data} or {@code text/plain} without a CORS
     * preflight, so requiring JSON keeps other sites' pages from publishing with a visitor's browser.
     */
    public static boolean json(String contentType) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return type.equals("application/json");
    }
}
