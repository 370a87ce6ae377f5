package dev.pulse.topic.control;

import dev.pulse.presence.control.PresenceListener;
import dev.pulse.presence.entity.PresenceEvent;
import dev.pulse.protocol.Wire;
import java.util.Objects;

/** Tells a join or leave to this node's subscribers that asked for presence, except the sessions of that user. */
public final class PresenceAnnouncer implements PresenceListener {

    private final Subscribers subscribers;
    private final Delivery out;

    public PresenceAnnouncer(Subscribers subscribers, Delivery out) {
        this.subscribers = subscribers;
        this.out = out;
    }

    @Override
    public void presence(PresenceEvent event) {
        String wire = event.join() ? Wire.join(event.topic(), event.user(), event.time())
                : Wire.leave(event.topic(), event.user(), event.time(), event.reason().wire());
        for (Subscription subscription : subscribers.live(event.topic())) {
            if (subscription.presence() && !Objects.equals(subscription.connection().user(), event.user())) {
                subscription.event(wire, out);
            }
        }
    }
}
