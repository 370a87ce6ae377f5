package dev.pulse.identity.control;

import dev.pulse.protocol.UserNames;
import dev.pulse.protocol.Wire;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed identity tokens: JWTs with HS256, {@code sub} the user and {@code exp} the expiry, so any JWT library
 * of a trusted backend can mint them too. Without a configured secret a random one is made per start, so
 * tokens then die with a restart and are not shared between nodes.
 */
public final class Tokens {

    /** The outcome of checking a token: a user, or why not. */
    public record Verdict(String user, long expiresAt, String failure) {

        public boolean valid() {
            return failure == null;
        }
    }

    public static final String EXPIRED = "token expired";
    public static final String INVALID = "invalid token";
    private static final String HEADER = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    private static final byte[] RANDOM_SECRET = new SecureRandom().generateSeed(32);

    private final byte[] secret;

    /** @param secret the configured key, or null for this start's random one */
    public Tokens(String secret) {
        this.secret = secret == null ? RANDOM_SECRET : secret.getBytes(StandardCharsets.UTF_8);
    }

    public String mint(String user, long expiresAtMillis) {
        if (!UserNames.valid(user)) {
            throw new IllegalArgumentException("user must be 1-64 characters of [A-Za-z0-9._@-]");
        }
        String payload = Wire.object().add("sub", user).add("exp", Math.floorDiv(expiresAtMillis, 1000L))
                .build().toString();
        String unsigned = HEADER + "." + b64(payload.getBytes(StandardCharsets.UTF_8));
        return unsigned + "." + b64(sign(unsigned));
    }

    public Verdict verify(String token, long nowMillis) {
        String[] parts = token == null ? new String[0] : token.split("\\.", -1);
        if (parts.length != 3) {
            return failed(INVALID);
        }
        byte[] expected = sign(parts[0] + "." + parts[1]);
        byte[] given;
        JsonObject header;
        JsonObject claims;
        try {
            given = Base64.getUrlDecoder().decode(parts[2]);
            header = json(parts[0]);
            claims = json(parts[1]);
        } catch (RuntimeException e) {
            return failed(INVALID);
        }
        if (header == null || claims == null || !MessageDigest.isEqual(expected, given)
                || !"HS256".equals(header.getString("alg", null))) {
            return failed(INVALID);
        }
        JsonValue sub = claims.get("sub");
        JsonValue exp = claims.get("exp");
        if (!(sub instanceof JsonString s) || !UserNames.valid(s.getString()) || !(exp instanceof JsonNumber n)) {
            return failed(INVALID);
        }
        long expiresAt = n.longValue() * 1000;
        if (nowMillis >= expiresAt) {
            return failed(EXPIRED);
        }
        return new Verdict(s.getString(), expiresAt, null);
    }

    private static Verdict failed(String why) {
        return new Verdict(null, 0, why);
    }

    private static JsonObject json(String part) {
        JsonValue value = Wire.parse(new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8));
        return value instanceof JsonObject o ? o : null;
    }

    private byte[] sign(String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
