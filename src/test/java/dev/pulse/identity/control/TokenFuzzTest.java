package dev.pulse.identity.control;

import static dev.pulse.identity.control.TokensTest.NOW;
import static dev.pulse.identity.control.TokensTest.NOW_S;
import static dev.pulse.identity.control.TokensTest.SECRET;
import static dev.pulse.testing.Jwts.b64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.config.AuthSettings;
import dev.pulse.identity.entity.AuthFailure;
import dev.pulse.identity.entity.Verdict;
import dev.pulse.testing.Jwts;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A seeded fuzz of the token parser: malformed base64, huge and deeply nested headers and claims, and every claim
 * of a correctly signed token with every wrong JSON type. Each input must be refused with a named check, never
 * throw, never log anybody in, and be refused quickly.
 */
class TokenFuzzTest {

    private static final long SEED = 15;
    private static final String[] WRONG_TYPES = {"null", "true", "1.5", "-1", "1e400", "\"x\"", "[]", "[1,2]", "{}",
        "{\"a\":{\"b\":[]}}", "\"\"", "9223372036854775808"};
    private final Tokens tokens = TokensTest.tokens(AuthSettings.builder().secret(SECRET).build());
    private final Map<AuthFailure, Integer> seen = new EnumMap<>(AuthFailure.class);

    private void refused(String token, String what) {
        long start = System.nanoTime();
        Verdict verdict = tokens.verify(token, NOW);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertFalse(verdict.valid(), what + " logged in as " + verdict.user());
        assertNotNull(verdict.failure(), what);
        assertTrue(millis < 2000, what + " took " + millis + " ms");
        seen.merge(verdict.failure(), 1, Integer::sum);
    }

    @Test
    void malformedBase64AndStructure() {
        Random random = new Random(SEED);
        String good = tokens.mint("alice", NOW + 60_000, NOW);
        String alphabet = "ABCxyz019-_+/=.%\u00e9\u0000 \n";
        for (int i = 0; i < 3000; i++) {
            char[] t = good.toCharArray();
            int edits = 1 + random.nextInt(4);
            for (int e = 0; e < edits; e++) {
                t[random.nextInt(t.length)] = alphabet.charAt(random.nextInt(alphabet.length()));
            }
            String mutated = new String(t);
            if (!mutated.equals(good)) {
                Verdict v = tokens.verify(mutated, NOW);
                assertTrue(!v.valid() || "alice".equals(v.user()), "a mutation named someone else: " + mutated);
                seen.merge(v.valid() ? AuthFailure.MALFORMED : v.failure(), v.valid() ? 0 : 1, Integer::sum);
            }
        }
        for (String junk : new String[] {".", "..", "...", "a.b.c", "a.b", "a.b.c.d", "a.b.c.d.e", "=.=.=",
            b64("{") + "." + b64("{}") + ".", b64("[]") + "." + b64("{}") + ".x", b64("\"s\"") + ".e30.x",
            "eyJ.eyJ.eyJ", "\u00e9.\u00e9.\u00e9", b64("{\"alg\":\"HS256\"}") + ".%%%%." + b64("x")}) {
            refused(junk, junk);
        }
    }

    @Test
    void hugeAndNestedHeadersAndClaims() {
        String exp = ",\"exp\":" + (NOW_S + 60);
        refused(Jwts.hs256(SECRET, "{\"alg\":\"HS256\",\"x\":\"" + "a".repeat(20_000) + "\"}",
                "{\"sub\":\"a\",\"aud\":\"pulse\"" + exp + "}"), "a 20 KB header");
        assertTrue(tokens.verify(Jwts.hs256(SECRET, "{\"alg\":\"HS256\",\"x\":\"" + "a".repeat(5000) + "\"}",
                "{\"sub\":\"a\",\"aud\":\"pulse\"" + exp + "}"), NOW).valid(), "a 5 KB header within the limit is fine");
        for (int depth : new int[] {10, 100, 1000, 4000}) {
            String nested = "[".repeat(depth) + "]".repeat(depth);
            refused(Jwts.hs256(SECRET, "{\"alg\":\"HS256\",\"x\":" + nested + "}", "{\"sub\":\"a\"" + exp + "}"),
                    "header nested " + depth);
            refused(Jwts.hs256(SECRET, "{\"alg\":\"HS256\"}", "{\"sub\":\"a\",\"n\":" + nested + exp + "}"),
                    "claims nested " + depth + " without aud");
            refused(b64("{\"alg\":" + nested + "}") + "." + b64("{}") + ".x", "alg nested " + depth);
        }
        refused(Jwts.hs256(SECRET, "{\"alg\":\"HS256\",\"alg\":\"none\"}", "{\"sub\":\"a\"" + exp + "}"),
                "duplicate alg");
    }

    /** A correctly signed token in which one claim or header field has a wrong type: refused, never accepted. */
    @Test
    void wrongTypesForEveryClaim() {
        List<String> accepted = new ArrayList<>();
        String[] claims = {"sub", "aud", "exp", "nbf", "iat", "iss"};
        for (String claim : claims) {
            for (String value : WRONG_TYPES) {
                Map<String, String> c = new java.util.LinkedHashMap<>(Map.of("sub", "\"alice\"", "aud", "\"pulse\"",
                        "exp", String.valueOf(NOW_S + 60)));
                c.put(claim, value);
                StringBuilder json = new StringBuilder("{");
                c.forEach((k, v) -> json.append(json.length() > 1 ? "," : "").append('"').append(k).append("\":")
                        .append(v));
                Verdict v = tokens.verify(Jwts.hs256(SECRET, json.append('}').toString()), NOW);
                if (v.valid()) {
                    accepted.add(claim + "=" + value);
                } else {
                    seen.merge(v.failure(), 1, Integer::sum);
                }
            }
        }
        // nbf, iat and iss are optional here (iss is not configured): null (absent) and harmless times pass; "x" is a
        // fine user name
        accepted.removeIf(a -> a.matches("(nbf|iat)=(-1|1\\.5|null)") || a.startsWith("iss=") || a.equals("sub=\"x\""));
        assertEquals(List.of(), accepted, "wrong types accepted");
        for (String header : new String[] {"{\"alg\":1}", "{\"alg\":null}", "{\"alg\":[\"HS256\"]}",
            "{\"alg\":\"HS256\",\"kid\":1}", "{\"alg\":\"HS256\",\"crit\":\"exp\"}",
            "{\"alg\":\"HS256\",\"crit\":[1]}", "{\"alg\":\"HS256\",\"crit\":[]}", "{\"alg\":\"HS256\",\"b64\":false,"
                    + "\"crit\":[\"b64\"]}"}) {
            refused(Jwts.hs256(SECRET, header, TokensTestClaims.valid()), header);
        }
        assertTrue(seen.size() >= 4, "refused for several reasons: " + seen);
    }

    /** Valid claims for fuzzed headers. */
    static final class TokensTestClaims {
        static String valid() {
            return Jwts.claims("alice", NOW_S + 60, "");
        }
    }
}
