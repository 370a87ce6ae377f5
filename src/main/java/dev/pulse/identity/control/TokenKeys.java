package dev.pulse.identity.control;

import dev.pulse.config.AuthSettings;
import dev.pulse.config.InvalidSettingsException;
import dev.pulse.config.Secrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.OctetSequenceJsonWebKey;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.lang.JoseException;

/**
 * The keys tokens are checked with: HMAC secrets (by key id, and the unnamed {@code pulse.auth.token-secret}),
 * PEM public keys and the keys of a JWK set file; and the one key minted tokens are signed with (the first
 * HMAC key, else a random one made for this start). A token with a {@code kid} is checked with that key only;
 * one without is tried against every key of its algorithm's type, so keys can be rotated with or without ids.
 */
final class TokenKeys {

    private static final int RANDOM_BYTES = 32;

    private final List<JsonWebKey> fixed = new ArrayList<>();
    private final OctetSequenceJsonWebKey signing;

    TokenKeys(AuthSettings settings, SecureRandom random) {
        OctetSequenceJsonWebKey first = null;
        for (Map.Entry<String, String> e : settings.hmacKeys().entrySet()) {
            OctetSequenceJsonWebKey key = hmac(Secrets.bytes(e.getValue()), e.getKey());
            fixed.add(key);
            first = first == null ? key : first;
        }
        if (settings.secret() != null) {
            OctetSequenceJsonWebKey key = hmac(Secrets.bytes(settings.secret()), null);
            fixed.add(key);
            first = first == null ? key : first;
        }
        if (first == null) { // nothing shared: tokens minted here work on this node until it stops
            byte[] bytes = new byte[RANDOM_BYTES];
            random.nextBytes(bytes);
            first = hmac(bytes, null);
            fixed.add(first);
        }
        signing = first;
        for (Map.Entry<String, String> e : settings.publicKeys().entrySet()) {
            fixed.add(pem(Path.of(e.getValue()), e.getKey()));
        }
    }

    OctetSequenceJsonWebKey signing() {
        return signing;
    }

    List<JsonWebKey> fixed() {
        return List.copyOf(fixed);
    }

    private static OctetSequenceJsonWebKey hmac(byte[] secret, String kid) {
        OctetSequenceJsonWebKey key = new OctetSequenceJsonWebKey(new javax.crypto.spec.SecretKeySpec(secret,
                "HmacSHA256"));
        if (kid != null) {
            key.setKeyId(kid);
        }
        return key;
    }

    /** A PEM file of a public key (SubjectPublicKeyInfo, "BEGIN PUBLIC KEY"), RSA or EC. */
    static JsonWebKey pem(Path file, String kid) {
        try {
            String text = Files.readString(file);
            String base64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            X509EncodedKeySpec spec = new X509EncodedKeySpec(Base64.getDecoder().decode(base64));
            PublicKey key;
            try {
                key = KeyFactory.getInstance("RSA").generatePublic(spec);
            } catch (GeneralSecurityException notRsa) {
                key = KeyFactory.getInstance("EC").generatePublic(spec);
            }
            PublicJsonWebKey jwk = PublicJsonWebKey.Factory.newPublicJwk(key);
            if (!kid.startsWith(AuthSettings.UNNAMED)) {
                jwk.setKeyId(kid);
            }
            return jwk;
        } catch (IOException | GeneralSecurityException | JoseException | IllegalArgumentException e) {
            throw new InvalidSettingsException("pulse.auth.public-keys: " + file + " is not a readable PEM public key"
                    + " (RSA or EC): " + e.getMessage());
        }
    }

    /** The keys of a JWK set file (public keys only: a private or secret key in it is ignored). */
    static List<JsonWebKey> jwks(Path file) {
        try {
            List<JsonWebKey> keys = new ArrayList<>();
            for (JsonWebKey key : new JsonWebKeySet(Files.readString(file)).getJsonWebKeys()) {
                if (key instanceof PublicJsonWebKey pub) {
                    keys.add(PublicJsonWebKey.Factory.newPublicJwk(pub.toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY)));
                }
            }
            return keys;
        } catch (IOException | JoseException | RuntimeException e) {
            throw new InvalidSettingsException("pulse.auth.jwks-file: " + file + " is not a readable JWK set: "
                    + e.getMessage());
        }
    }
}
