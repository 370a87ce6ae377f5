package dev.pulse.presence.entity;

/** A user joined or left a topic; {@code reason} is null for a join. */
public record PresenceEvent(String topic, String user, long time, boolean join, LeaveReason reason) {

    public static PresenceEvent join(String topic, String user, long time) {
        return new PresenceEvent(topic, user, time, true, null);
    }

    public static PresenceEvent leave(Leave leave) {
        return new PresenceEvent(leave.topic(), leave.user(), leave.time(), false, leave.reason());
    }
}
