package dev.pulse.identity.control;

import dev.pulse.config.AuthSettings;
import dev.pulse.identity.entity.AuthFailure;
import dev.pulse.identity.entity.Verdict;
import dev.pulse.protocol.UserNames;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.lang.JoseException;

/**
 * Identity tokens, verified and minted with jose4j: signed JWTs (HS256/384/512 with shared secrets, RS/PS/ES with
 * public keys), with {@code sub} the user, a required {@code exp}, {@code aud} this service, {@code iss} when
 * configured, {@code nbf} and {@code iat} honoured within the leeway, unknown {@code crit} headers refused. Every
 * refusal names the check that failed ({@link AuthFailure}).
 */
public final class Tokens {

    /** Far above any real token (a few hundred bytes), low enough that parsing junk stays cheap. */
    public static final int MAX_LENGTH = 8192;

    private final AuthSettings settings;
    private final TokenKeys keys;
    private final KeyResolver resolver;

    public Tokens(AuthSettings settings, SecureRandom random) {
        this.settings = settings;
        this.keys = new TokenKeys(settings, random);
        this.resolver = new KeyResolver(keys.fixed(), settings.jwksFile() == null ? null : Path.of(settings.jwksFile()),
                settings.algorithms());
    }

    /** Whether {@link #mint} makes tokens this node accepts: minted tokens are HS256. */
    public boolean canMint() {
        return settings.algorithms().contains(AlgorithmIdentifiers.HMAC_SHA256);
    }

    public String mint(String user, long expiresAtMillis, long nowMillis) {
        if (!UserNames.valid(user)) {
            throw new IllegalArgumentException("user must be " + UserNames.RULE);
        }
        JwtClaims claims = new JwtClaims();
        claims.setSubject(user);
        claims.setAudience(settings.audience());
        if (settings.issuer() != null) {
            claims.setIssuer(settings.issuer());
        }
        claims.setIssuedAt(NumericDate.fromMilliseconds(nowMillis));
        claims.setExpirationTime(NumericDate.fromMilliseconds(expiresAtMillis));
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
        jws.setHeader("typ", "JWT");
        jws.setKey(keys.signing().getKey());
        if (keys.signing().getKeyId() != null) {
            jws.setKeyIdHeaderValue(keys.signing().getKeyId());
        }
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException("could not sign a token", e);
        }
    }

    public Verdict verify(String token, long nowMillis) {
        if (token == null || token.isEmpty()) {
            return Verdict.failed(AuthFailure.MALFORMED);
        }
        if (token.length() > MAX_LENGTH) {
            return Verdict.failed(AuthFailure.TOO_LARGE);
        }
        int leeway = (int) Math.ceil(settings.leeway() / 1000.0);
        JwtConsumerBuilder builder = new JwtConsumerBuilder()
                .setEvaluationTime(NumericDate.fromMilliseconds(nowMillis))
                .setAllowedClockSkewInSeconds(leeway)
                .setIssuedAtRestrictions(0, Integer.MAX_VALUE) // a future iat (beyond the skew) is refused, not an old one
                .setRequireExpirationTime()
                .setRequireSubject()
                .setExpectedAudience(settings.audience())
                .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT,
                        settings.algorithms().toArray(String[]::new))
                .setSkipVerificationKeyResolutionOnNone() // so that "none" meets the algorithm check, not the key lookup
                .setVerificationKeyResolver(resolver);
        if (settings.issuer() != null) {
            builder.setExpectedIssuer(settings.issuer());
        } else {
            builder.setExpectedIssuer(false, null);
        }
        try {
            JwtClaims claims = builder.build().processToClaims(token);
            String user = claims.getClaimValue("sub") instanceof String s ? s : null;
            if (!UserNames.valid(user)) {
                return Verdict.failed(AuthFailure.SUBJECT);
            }
            return new Verdict(user, claims.getExpirationTime().getValueInMillis(), null);
        } catch (InvalidJwtException e) {
            return Verdict.failed(TokenFailures.of(e));
        } catch (org.jose4j.jwt.MalformedClaimException | RuntimeException | StackOverflowError e) {
            return Verdict.failed(AuthFailure.MALFORMED); // the library's parser on junk it did not expect
        }
    }
}
