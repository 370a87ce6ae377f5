/** Presence: which users are subscribed to a topic, since when, with a grace period so a reload is not a leave. */
package dev.pulse.presence;
