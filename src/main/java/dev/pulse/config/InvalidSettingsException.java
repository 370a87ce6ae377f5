package dev.pulse.config;

/** Thrown at startup so that a deployment with nonsensical settings fails with a clear message. */
public class InvalidSettingsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InvalidSettingsException(String message) {
        super(message);
    }
}
