package dev.pulse.presence.control;

import dev.pulse.presence.entity.PresenceEvent;

/** Hears every join and leave of every topic, once per node, whichever node caused it. */
@FunctionalInterface
public interface PresenceListener {

    void presence(PresenceEvent event);
}
