package dev.pulse.presence.entity;

/** A user who left a topic, and why: {@code closed}, {@code evicted} or {@code unsubscribed}. */
public record Leave(String topic, String user, long time, String reason) {

    public static final String CLOSED = "closed";
    public static final String EVICTED = "evicted";
    public static final String UNSUBSCRIBED = "unsubscribed";
}
