package dev.pulse.topic.entity;

/** Messages a resuming subscriber asked for but cannot get: {@code from}/{@code to} are null for a reset. */
public record Gap(Long from, Long to, String reason) {

    public static final String EXPIRED = "expired";
    public static final String RESET = "reset";

    public static Gap reset() {
        return new Gap(null, null, RESET);
    }

    public static Gap expired(long from, long to) {
        return new Gap(from, to, EXPIRED);
    }
}
