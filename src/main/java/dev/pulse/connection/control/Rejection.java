package dev.pulse.connection.control;

import dev.pulse.protocol.ErrorCode;

/** A client message that is answered with an error of the contract's table; the connection stays open. */
public class Rejection extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final transient ErrorCode code;

    public Rejection(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
