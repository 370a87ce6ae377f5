package dev.pulse.identity.entity;

import java.util.Locale;

/**
 * Why a connection is refused with 4001: which check its token failed, or that it had none where one is required.
 * The reason goes into the close frame (at most 123 bytes); the wire name is the counter's key in /api/stats.
 */
public enum AuthFailure {
    MALFORMED("invalid token: malformed"),
    TOO_LARGE("invalid token: too large"),
    ALGORITHM("invalid token: algorithm not allowed"),
    CRIT("invalid token: unsupported critical header"),
    UNKNOWN_KEY("invalid token: unknown key"),
    SIGNATURE("invalid token: bad signature"),
    EXPIRED("token expired"),
    NOT_YET_VALID("invalid token: not yet valid (nbf)"),
    ISSUED_IN_FUTURE("invalid token: issued in the future (iat)"),
    ISSUER("invalid token: wrong issuer"),
    AUDIENCE("invalid token: wrong audience"),
    NO_EXPIRY("invalid token: no exp"),
    SUBJECT("invalid token: bad subject"),
    CLAIMS("invalid token: malformed claims"),
    PRINCIPAL("login name is not a Pulse user name"),
    QUERY_PARAM("invalid token: ?token= is off, send it as subprotocol bearer.<token>"),
    REQUIRED("authentication required");

    private final String reason;

    AuthFailure(String reason) {
        this.reason = reason;
    }

    /** The close reason of 4001. */
    public String reason() {
        return reason;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
