package dev.pulse.presence.entity;

/** A user listed in a topic's presence: since when, and how many of their sessions are subscribed now. */
public record Member(String user, long since, int connections) {
}
