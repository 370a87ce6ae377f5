package dev.pulse.identity.entity;

/** The outcome of checking a token: its user and expiry, or the check it failed. */
public record Verdict(String user, long expiresAt, AuthFailure failure) {

    public static Verdict failed(AuthFailure why) {
        return new Verdict(null, 0, why);
    }

    public boolean valid() {
        return failure == null;
    }
}
