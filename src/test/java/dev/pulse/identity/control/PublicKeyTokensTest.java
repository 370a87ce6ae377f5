package dev.pulse.identity.control;

import static dev.pulse.identity.control.TokensTest.NOW;
import static dev.pulse.identity.control.TokensTest.NOW_S;
import static dev.pulse.identity.control.TokensTest.tokens;
import static dev.pulse.testing.Jwts.claims;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pulse.config.AuthSettings;
import dev.pulse.config.InvalidSettingsException;
import dev.pulse.identity.entity.AuthFailure;
import dev.pulse.testing.Jwts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Map;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokens of an identity provider: RS256 with a PEM public key, ES256 from a JWK set file, and key confusion. */
class PublicKeyTokensTest {

    @TempDir
    Path dir;

    static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    Path pem(KeyPair pair, String name) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(
                pair.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        return file;
    }

    @Test
    void rs256WithAPemPublicKey() throws Exception {
        KeyPair idp = rsa();
        Tokens tokens = tokens(AuthSettings.builder().publicKeys(Map.of("idp-1", pem(idp, "idp.pem").toString()))
                .build());
        String good = Jwts.signed(idp.getPrivate(), "RS256", "idp-1", claims("alice", NOW_S + 60, ""));
        assertEquals("alice", tokens.verify(good, NOW).user());
        String noKid = Jwts.signed(idp.getPrivate(), "RS256", null, claims("alice", NOW_S + 60, ""));
        assertEquals("alice", tokens.verify(noKid, NOW).user());
        String other = Jwts.signed(rsa().getPrivate(), "RS256", "idp-1", claims("alice", NOW_S + 60, ""));
        assertEquals(AuthFailure.SIGNATURE, tokens.verify(other, NOW).failure());
        String rs512 = Jwts.signed(idp.getPrivate(), "RS512", "idp-1", claims("alice", NOW_S + 60, ""));
        assertEquals(AuthFailure.ALGORITHM, tokens.verify(rs512, NOW).failure(), "RS512 is not allowed by default");
    }

    @Test
    void es256FromAJwkSetFileWithTwoKeysForRotation() throws Exception {
        KeyPair current = ec();
        KeyPair next = ec();
        JsonWebKey a = PublicJsonWebKey.Factory.newPublicJwk(current.getPublic());
        a.setKeyId("2026-11");
        JsonWebKey b = PublicJsonWebKey.Factory.newPublicJwk(next.getPublic());
        b.setKeyId("2026-12");
        Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new JsonWebKeySet(a, b).toJson());
        Tokens tokens = tokens(AuthSettings.builder().jwksFile(jwks.toString()).issuer("https://id.example.com")
                .build());
        String iss = ",\"iss\":\"https://id.example.com\"";
        assertEquals("alice", tokens.verify(Jwts.signed(current.getPrivate(), "ES256", "2026-11",
                claims("alice", NOW_S + 60, iss)), NOW).user());
        assertEquals("bob", tokens.verify(Jwts.signed(next.getPrivate(), "ES256", "2026-12",
                claims("bob", NOW_S + 60, iss)), NOW).user());
        assertEquals(AuthFailure.SIGNATURE, tokens.verify(Jwts.signed(next.getPrivate(), "ES256", "2026-11",
                claims("bob", NOW_S + 60, iss)), NOW).failure(), "signed by the other key of the set");
        assertEquals(AuthFailure.UNKNOWN_KEY, tokens.verify(Jwts.signed(next.getPrivate(), "ES256", "2027-01",
                claims("bob", NOW_S + 60, iss)), NOW).failure());
    }

    /** The classic confusion: HS256 "signed" with the RSA public key's bytes must not pass as that key's token. */
    @Test
    void anHmacTokenKeyedWithThePublicKeyIsRefused() throws Exception {
        KeyPair idp = rsa();
        Path file = pem(idp, "idp.pem");
        Tokens tokens = tokens(AuthSettings.builder().publicKeys(Map.of("idp-1", file.toString())).build());
        String forged = Jwts.hmac("HmacSHA256", Files.readAllBytes(file), "{\"alg\":\"HS256\",\"kid\":\"idp-1\"}",
                claims("admin", NOW_S + 60, ""));
        AuthFailure failure = tokens.verify(forged, NOW).failure();
        assertEquals(AuthFailure.UNKNOWN_KEY, failure, "no HMAC key has that id");
        String forgedNoKid = Jwts.hmac("HmacSHA256", idp.getPublic().getEncoded(), "{\"alg\":\"HS256\"}",
                claims("admin", NOW_S + 60, ""));
        assertEquals(AuthFailure.SIGNATURE, tokens.verify(forgedNoKid, NOW).failure());
    }

    @Test
    void anUnreadableKeyFileFailsTheDeploymentNamingTheKey() {
        var e = assertThrows(InvalidSettingsException.class, () -> tokens(AuthSettings.builder()
                .publicKeys(Map.of("x", dir.resolve("missing.pem").toString())).build()));
        assertEquals(true, e.getMessage().contains("pulse.auth.public-keys"), e.getMessage());
        assertThrows(InvalidSettingsException.class, () -> tokens(AuthSettings.builder()
                .jwksFile(dir.resolve("missing.json").toString()).build()));
    }
}
