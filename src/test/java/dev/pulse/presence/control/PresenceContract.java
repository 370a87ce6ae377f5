package dev.pulse.presence.control;


import dev.pulse.presence.entity.Leave;
import dev.pulse.presence.entity.LeaveReason;
import dev.pulse.presence.entity.Member;
import dev.pulse.presence.entity.PresenceEvent;
import dev.pulse.protocol.StoreUnavailableException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What every {@link Presence} must do, whichever keeps it (this node's memory, Redis): joins and leaves told to
 * the listener once, the grace period that makes a reload no leave, an unsubscribe that leaves at once, expiry,
 * members with their connections, and failures as {@link StoreUnavailableException}. A store runs it by
 * extending it.
 *
 * <p>A shared store tells events asynchronously (through its pub/sub), so events are awaited, never assumed to
 * have arrived; that nothing was told is shown by a marker event of the same topic arriving next (one topic's
 * events are told in order).
 */
public abstract class PresenceContract {

    protected static final long GRACE = 5000;
    private static final long WAIT_SECONDS = 5;

    /** Every event the store told, in the order it told them. */
    protected final BlockingQueue<PresenceEvent> events = new LinkedBlockingQueue<>();
    private Presence presence;
    private int markers;

    /** A presence store with nobody in it, with this grace period, that tells its events to {@code listener}. */
    protected abstract Presence newPresence(long grace, PresenceListener listener) throws Exception;

    /** One that cannot reach what keeps presence, or null if this kind of store cannot be unavailable. */
    protected abstract Presence unavailablePresence() throws Exception;

    protected Presence presence() throws Exception {
        if (presence == null) {
            presence = newPresence(GRACE, events::add);
        }
        return presence;
    }

    /** The next event, failing if none is told within a few seconds. */
    protected PresenceEvent next() throws InterruptedException {
        PresenceEvent event = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(event, "no presence event within " + WAIT_SECONDS + " s");
        return event;
    }

    /** Nothing was told about the topic so far: a marker user's join and leave are the next events. */
    protected void assertQuiet(String topic, String why) throws Exception {
        String marker = "marker-" + ++markers;
        presence().add(topic, marker, "marker-session", 1);
        PresenceEvent joined = next();
        assertEquals(PresenceEvent.join(topic, marker, 1), joined, why);
        presence().remove(topic, marker, "marker-session", LeaveReason.UNSUBSCRIBED, 2);
        assertEquals(PresenceEvent.leave(new Leave(topic, marker, 2, LeaveReason.UNSUBSCRIBED)), next(), why);
    }

    @Test
    void aUserJoinsWithTheFirstSessionAndCountsConnections() throws Exception {
        presence().add("room", "alice", "s1", 100);
        assertEquals(PresenceEvent.join("room", "alice", 100), next());
        presence().add("room", "alice", "s2", 200);
        presence().add("room", "bob", "s3", 300);
        assertEquals(PresenceEvent.join("room", "bob", 300), next(), "no second join for alice's second session");
        presence().add("room", "alice", "s2", 400);
        assertEquals(List.of(new Member("alice", 100, 2), new Member("bob", 300, 1)), presence().members("room"),
                "listed once, by their first join, with every session counted once");
        assertTrue(presence().members("elsewhere").isEmpty());
        assertQuiet("room", "no event for a session added twice");
    }

    @Test
    void unsubscribingTheLastSessionLeavesAtOnce() throws Exception {
        presence().add("room", "alice", "s1", 100);
        presence().add("room", "alice", "s2", 100);
        assertEquals(PresenceEvent.join("room", "alice", 100), next());
        presence().remove("room", "alice", "s1", LeaveReason.UNSUBSCRIBED, 200);
        assertEquals(List.of(new Member("alice", 100, 1)), presence().members("room"));
        presence().remove("room", "alice", "s2", LeaveReason.UNSUBSCRIBED, 300);
        assertEquals(PresenceEvent.leave(new Leave("room", "alice", 300, LeaveReason.UNSUBSCRIBED)), next(),
                "no leave while another session stayed, one when the last went");
        assertTrue(presence().members("room").isEmpty());
        assertFalse(presence().listed("room"));
    }

    @Test
    void aCloseLeavesOnlyAfterTheGracePeriodAndIsListedMeanwhile() throws Exception {
        presence().add("room", "alice", "s1", 100);
        assertEquals(PresenceEvent.join("room", "alice", 100), next());
        presence().remove("room", "alice", "s1", LeaveReason.CLOSED, 1000);
        assertEquals(List.of(new Member("alice", 100, 0)), presence().members("room"), "listed, no connections");
        presence().expire(5999);
        assertQuiet("room", "no leave within the grace period");
        presence().expire(6000);
        assertEquals(PresenceEvent.leave(new Leave("room", "alice", 6000, LeaveReason.CLOSED)), next());
        assertTrue(presence().members("room").isEmpty());
        assertFalse(presence().listed("room"));
        presence().expire(20_000);
        assertQuiet("room", "a leave is told once");
    }

    @Test
    void aReconnectWithinTheGraceIsNeitherALeaveNorASecondJoin() throws Exception {
        presence().add("room", "alice", "s1", 100);
        assertEquals(PresenceEvent.join("room", "alice", 100), next());
        presence().remove("room", "alice", "s1", LeaveReason.EVICTED, 1000);
        presence().add("room", "alice", "s2", 3000);
        presence().expire(10_000);
        assertQuiet("room", "no leave and no second join");
        assertEquals(List.of(new Member("alice", 100, 1)), presence().members("room"), "since is kept");
    }

    @Test
    void theLeaveReasonIsTheLastSessionsReason() throws Exception {
        presence().add("room", "alice", "s1", 100);
        presence().add("room", "alice", "s2", 100);
        assertEquals(PresenceEvent.join("room", "alice", 100), next());
        presence().remove("room", "alice", "s1", LeaveReason.CLOSED, 900);
        presence().remove("room", "alice", "s2", LeaveReason.EVICTED, 1000);
        presence().expire(7000);
        assertEquals(PresenceEvent.leave(new Leave("room", "alice", 7000, LeaveReason.EVICTED)), next());
    }

    @Test
    void expiryEndsTheGracePeriodsOfEveryTopicThatAreOver() throws Exception {
        presence().add("one", "alice", "s1", 100);
        presence().add("two", "alice", "s1", 100);
        presence().add("two", "bob", "s2", 100);
        Set<PresenceEvent> joins = new HashSet<>(List.of(next(), next(), next()));
        assertEquals(Set.of(PresenceEvent.join("one", "alice", 100), PresenceEvent.join("two", "alice", 100),
                PresenceEvent.join("two", "bob", 100)), joins);
        presence().remove("one", "alice", "s1", LeaveReason.CLOSED, 1000);
        presence().remove("two", "alice", "s1", LeaveReason.CLOSED, 1000);
        presence().remove("two", "bob", "s2", LeaveReason.CLOSED, 4000); // its grace ends later
        presence().expire(6000);
        Set<PresenceEvent> leaves = new HashSet<>(List.of(next(), next()));
        assertEquals(Set.of(PresenceEvent.leave(new Leave("one", "alice", 6000, LeaveReason.CLOSED)),
                PresenceEvent.leave(new Leave("two", "alice", 6000, LeaveReason.CLOSED))), leaves);
        assertEquals(List.of(new Member("bob", 100, 0)), presence().members("two"));
        presence().expire(8999);
        assertQuiet("two", "bob's grace is not over");
        presence().expire(9000);
        assertEquals(PresenceEvent.leave(new Leave("two", "bob", 9000, LeaveReason.CLOSED)), next());
        assertTrue(presence().members("one").isEmpty());
        assertTrue(presence().members("two").isEmpty());
    }

    @Test
    void withoutAGracePeriodACloseLeavesAtOnce() throws Exception {
        Presence none = newPresence(0, events::add);
        none.add("room", "alice", "s1", 100);
        assertEquals(PresenceEvent.join("room", "alice", 100), next());
        none.remove("room", "alice", "s1", LeaveReason.CLOSED, 1000);
        assertEquals(PresenceEvent.leave(new Leave("room", "alice", 1000, LeaveReason.CLOSED)), next());
        assertTrue(none.members("room").isEmpty());
    }

    @Test
    void removingASessionThatIsNotListedChangesNothing() throws Exception {
        presence().add("room", "alice", "s1", 100);
        assertEquals(PresenceEvent.join("room", "alice", 100), next());
        presence().remove("room", "alice", "other", LeaveReason.UNSUBSCRIBED, 200);
        presence().remove("room", "nobody", "s1", LeaveReason.UNSUBSCRIBED, 200);
        presence().remove("nowhere", "alice", "s1", LeaveReason.UNSUBSCRIBED, 200);
        assertQuiet("room", "nothing left");
        assertEquals(List.of(new Member("alice", 100, 1)), presence().members("room"));
    }

    /** Whatever cannot reach the store says so, as one exception that callers answer with {@code unavailable}. */
    @Test
    void aStoreThatCannotBeReachedThrowsStoreUnavailable() throws Exception {
        Presence unavailable = unavailablePresence();
        assumeTrue(unavailable != null, "this store keeps presence in this node's memory: it cannot be unreachable");
        assertThrows(StoreUnavailableException.class, () -> unavailable.add("room", "alice", "s1", 100));
        assertThrows(StoreUnavailableException.class,
                () -> unavailable.remove("room", "alice", "s1", LeaveReason.CLOSED, 200));
        assertThrows(StoreUnavailableException.class, () -> unavailable.expire(300));
        assertThrows(StoreUnavailableException.class, () -> unavailable.members("room"));
    }
}
