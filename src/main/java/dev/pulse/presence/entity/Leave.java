package dev.pulse.presence.entity;

/** A user who left a topic, and why. */
public record Leave(String topic, String user, long time, LeaveReason reason) {
}
