package dev.pulse.testing;

import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.lang.JoseException;

/** Tokens made by hand for tests: any header and claims, HMAC-signed byte by byte, or signed by jose4j. */
public final class Jwts {

    private Jwts() {
    }

    public static String b64(String text) {
        return b64(text.getBytes(StandardCharsets.UTF_8));
    }

    public static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** base64url(header).base64url(claims).HMAC of both with {@code secret} ({@code HmacSHA256} etc.). */
    public static String hmac(String macAlgorithm, byte[] secret, String header, String claims) {
        String unsigned = b64(header) + "." + b64(claims);
        try {
            Mac mac = Mac.getInstance(macAlgorithm);
            mac.init(new SecretKeySpec(secret, macAlgorithm));
            return unsigned + "." + b64(mac.doFinal(unsigned.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String hs256(String secret, String header, String claims) {
        return hmac("HmacSHA256", secret.getBytes(StandardCharsets.UTF_8), header, claims);
    }

    /** The usual HS256 header, claims as given. */
    public static String hs256(String secret, String claims) {
        return hs256(secret, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims);
    }

    /** Signed by jose4j with {@code alg} (RS256, ES256, …) and {@code kid} (or null). */
    public static String signed(Key key, String alg, String kid, String claims) {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims);
        jws.setAlgorithmHeaderValue(alg);
        jws.setKey(key);
        if (kid != null) {
            jws.setKeyIdHeaderValue(kid);
        }
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Claims with sub, aud "pulse" and exp {@code expSeconds}, plus {@code more} (",\"iat\":1" …). */
    public static String claims(String user, long expSeconds, String more) {
        return "{\"sub\":\"" + user + "\",\"aud\":\"pulse\",\"exp\":" + expSeconds + more + "}";
    }
}
