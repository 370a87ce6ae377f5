package dev.pulse.identity.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyPair;
import java.util.List;
import java.util.Set;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.lang.UnresolvableKeyException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JWK set file is read again when it changes, so an identity provider's new key works without a restart. */
class KeyResolverTest {

    @TempDir
    Path dir;

    private static JsonWebSignature signedBy(KeyPair pair, String kid) throws Exception {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload("{}");
        jws.setAlgorithmHeaderValue("ES256");
        jws.setKeyIdHeaderValue(kid);
        jws.setKey(pair.getPrivate());
        return (JsonWebSignature) JsonWebSignature.fromCompactSerialization(jws.getCompactSerialization());
    }

    private static JsonWebKey jwk(KeyPair pair, String kid) throws Exception {
        JsonWebKey key = PublicJsonWebKey.Factory.newPublicJwk(pair.getPublic());
        key.setKeyId(kid);
        return key;
    }

    @Test
    void aChangedFileIsReadAgainAndAnUnreadableOneKeepsTheKeysLastRead() throws Exception {
        KeyPair old = PublicKeyTokensTest.ec();
        KeyPair fresh = PublicKeyTokensTest.ec();
        Path file = dir.resolve("jwks.json");
        Files.writeString(file, new JsonWebKeySet(jwk(old, "old")).toJson());
        KeyResolver resolver = new KeyResolver(List.of(), file, Set.of("ES256"), 0);
        assertEquals(old.getPublic(), resolver.resolveKey(signedBy(old, "old"), List.of()));
        assertThrows(UnresolvableKeyException.class, () -> resolver.resolveKey(signedBy(fresh, "new"), List.of()));

        Files.writeString(file, new JsonWebKeySet(jwk(old, "old"), jwk(fresh, "new")).toJson());
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
        assertEquals(fresh.getPublic(), resolver.resolveKey(signedBy(fresh, "new"), List.of()));
        assertEquals(old.getPublic(), resolver.resolveKey(signedBy(old, "old"), List.of()), "side by side");

        Files.writeString(file, "{not json");
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 20_000));
        assertEquals(fresh.getPublic(), resolver.resolveKey(signedBy(fresh, "new"), List.of()), "kept");
    }
}
