package dev.pulse.presence.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.presence.entity.Leave;
import dev.pulse.presence.entity.Member;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InMemoryPresenceTest {

    private final InMemoryPresence presence = new InMemoryPresence(() -> 5000);

    @Test
    void aUserJoinsWithTheFirstSessionAndCountsConnections() {
        assertTrue(presence.add("room", "alice", "s1", 100));
        assertFalse(presence.add("room", "alice", "s2", 200));
        assertTrue(presence.add("room", "bob", "s3", 300));
        assertEquals(List.of(new Member("alice", 100, 2), new Member("bob", 300, 1)), presence.members("room"));
    }

    @Test
    void unsubscribingTheLastSessionLeavesAtOnce() {
        presence.add("room", "alice", "s1", 100);
        presence.add("room", "alice", "s2", 100);
        assertEquals(Optional.empty(), presence.remove("room", "alice", "s1", Leave.UNSUBSCRIBED, 200));
        assertEquals(Optional.of(new Leave("room", "alice", 300, Leave.UNSUBSCRIBED)),
                presence.remove("room", "alice", "s2", Leave.UNSUBSCRIBED, 300));
        assertTrue(presence.members("room").isEmpty());
    }

    @Test
    void aCloseLeavesOnlyAfterTheGracePeriodAndIsListedMeanwhile() {
        presence.add("room", "alice", "s1", 100);
        assertEquals(Optional.empty(), presence.remove("room", "alice", "s1", Leave.CLOSED, 1000));
        assertEquals(List.of(new Member("alice", 100, 0)), presence.members("room"));
        assertTrue(presence.expire("room", 5999).isEmpty());
        assertEquals(List.of(new Leave("room", "alice", 6000, Leave.CLOSED)), presence.expire("room", 6000));
        assertTrue(presence.members("room").isEmpty());
        assertTrue(presence.empty("room"));
    }

    @Test
    void aReconnectWithinTheGraceIsNeitherALeaveNorASecondJoin() {
        presence.add("room", "alice", "s1", 100);
        presence.remove("room", "alice", "s1", Leave.EVICTED, 1000);
        assertFalse(presence.add("room", "alice", "s2", 3000), "no second join");
        assertTrue(presence.expire("room", 10_000).isEmpty(), "no leave");
        assertEquals(List.of(new Member("alice", 100, 1)), presence.members("room"), "since is kept");
    }

    @Test
    void theLeaveReasonIsTheLastSessionsReason() {
        presence.add("room", "alice", "s1", 100);
        presence.remove("room", "alice", "s1", Leave.EVICTED, 1000);
        assertEquals(Leave.EVICTED, presence.expire("room", 7000).get(0).reason());
    }
}
