package dev.pulse.identity.control;

import static dev.pulse.testing.Jwts.b64;
import static dev.pulse.testing.Jwts.claims;
import static dev.pulse.testing.Jwts.hs256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.config.AuthSettings;
import dev.pulse.identity.entity.AuthFailure;
import dev.pulse.identity.entity.Verdict;
import dev.pulse.testing.Jwts;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every check of a token, each with a token that passes all the others and fails only it. */
class TokensTest {

    static final String SECRET = "q7Vt2mZp9LxR4cWn8HsJ3dKf6GbY1eUa";
    static final long NOW = 1_795_000_000_000L;
    static final long NOW_S = NOW / 1000;
    private final Tokens tokens = tokens(AuthSettings.builder().secret(SECRET).build());

    static Tokens tokens(AuthSettings settings) {
        return new Tokens(settings, new SecureRandom());
    }

    private Verdict check(String token) {
        return tokens.verify(token, NOW);
    }

    private AuthFailure failure(String claims) {
        return check(hs256(SECRET, claims)).failure();
    }

    @Test
    void aMintedTokenNamesItsUserAndCarriesAudienceAndIssuedAt() {
        String token = tokens.mint("alice", NOW + 60_000, NOW);
        Verdict verdict = check(token);
        assertTrue(verdict.valid(), String.valueOf(verdict));
        assertEquals("alice", verdict.user());
        assertEquals(NOW + 60_000, verdict.expiresAt());
        String claims = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]),
                StandardCharsets.UTF_8);
        assertTrue(claims.contains("\"aud\":\"pulse\"") && claims.contains("\"iat\":" + NOW_S), claims);
        assertThrows(IllegalArgumentException.class, () -> tokens.mint("not a name", NOW + 1000, NOW));
    }

    @Test
    void aTokenFromAnyJwtLibraryWithTheSecretIsAccepted() {
        assertEquals("erin", check(hs256(SECRET, claims("erin", NOW_S + 60, ""))).user());
        assertEquals("erin", check(hs256(SECRET, "{\"sub\":\"erin\",\"aud\":[\"other\",\"pulse\"],\"exp\":"
                + (NOW_S + 60) + "}")).user(), "aud as a list naming pulse");
    }

    @Test
    void expiryIsRequiredAndCheckedWithTheLeeway() {
        assertEquals(AuthFailure.EXPIRED, failure(claims("a", NOW_S - 31, "")), "31 s past, leeway 30 s");
        assertNull(failure(claims("a", NOW_S - 29, "")), "within the leeway");
        assertEquals(AuthFailure.NO_EXPIRY, failure("{\"sub\":\"a\",\"aud\":\"pulse\"}"));
        Tokens strict = tokens(AuthSettings.builder().secret(SECRET).leeway(0).build());
        assertEquals(AuthFailure.EXPIRED, strict.verify(hs256(SECRET, claims("a", NOW_S - 1, "")), NOW).failure());
    }

    @Test
    void notBeforeAndIssuedAtInTheFutureAreRefusedBeyondTheLeeway() {
        assertEquals(AuthFailure.NOT_YET_VALID, failure(claims("a", NOW_S + 600, ",\"nbf\":" + (NOW_S + 60))));
        assertNull(failure(claims("a", NOW_S + 600, ",\"nbf\":" + (NOW_S + 20))), "nbf within the leeway");
        assertEquals(AuthFailure.ISSUED_IN_FUTURE, failure(claims("a", NOW_S + 600, ",\"iat\":" + (NOW_S + 60))));
        assertNull(failure(claims("a", NOW_S + 600, ",\"iat\":" + (NOW_S - 86_400))), "an old iat is fine");
    }

    @Test
    void theAudienceMustNameThisService() {
        assertEquals(AuthFailure.AUDIENCE, failure("{\"sub\":\"a\",\"exp\":" + (NOW_S + 60) + "}"), "no aud");
        assertEquals(AuthFailure.AUDIENCE, failure("{\"sub\":\"a\",\"aud\":\"billing\",\"exp\":" + (NOW_S + 60)
                + "}"), "a token for another service with the same secret");
    }

    @Test
    void theIssuerIsCheckedWhenConfigured() {
        Tokens withIssuer = tokens(AuthSettings.builder().secret(SECRET).issuer("https://id.example.com").build());
        String right = hs256(SECRET, claims("a", NOW_S + 60, ",\"iss\":\"https://id.example.com\""));
        assertTrue(withIssuer.verify(right, NOW).valid());
        assertEquals(AuthFailure.ISSUER, withIssuer.verify(hs256(SECRET, claims("a", NOW_S + 60,
                ",\"iss\":\"https://evil.example.com\"")), NOW).failure());
        assertEquals(AuthFailure.ISSUER, withIssuer.verify(hs256(SECRET, claims("a", NOW_S + 60, "")), NOW)
                .failure(), "no iss");
        String minted = withIssuer.mint("a", NOW + 60_000, NOW);
        assertTrue(withIssuer.verify(minted, NOW).valid(), "minted tokens carry the issuer");
        assertNull(failure(claims("a", NOW_S + 60, ",\"iss\":\"anyone\"")), "not checked unless configured");
    }

    @Test
    void anUnknownCriticalHeaderIsRefused() {
        String token = hs256(SECRET, "{\"alg\":\"HS256\",\"crit\":[\"exp-v2\"],\"exp-v2\":1}",
                claims("a", NOW_S + 60, ""));
        assertEquals(AuthFailure.CRIT, check(token).failure());
    }

    @Test
    void algorithmsOutsideTheAllowedOnesAreRefused() {
        String none = b64("{\"alg\":\"none\"}") + "." + b64(claims("a", NOW_S + 60, "")) + ".";
        assertEquals(AuthFailure.ALGORITHM, check(none).failure());
        String hs384 = Jwts.hmac("HmacSHA384", (SECRET + SECRET).getBytes(StandardCharsets.UTF_8),
                "{\"alg\":\"HS384\"}", claims("a", NOW_S + 60, ""));
        Tokens with384Key = tokens(AuthSettings.builder().secret(SECRET + SECRET).build());
        assertEquals(AuthFailure.ALGORITHM, with384Key.verify(hs384, NOW).failure(), "HS384 is not allowed");
        Tokens allowing384 = tokens(AuthSettings.builder().secret(SECRET + SECRET).algorithms(Set.of("HS384"))
                .build());
        assertTrue(allowing384.verify(hs384, NOW).valid());
    }

    @Test
    void aTamperedOrForeignSignatureIsRefused() {
        String token = tokens.mint("alice", NOW + 60_000, NOW);
        String[] parts = token.split("\\.");
        String forged = parts[0] + "." + b64(claims("admin", NOW_S + 60, "")) + "." + parts[2];
        assertEquals(AuthFailure.SIGNATURE, check(forged).failure());
        assertEquals(AuthFailure.SIGNATURE, check(hs256("Zr8Qw3Nx6Tb1Ym4Kc7Vd2Hf5Jg9Ls0Pa", claims("a", NOW_S + 60,
                ""))).failure());
    }

    @Test
    void subjectMustBeAUserName() {
        assertEquals(AuthFailure.SUBJECT, failure("{\"aud\":\"pulse\",\"exp\":" + (NOW_S + 60) + "}"));
        assertEquals(AuthFailure.SUBJECT, failure(claims("not a name", NOW_S + 60, "")));
        assertEquals(AuthFailure.CLAIMS, failure("{\"sub\":\"a\",\"aud\":\"pulse\",\"exp\":\"tomorrow\"}"));
    }

    @Test
    void rotation_oldAndNewKeysAreAcceptedTogether_byKidOrByTrying() {
        String oldSecret = "base64:" + java.util.Base64.getEncoder().encodeToString(random(32));
        String newSecret = "base64:" + java.util.Base64.getEncoder().encodeToString(random(32));
        Tokens before = tokens(AuthSettings.builder().hmacKeys(Map.of("k1", oldSecret)).build());
        Tokens during = tokens(AuthSettings.builder().hmacKeys(ordered("k2", newSecret, "k1", oldSecret)).build());
        String old = before.mint("alice", NOW + 60_000, NOW);
        assertTrue(header(old).contains("\"kid\":\"k1\""), header(old));
        assertEquals("alice", during.verify(old, NOW).user(), "a token of the old key still works");
        String fresh = during.mint("bob", NOW + 60_000, NOW);
        assertTrue(header(fresh).contains("\"kid\":\"k2\""), "the first key signs: " + header(fresh));
        assertEquals("bob", during.verify(fresh, NOW).user());
        byte[] oldBytes = dev.pulse.config.Secrets.bytes(oldSecret);
        String noKid = Jwts.hmac("HmacSHA256", oldBytes, "{\"alg\":\"HS256\"}", claims("carol", NOW_S + 60, ""));
        assertEquals("carol", during.verify(noKid, NOW).user(), "without kid every HMAC key is tried");
        assertEquals(AuthFailure.SIGNATURE, during.verify(hs256("Zr8Qw3Nx6Tb1Ym4Kc7Vd2Hf5Jg9Ls0Pa", claims("carol",
                NOW_S + 60, "")), NOW).failure(), "without kid and verified by none of several keys");
        String unknownKid = Jwts.hmac("HmacSHA256", oldBytes, "{\"alg\":\"HS256\",\"kid\":\"k9\"}",
                claims("carol", NOW_S + 60, ""));
        assertEquals(AuthFailure.UNKNOWN_KEY, during.verify(unknownKid, NOW).failure());
        Tokens after = tokens(AuthSettings.builder().hmacKeys(Map.of("k2", newSecret)).build());
        assertEquals(AuthFailure.UNKNOWN_KEY, after.verify(old, NOW).failure(), "the old key retired");
    }

    @Test
    void withoutAConfiguredKeyEachStartHasItsOwnRandomOne() {
        Tokens a = tokens(AuthSettings.defaults());
        Tokens b = tokens(AuthSettings.defaults());
        assertTrue(a.verify(a.mint("x", NOW + 60_000, NOW), NOW).valid());
        assertEquals(AuthFailure.SIGNATURE, b.verify(a.mint("x", NOW + 60_000, NOW), NOW).failure());
    }

    @Test
    void anOversizedTokenIsRefusedBeforeParsing() {
        assertEquals(AuthFailure.TOO_LARGE, check("a".repeat(Tokens.MAX_LENGTH + 1)).failure());
        assertEquals(AuthFailure.MALFORMED, check("").failure());
        assertEquals(AuthFailure.MALFORMED, check(null).failure());
    }

    static String header(String token) {
        return new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[0]), StandardCharsets.UTF_8);
    }

    static Map<String, String> ordered(String... kv) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
