package dev.pulse.config;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * HMAC secrets as configured: text, or {@code base64:} followed by random bytes. HS256 needs a key of at least
 * 256 bits (RFC 7518 §3.2), so a secret must be 32 bytes and look like it holds at least 128 bits of entropy: its
 * length times the Shannon entropy of its own symbols, which refuses repetition and tiny alphabets
 * ({@code aaaa…}, {@code secret-secret-…}) that a count of characters lets through.
 */
public final class Secrets {

    static final int MIN_BYTES = 32;
    static final double MIN_BITS = 128;
    private static final String BASE64 = "base64:";

    private Secrets() {
    }

    /** The key bytes of a configured secret. */
    public static byte[] bytes(String secret) {
        return secret.startsWith(BASE64) ? Base64.getDecoder().decode(secret.substring(BASE64.length()).trim())
                : secret.getBytes(StandardCharsets.UTF_8);
    }

    /** An estimate of the bits of entropy in {@code key}: its length times the entropy of its byte distribution. */
    static double estimatedBits(byte[] key) {
        Map<Byte, Integer> counts = new HashMap<>();
        for (byte b : key) {
            counts.merge(b, 1, Integer::sum);
        }
        double perSymbol = 0;
        for (int n : counts.values()) {
            double p = (double) n / key.length;
            perSymbol -= p * Math.log(p) / Math.log(2);
        }
        return perSymbol * key.length;
    }

    static void check(String name, String secret, List<String> problems) {
        if (secret == null) {
            return;
        }
        byte[] key;
        try {
            key = bytes(secret);
        } catch (IllegalArgumentException e) {
            problems.add(name + ": not valid base64 after \"base64:\"");
            return;
        }
        if (key.length < MIN_BYTES) {
            problems.add(name + " must be at least " + MIN_BYTES + " bytes (has " + key.length + ")");
        } else if (estimatedBits(key) < MIN_BITS) {
            problems.add(name + " looks too predictable (about " + (int) estimatedBits(key) + " bits of entropy, "
                    + "at least " + (int) MIN_BITS + " needed): use e.g. base64:$(openssl rand -base64 32)");
        }
    }
}
