package dev.pulse.topic.entity;

/** Messages a resuming subscriber asked for but cannot get: {@code from}/{@code to} are null for a reset. */
public record Gap(Long from, Long to, GapReason reason) {

    public static Gap reset() {
        return new Gap(null, null, GapReason.RESET);
    }

    public static Gap expired(long from, long to) {
        return new Gap(from, to, GapReason.EXPIRED);
    }
}
