package dev.pulse.topic.control;

import dev.pulse.connection.control.Clock;
import dev.pulse.connection.entity.Connection;
import dev.pulse.presence.control.Presence;
import dev.pulse.presence.entity.LeaveReason;
import dev.pulse.presence.entity.Member;
import dev.pulse.protocol.StoreUnavailableException;
import dev.pulse.protocol.Wire;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/** This node's named sessions as the presence store lists them, per topic; anonymous sessions are never listed. */
final class Listing {

    private static final Logger LOG = System.getLogger(Listing.class.getName());

    private final Presence presence;
    private final Clock clock;

    Listing(Presence presence, Clock clock) {
        this.presence = presence;
        this.clock = clock;
    }

    /** Lists the session's user; true if listed. Throws {@link StoreUnavailableException}. */
    boolean add(Connection connection, String topic) {
        if (connection.user() == null) {
            return false;
        }
        presence.add(topic, connection.user(), connection.id(), clock.millis());
        return true;
    }

    /** Lists it if the store can; a topic the session is attached to by itself must not fail for presence. */
    void addIfAvailable(Connection connection, String topic) {
        try {
            add(connection, topic);
        } catch (StoreUnavailableException e) {
            LOG.log(Level.DEBUG, () -> "Presence of " + connection.id() + " in " + topic + " not kept: " + e);
        }
    }

    /** The session is no longer in the topic; its user leaves (after the grace period, unless the reason says not). */
    void remove(Connection connection, String topic, LeaveReason reason) {
        if (connection.user() == null) {
            return;
        }
        try {
            presence.remove(topic, connection.user(), connection.id(), reason, clock.millis());
        } catch (StoreUnavailableException e) {
            LOG.log(Level.DEBUG, () -> "Presence of " + connection.id() + " in " + topic + " not removed: " + e);
        }
    }

    /** Lists every live session of every local topic again (the store had counted this node dead). */
    void reannounce(Subscribers subscribers) {
        for (String topic : subscribers.topics()) {
            for (Subscription subscription : subscribers.live(topic)) {
                if (!subscription.connection().isGone()) {
                    add(subscription.connection(), topic);
                }
            }
        }
    }

    /** The members as the wire shows them: {@code [{"user","since","connections"}]}. */
    JsonArray json(String topic) {
        JsonArrayBuilder array = Wire.builders().createArrayBuilder();
        for (Member m : presence.members(topic)) {
            array.add(Wire.object().add("user", m.user()).add("since", m.since()).add("connections", m.connections()));
        }
        return array.build();
    }
}
