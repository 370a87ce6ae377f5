package dev.pulse.identity.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class TokensTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef";
    private final Tokens tokens = new Tokens(SECRET);
    private final long now = 1_795_000_000_000L;

    @Test
    void aValidTokenNamesItsUser() {
        String token = tokens.mint("alice", now + 60_000);
        Tokens.Verdict verdict = tokens.verify(token, now);
        assertTrue(verdict.valid());
        assertEquals("alice", verdict.user());
        assertEquals(3, token.split("\\.").length, "a JWT");
        String header = new String(Base64.getUrlDecoder().decode(token.split("\\.")[0]), StandardCharsets.UTF_8);
        assertTrue(header.contains("HS256"));
    }

    @Test
    void anExpiredTokenIsToldApart() {
        String token = tokens.mint("alice", now + 1000);
        assertEquals(Tokens.EXPIRED, tokens.verify(token, now + 1000).failure());
    }

    @Test
    void aTamperedTokenIsInvalid() {
        String token = tokens.mint("alice", now + 60_000);
        String[] parts = token.split("\\.");
        String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(
                ("{\"sub\":\"mallory\",\"exp\":" + (now / 1000 + 60) + "}").getBytes(StandardCharsets.UTF_8));
        assertEquals(Tokens.INVALID, tokens.verify(parts[0] + "." + forged + "." + parts[2], now).failure());
        char last = token.charAt(token.length() - 1);
        String flipped = token.substring(0, token.length() - 1) + (last == 'A' ? 'B' : 'A');
        assertFalse(tokens.verify(flipped, now).valid());
    }

    @Test
    void aTokenSignedWithAnotherKeyIsInvalid() {
        String token = new Tokens("another-secret-another-secret-xx").mint("alice", now + 60_000);
        assertEquals(Tokens.INVALID, tokens.verify(token, now).failure());
    }

    @Test
    void garbageIsInvalidNotAnException() {
        for (String junk : new String[] {null, "", "a.b", "a.b.c", "...", "x.y.z.w", "%%%.%%%.%%%",
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIiwiZXhwIjo5OTk5OTk5OTk5fQ."}) {
            assertEquals(Tokens.INVALID, tokens.verify(junk, now).failure(), String.valueOf(junk));
        }
    }

    @Test
    void userNamesFollowTheContract() {
        assertThrows(IllegalArgumentException.class, () -> tokens.mint("no spaces", now + 1000));
    }
}
