package dev.pulse.topic.control;


import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.connection.entity.Connection;
import dev.pulse.connection.entity.EvictionReason;
import dev.pulse.testing.FakeClock;
import dev.pulse.testing.FakePeer;
import dev.pulse.testing.LocalNode;
import dev.pulse.topic.entity.Replay;
import dev.pulse.topic.entity.Sequenced;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopicsTest {

    private FakeClock clock;
    private LocalNode node;
    private SessionRegistry registry;
    private Topics topics;

    @BeforeEach
    void setUp() {
        clock = new FakeClock();
        use(PulseSettings.builder().publishClients(true).history(5, 60_000).topicIdle(1000).presenceGrace(5000).build(), null);
    }

    /** A fresh node with these settings (fixed for a node's life) and fan-out helpers (or null). */
    private void use(PulseSettings settings, Executor fanOut) {
        node = new LocalNode(settings, clock, fanOut);
        registry = node.registry;
        topics = node.topics;
    }

    private static List<Long> seqs(FakePeer peer, String topic) {
        return peer.json("message").stream().filter(m -> topic.equals(m.getString("topic")))
                .map(m -> m.getJsonNumber("seq").longValue()).toList();
    }

    private Connection open(FakePeer peer, String user) {
        Connection c = registry.open(peer, user, null);
        topics.attach(c);
        return c;
    }

    /** Any string as the JSON text a message carries. */
    private static String json(String text) {
        return Json.createValue(text).toString();
    }

    private void publish(String topic, int count) {
        for (int i = 0; i < count; i++) {
            topics.publish(topic, String.valueOf(i));
        }
    }

    @Test
    void subscribedAnswersTheEpochAndLastSeqThenLiveMessagesFollowInOrder() {
        publish("room", 2);
        FakePeer peer = new FakePeer();
        Connection c = open(peer, null);
        topics.subscribe(c, "room", null, null, null);
        publish("room", 3);
        JsonObject subscribed = peer.json().get(0);
        assertEquals("subscribed", subscribed.getString("type"));
        assertEquals(2, subscribed.getInt("seq"));
        assertFalse(subscribed.containsKey("members"));
        assertEquals(List.of(3L, 4L, 5L), seqs(peer, "room"));
        assertEquals(subscribed.getString("epoch"), peer.json("message").get(0).getString("epoch"));
        assertEquals(3, node.stats.messagesOut.sum());
    }

    @Test
    void aResumingSubscriberGetsExactlyWhatItMissedWithoutDuplicates() {
        FakePeer first = new FakePeer();
        Connection c1 = open(first, "ann");
        topics.subscribe(c1, "room", null, null, null);
        publish("room", 3);
        String epoch = first.json("subscribed").get(0).getString("epoch");
        registry.closed(c1, 1000);
        publish("room", 2); // 4, 5 while away
        FakePeer second = new FakePeer();
        Connection c2 = open(second, "ann");
        topics.subscribe(c2, "room", 3L, epoch, null);
        publish("room", 1);
        List<String> types = second.json().stream().map(m -> m.getString("type")).toList();
        assertEquals(List.of("subscribed", "message", "message", "message"), types);
        assertEquals(List.of(4L, 5L, 6L), seqs(second, "room"));
    }

    @Test
    void aResumeBeyondTheHistoryGetsAnExpiredGapFirst() {
        publish("room", 12); // history size 5: keeps 8..12
        FakePeer peer = new FakePeer();
        Connection c = open(peer, null);
        topics.subscribe(c, "room", null, null, null);
        String epoch = peer.json("subscribed").get(0).getString("epoch");
        topics.subscribe(c, "room", 2L, epoch, null);
        JsonObject gap = peer.json("gap").get(0);
        assertEquals(3, gap.getInt("from"));
        assertEquals(7, gap.getInt("to"));
        assertEquals("expired", gap.getString("reason"));
        assertEquals(List.of(8L, 9L, 10L, 11L, 12L), seqs(peer, "room"));
        List<String> types = peer.json().stream().map(m -> m.getString("type")).toList();
        assertEquals(List.of("subscribed", "subscribed", "gap", "message"), types.subList(0, 4));
    }

    @Test
    void aReplayLargerThanTheUnreadLimitDoesNotDropTheResumingSession() {
        use(PulseSettings.builder().queue(2000, 20_000).publishClients(true).history(100, 60_000).topicIdle(1000).presenceGrace(5000).build(), null);
        String big = json("y".repeat(1000));
        for (int i = 0; i < 100; i++) {
            topics.publish("big", big); // 100 K characters retained, 5 times the limit
        }
        FakePeer peer = new FakePeer();
        Connection c = open(peer, null);
        topics.subscribe(c, "big", 0L, null, null);
        assertEquals(100, seqs(peer, "big").size(), "the whole replay");
        assertTrue(registry.find(c.id()).isPresent());
        assertEquals(1, peer.pings.size(), "a probe asks for the acknowledgement at once");
        node.arrivals.pong(c, peer.lastPing());
        topics.publish("big", big);
        assertEquals(101, seqs(peer, "big").size(), "live messages follow once the replay is acknowledged");
    }

    @Test
    void anUnknownEpochIsAResetThenEverythingRetained() {
        publish("room", 2);
        FakePeer peer = new FakePeer();
        Connection c = open(peer, null);
        topics.subscribe(c, "room", 40L, "epoch-before-restart", null);
        JsonObject gap = peer.json("gap").get(0);
        assertEquals("reset", gap.getString("reason"));
        assertTrue(gap.isNull("from") && gap.isNull("to"));
        assertEquals(List.of(1L, 2L), seqs(peer, "room"));
    }

    @Test
    void aRepeatedSubscribeWithoutSinceOnlyAnswers() {
        FakePeer peer = new FakePeer();
        Connection c = open(peer, null);
        topics.subscribe(c, "room", null, null, null);
        publish("room", 1);
        topics.subscribe(c, "room", null, null, null);
        publish("room", 1);
        assertEquals(2, peer.json("subscribed").size());
        assertEquals(List.of(1L, 2L), seqs(peer, "room"), "still subscribed once");
    }

    @Test
    void broadcastAndTheUsersOwnTopicAreSubscribedOnOpen() {
        FakePeer alice = new FakePeer();
        FakePeer anonymous = new FakePeer();
        Connection a = open(alice, "alice");
        open(anonymous, null);
        topics.publish(TopicNames.BROADCAST, json("all"));
        topics.publish("user:alice", json("only alice"));
        assertEquals(List.of(1L), seqs(alice, "broadcast"));
        assertEquals(List.of(1L), seqs(anonymous, "broadcast"));
        assertEquals(List.of(1L), seqs(alice, "user:alice"));
        assertTrue(seqs(anonymous, "user:alice").isEmpty());
        assertTrue(a.topics().containsAll(List.of("broadcast", "user:alice")));
        assertTrue(alice.json("subscribed").isEmpty(), "quiet: no subscribed for the automatic topics");
    }

    @Test
    void aSubscriberThatCannotKeepUpIsDroppedAndDoesNotHoldUpTheOthers() {
        use(PulseSettings.builder().queue(100, 16 << 20).publishClients(true).history(50, 60_000).topicIdle(1000).presenceGrace(5000).build(), null);
        FakePeer stuck = new FakePeer().stall(); // never completes a send: a peer that stopped reading
        FakePeer healthy = new FakePeer();
        Connection s = open(stuck, null);
        Connection h = open(healthy, null);
        topics.subscribe(s, "feed", null, null, null);
        topics.subscribe(h, "feed", null, null, null);
        String payload = json("x".repeat(4096));
        for (int i = 0; i < 200; i++) {
            topics.publish("feed", payload);
        }
        List<Long> expected = new ArrayList<>();
        for (long i = 1; i <= 200; i++) {
            expected.add(i);
        }
        assertEquals(expected, seqs(healthy, "feed"));
        assertEquals(1008, stuck.closeCode);
        assertEquals(1L, node.stats.evictions().get("queue"));
        assertTrue(registry.find(s.id()).isEmpty());
        assertNull(node.subscribers.find("feed", s), "a dropped session leaves its topics");
        assertTrue(registry.find(h.id()).isPresent());
    }

    @Test
    void presenceJoinLeaveWithGraceAndNoFlickerOnReload() {
        FakePeer watcher = new FakePeer();
        Connection w = open(watcher, "watcher");
        topics.subscribe(w, "room", null, null, true);
        assertEquals("watcher", watcher.json("subscribed").get(0).getJsonArray("members").getJsonObject(0)
                .getString("user"));
        FakePeer bob1 = new FakePeer();
        Connection b1 = open(bob1, "bob");
        topics.subscribe(b1, "room", null, null, null);
        assertEquals(1, watcher.json("join").size());
        assertEquals("bob", watcher.json("join").get(0).getString("user"));
        assertTrue(bob1.json("join").isEmpty(), "no events about yourself, none without presence");

        registry.closed(b1, 1000); // a reload: closed ...
        clock.advanceMillis(2000);
        topics.housekeeping();
        FakePeer bob2 = new FakePeer();
        Connection b2 = open(bob2, "bob"); // ... and back within the grace period
        topics.subscribe(b2, "room", null, null, null);
        clock.advanceMillis(10_000);
        topics.housekeeping();
        assertEquals(1, watcher.json("join").size(), "no second join");
        assertTrue(watcher.json("leave").isEmpty(), "no leave");

        registry.drop(b2, EvictionReason.HEARTBEAT, null);
        clock.advanceMillis(4999);
        topics.housekeeping();
        assertTrue(watcher.json("leave").isEmpty(), "still listed during the grace period");
        assertEquals(0, topics.members("room").stream().filter(m -> m.user().equals("bob")).findFirst().orElseThrow()
                .connections());
        clock.advanceMillis(1001);
        topics.housekeeping();
        JsonObject leave = watcher.json("leave").get(0);
        assertEquals("bob", leave.getString("user"));
        assertEquals("evicted", leave.getString("reason"));
    }

    @Test
    void unsubscribeLeavesAtOnce() {
        FakePeer watcher = new FakePeer();
        Connection w = open(watcher, "watcher");
        topics.subscribe(w, "room", null, null, true);
        FakePeer bob = new FakePeer();
        Connection b = open(bob, "bob");
        topics.subscribe(b, "room", null, null, null);
        topics.unsubscribe(b, "room");
        assertEquals("unsubscribed", bob.json("unsubscribed").get(0).getString("reason", "unsubscribed"));
        assertEquals("unsubscribed", watcher.json("leave").get(0).getString("reason"));
        topics.unsubscribe(b, "room");
        assertEquals(2, bob.json("unsubscribed").size(), "idempotent");
    }

    @Test
    void idleTopicsAreDroppedSoMemoryStaysBounded() {
        FakePeer peer = new FakePeer();
        Connection c = open(peer, "ann");
        topics.publish(TopicNames.BROADCAST, json("kept"));
        for (int i = 0; i < 50; i++) {
            topics.subscribe(c, "t" + i, null, null, null);
            topics.publish("t" + i, String.valueOf(i));
            topics.unsubscribe(c, "t" + i);
        }
        assertEquals(51, node.topicStore().size(), "every topic retains its message");
        assertEquals(2, topics.size(), "subscribed on this node: broadcast and user:ann");
        clock.advanceMillis(60_001 + 1000); // history ttl and idle time
        topics.housekeeping();
        assertEquals(1, node.topicStore().size(), "only broadcast, which has a subscriber, is kept");
        assertEquals(2, topics.size());
        assertEquals(List.of(1L), seqs(peer, TopicNames.BROADCAST));
        topics.publish(TopicNames.BROADCAST, json("same epoch"));
        assertEquals(List.of(1L, 2L), seqs(peer, TopicNames.BROADCAST), "a topic in use keeps its sequence");
    }

    /** Publishing races resuming subscribers: each still sees every seq once, in order. */
    @Test
    void resumeDuringConcurrentPublishingLosesAndDuplicatesNothing() throws Exception {
        use(PulseSettings.builder().publishClients(true).history(1000, 60_000).topicIdle(1000).presenceGrace(5000).build(), null);
        FakePeer seed = new FakePeer();
        Connection s = open(seed, null);
        topics.subscribe(s, "race", null, null, null);
        String epoch = seed.json("subscribed").get(0).getString("epoch");
        Thread publisher = new Thread(() -> publish("race", 900));
        publisher.start();
        List<FakePeer> peers = new ArrayList<>();
        List<Long> sinces = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            FakePeer p = new FakePeer();
            Connection c = open(p, null);
            long delivered = seqs(seed, "race").size(); // never beyond the topic's last seq
            long since = ThreadLocalRandom.current().nextLong(0, delivered + 1);
            topics.subscribe(c, "race", since, epoch, null);
            peers.add(p);
            sinces.add(since);
        }
        publisher.join();
        for (int i = 0; i < peers.size(); i++) {
            List<Long> got = seqs(peers.get(i), "race");
            assertNull(peers.get(i).json("gap").stream().findFirst().orElse(null));
            assertEquals(900 - sinces.get(i), got.size(), "subscriber " + i + " got every seq after " + sinces.get(i));
            for (int k = 0; k < got.size(); k++) {
                assertEquals(sinces.get(i) + 1 + k, got.get(k), "subscriber " + i + " at " + k);
            }
        }
    }

    /**
     * A fan-out that finds a new subscription before its subscribe has read the replay (a publish racing the
     * subscribe) must not send it anything before the answer: it was once sent first, and the client, with no epoch
     * for the topic yet, could not place it.
     */
    @Test
    void aSubscriptionMadeForAReplayHoldsWhatAFanOutBringsBeforeItsAnswer() {
        FakePeer p = new FakePeer();
        Connection c = open(p, null);
        Subscription found = node.subscribers.subscribe("race", c, false, true, new boolean[1]);
        found.deliver(new Sequenced("race", 8, "e1", 0, "\"x\""), new Delivery(registry, node.stats)); // the racing fan-out
        assertEquals(List.of(), p.json().stream().filter(m -> "race".equals(m.getString("topic", null))).toList());
        found.replayed(new Replay("e1", 7, null, List.of()), false, "{\"type\":\"subscribed\",\"topic\":\"race\"}",
                new Delivery(registry, node.stats));
        assertEquals(List.of("subscribed", "message"), p.json().stream().filter(m -> "race".equals(m.getString("topic", null)))
                .map(m -> m.getString("type")).toList());
    }

    /** Large topics are delivered from several threads: still every message, in order, to every subscriber. */
    @Test
    void parallelFanOutKeepsEachSubscribersOrderAndDropsTheStuck() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        java.util.concurrent.atomic.AtomicInteger helped = new java.util.concurrent.atomic.AtomicInteger();
        use(PulseSettings.builder().queue(10, 16 << 20).publishClients(true).history(50, 60_000).topicIdle(1000).presenceGrace(5000).build(),
                task -> pool.execute(() -> {
                    helped.incrementAndGet();
                    task.run();
                }));
        try {
            List<FakePeer> peers = new ArrayList<>();
            for (int i = 0; i < FanOut.PARALLEL_MIN + 100; i++) {
                FakePeer peer = new FakePeer();
                peers.add(peer);
                topics.subscribe(open(peer, null), "big", null, null, null);
            }
            FakePeer stuck = new FakePeer().stall();
            Connection s = open(stuck, null);
            topics.subscribe(s, "big", null, null, null);
            Thread other = new Thread(() -> publish("big", 15));
            other.start();
            publish("big", 15);
            other.join();
            List<Long> expected = new ArrayList<>();
            for (long i = 1; i <= 30; i++) {
                expected.add(i);
            }
            for (int i = 0; i < peers.size(); i += 97) {
                assertEquals(expected, seqs(peers.get(i), "big"), "subscriber " + i);
            }
            assertEquals(30L * peers.size(), peers.stream().mapToLong(p -> seqs(p, "big").size()).sum());
            assertTrue(helped.get() > 0, "helpers delivered some slices");
            assertEquals(1008, stuck.closeCode);
            assertNull(node.subscribers.find("big", s), "the dropped session left the topic");
        } finally {
            pool.shutdownNow();
        }
    }
}
