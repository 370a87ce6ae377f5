package dev.pulse.presence.control;


import dev.pulse.presence.entity.Leave;
import dev.pulse.presence.entity.LeaveReason;
import dev.pulse.presence.entity.PresenceEvent;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The presence contract in this node's memory, where events are told at once, on the caller's thread. */
class InMemoryPresenceTest extends PresenceContract {

    @Override
    protected Presence newPresence(long grace, PresenceListener listener) {
        return new InMemoryPresence(grace, listener);
    }

    @Override
    protected Presence unavailablePresence() {
        return null; // nothing to reach: memory is always there
    }

    @Test
    void eventsAreToldBeforeTheCallReturns() throws Exception {
        presence().add("room", "alice", "s1", 100);
        assertEquals(PresenceEvent.join("room", "alice", 100), events.poll());
        presence().remove("room", "alice", "s1", LeaveReason.UNSUBSCRIBED, 200);
        assertEquals(PresenceEvent.leave(new Leave("room", "alice", 200, LeaveReason.UNSUBSCRIBED)), events.poll());
    }

    /** Topics ask whether anybody is listed before they forget a topic's history. */
    @Test
    void aTopicIsListedWhileAnybodyIsInItOrInTheirGracePeriod() throws Exception {
        assertFalse(presence().listed("room"));
        presence().add("room", "alice", "s1", 100);
        assertTrue(presence().listed("room"));
        presence().remove("room", "alice", "s1", LeaveReason.CLOSED, 1000);
        assertTrue(presence().listed("room"), "about to leave");
        presence().expire(1000 + GRACE);
        assertFalse(presence().listed("room"));
    }
}
