package dev.pulse.protocol;

import java.util.Locale;

/** The error codes of the contract's bad-input table; the wire names are the keys of /api/stats errors. */
public enum ErrorCode {
    BAD_JSON,
    UNKNOWN_TYPE,
    BAD_REQUEST,
    FORBIDDEN,
    RATE_LIMITED,
    TOO_LARGE,
    BINARY,
    BAD_FRAME,
    ORIGIN,
    FLOOD,
    UNAVAILABLE,
    INTERNAL,
    UNAUTHENTICATED,
    TOO_MANY_CONNECTIONS,
    UNSUPPORTED_MEDIA_TYPE;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
