package dev.pulse.identity.control;

import dev.pulse.identity.entity.AuthFailure;
import org.jose4j.jwt.consumer.ErrorCodes;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.lang.InvalidAlgorithmException;
import org.jose4j.lang.UnresolvableKeyException;

/** Which check a token failed, read from jose4j's error codes (and, where it has none, the cause). */
final class TokenFailures {

    private TokenFailures() {
    }

    static AuthFailure of(InvalidJwtException e) {
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof InvalidAlgorithmException || cause instanceof KeyResolver.AlgorithmRefused) {
                return AuthFailure.ALGORITHM;
            }
            if (cause instanceof KeyResolver.NoneVerified) {
                return AuthFailure.SIGNATURE;
            }
            if (cause instanceof KeyResolver.CritRefused) {
                return AuthFailure.CRIT;
            }
            if (cause instanceof UnresolvableKeyException) {
                return AuthFailure.UNKNOWN_KEY;
            }
        }
        // the signature is checked before any claim: claims of a token that is not genuine are never judged
        int[][] order = {
            {ErrorCodes.SIGNATURE_INVALID, ErrorCodes.SIGNATURE_MISSING}, {ErrorCodes.EXPIRED},
            {ErrorCodes.NOT_YET_VALID}, {ErrorCodes.ISSUED_AT_INVALID_FUTURE},
            {ErrorCodes.ISSUER_INVALID, ErrorCodes.ISSUER_MISSING}, {ErrorCodes.AUDIENCE_INVALID,
                ErrorCodes.AUDIENCE_MISSING}, {ErrorCodes.EXPIRATION_MISSING},
            {ErrorCodes.SUBJECT_MISSING, ErrorCodes.SUBJECT_INVALID}, {ErrorCodes.MALFORMED_CLAIM}};
        AuthFailure[] failures = {AuthFailure.SIGNATURE, AuthFailure.EXPIRED, AuthFailure.NOT_YET_VALID,
            AuthFailure.ISSUED_IN_FUTURE, AuthFailure.ISSUER, AuthFailure.AUDIENCE, AuthFailure.NO_EXPIRY,
            AuthFailure.SUBJECT, AuthFailure.CLAIMS};
        for (int i = 0; i < order.length; i++) {
            for (int code : order[i]) {
                if (e.hasErrorCode(code)) {
                    return failures[i];
                }
            }
        }
        return AuthFailure.MALFORMED;
    }
}
