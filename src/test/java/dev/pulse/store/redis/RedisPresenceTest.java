package dev.pulse.store.redis;


import dev.pulse.config.StoreSettings;
import dev.pulse.monitoring.control.StoreStats;
import dev.pulse.presence.control.Presence;
import dev.pulse.presence.control.PresenceContract;
import dev.pulse.presence.control.PresenceListener;
import dev.pulse.presence.entity.Leave;
import dev.pulse.presence.entity.LeaveReason;
import dev.pulse.presence.entity.Member;
import dev.pulse.presence.entity.PresenceEvent;
import dev.pulse.testing.RedisServer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The presence contract in a real Redis, where events come back through the node's subscription (asynchronously,
 * once per node), and what only a shared store does: users across nodes, and a dead node's sessions.
 */
class RedisPresenceTest extends PresenceContract {

    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final ExecutorService lanes = Executors.newCachedThreadPool();

    @BeforeEach
    void emptyRedis() throws Exception {
        REDIS.flushAll();
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        lanes.shutdownNow();
    }

    /** A node's presence as RedisStore builds it: its events heard through its own subscription. */
    private RedisPresence node(String uri, String node, long grace, PresenceListener listener) {
        RedisLink link = new RedisLink(StoreSettings.redis(uri, node, 10_000));
        resources.add(link);
        link.connect(new Bus(node, new SerialLanes(8, lanes), listener, new StoreStats(), System::currentTimeMillis,
                probe -> { }, () -> { }));
        return new RedisPresence(link, node, grace);
    }

    @Override
    protected Presence newPresence(long grace, PresenceListener listener) {
        return node(REDIS.uri(), "node-a", grace, listener);
    }

    /** Connected to a Redis that then went away. */
    @Override
    protected Presence unavailablePresence() throws Exception {
        RedisServer doomed = new RedisServer().start();
        resources.add(doomed::stop);
        Presence presence = node(doomed.uri(), "node-a", GRACE, event -> { });
        presence.members("room"); // it did work
        doomed.stop();
        return presence;
    }

    private static PresenceEvent next(BlockingQueue<PresenceEvent> events) throws InterruptedException {
        PresenceEvent event = events.poll(5, TimeUnit.SECONDS);
        assertNotNull(event, "no presence event within 5 s");
        return event;
    }

    /** One user on two nodes is listed once; every node hears the join and the leave once. */
    @Test
    void aUserOnTwoNodesIsOneMemberAndEveryNodeHearsEachEventOnce() throws Exception {
        BlockingQueue<PresenceEvent> heardOnB = new LinkedBlockingQueue<>();
        Presence a = presence();
        Presence b = node(REDIS.uri(), "node-b", GRACE, heardOnB::add);
        a.add("room", "alice", "a1", 100);
        b.add("room", "alice", "b1", 200);
        PresenceEvent join = PresenceEvent.join("room", "alice", 100);
        assertEquals(join, next());
        assertEquals(join, next(heardOnB));
        assertEquals(List.of(new Member("alice", 100, 2)), b.members("room"));
        a.remove("room", "alice", "a1", LeaveReason.UNSUBSCRIBED, 300);
        assertEquals(List.of(new Member("alice", 100, 1)), a.members("room"), "still on node b");
        b.remove("room", "alice", "b1", LeaveReason.UNSUBSCRIBED, 400);
        PresenceEvent leave = PresenceEvent.leave(new Leave("room", "alice", 400, LeaveReason.UNSUBSCRIBED));
        assertEquals(leave, next(), "no second join and no early leave heard on node a");
        assertEquals(leave, next(heardOnB), "nor on node b");
        assertQuiet("room", "each event once");
    }

    /** A node that died without closing its sessions: its users leave as evicted, after the grace period. */
    @Test
    void aDeadNodesUsersLeaveAsEvictedAfterTheGraceUnlessOnAnotherNode() throws Exception {
        Presence a = presence();
        RedisPresence dead = node(REDIS.uri(), "node-dead", GRACE, event -> { });
        dead.add("room", "bob", "d1", 100);
        dead.add("room", "carol", "d2", 100);
        a.add("room", "carol", "a1", 150);
        assertEquals(PresenceEvent.join("room", "bob", 100), next());
        assertEquals(PresenceEvent.join("room", "carol", 100), next());
        dead.nodeGone("node-dead", 10_000); // as the node that noticed the death calls it
        assertEquals(List.of(new Member("bob", 100, 0), new Member("carol", 100, 1)), a.members("room"));
        a.expire(9999);
        assertQuiet("room", "within the grace period");
        a.expire(10_000);
        assertEquals(PresenceEvent.leave(new Leave("room", "bob", 10_000, LeaveReason.EVICTED)), next());
        assertEquals(List.of(new Member("carol", 100, 1)), a.members("room"), "carol is still on node a");
    }

    /** Both nodes end the same grace periods at once: each leave is announced once, none is lost. */
    @Test
    void nodesExpiringTogetherAnnounceEachLeaveOnce() throws Exception {
        Presence a = presence();
        RedisPresence b = node(REDIS.uri(), "node-b", GRACE, event -> { });
        for (int i = 0; i < 20; i++) {
            a.add("room-" + i, "u" + i, "s" + i, 100);
            assertEquals(PresenceEvent.join("room-" + i, "u" + i, 100), next());
            a.remove("room-" + i, "u" + i, "s" + i, LeaveReason.CLOSED, 1000);
        }
        long due = 1000 + GRACE;
        Thread other = new Thread(() -> b.expire(due));
        other.start();
        a.expire(due);
        other.join();
        Set<PresenceEvent> leaves = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            assertTrue(leaves.add(next()), "a leave announced twice");
        }
        for (int i = 0; i < 20; i++) {
            assertQuiet("room-" + i, "each leave once");
        }
    }

    /** A node that claimed due leaves and died before announcing them delays them by the lease, no more. */
    @Test
    void leavesClaimedByANodeThatDiedAreAnnouncedAfterTheLease() throws Exception {
        Presence a = presence();
        a.add("room", "alice", "s1", 100);
        assertEquals(PresenceEvent.join("room", "alice", 100), next());
        a.remove("room", "alice", "s1", LeaveReason.CLOSED, 1000);
        long due = 1000 + GRACE;
        // as the claim of a node that died right after it
        REDIS.command("ZADD " + Keys.LEAVING + " " + (due + RedisPresence.CLAIM_LEASE_MILLIS) + " room");
        a.expire(due);
        assertQuiet("room", "claimed by another node");
        a.expire(due + RedisPresence.CLAIM_LEASE_MILLIS);
        assertEquals(PresenceEvent.leave(new Leave("room", "alice", due + RedisPresence.CLAIM_LEASE_MILLIS,
                LeaveReason.CLOSED)), next());
    }
}
