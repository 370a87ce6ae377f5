package dev.pulse.protocol;

/**
 * The shared store did not answer in time or refused: whatever needed it is answered {@code unavailable}
 * (HTTP 503) and is not carried out later.
 */
public class StoreUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreUnavailableException(String message) {
        super(message);
    }
}
