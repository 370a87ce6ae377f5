package dev.pulse.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pulse.cluster.Peer.Received;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * "Any mix" of the contract's several nodes: one Payara Micro node and one WildFly node sharing one Redis, started
 * here as processes of their own on free ports, pass the cross-node basics of {@link TwoNodesIT}: one global seq per
 * topic and in-order fan-out to subscribers on both servers within 1 s whichever server took the publish, one epoch,
 * resume on the other server (in both directions) with the replay and gap rules, one presence seen alike from both,
 * and broadcast and user topics everywhere. Runs once, in the WildFly failsafe execution (which passes
 * {@code wildfly.home}, unpacked and set up before it); Payara Micro is the jar the build copies into target/.
 */
@EnabledIfSystemProperty(named = "it.container", matches = "wildfly.*")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WildFlyPayaraIT {

    static final long GRACE = 2000;
    static final int HISTORY = 20;
    /** A WildFly or Payara boot on a fresh, busy machine: a cap, not a wait. */
    static final Duration BOOT = Duration.ofSeconds(300);
    static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    static Fleet fleet;
    static WildFlyNode wildfly;
    static PayaraNode payara;
    static NodeView p;
    static NodeView w;

    CrossNodeChecks check;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(RedisProc.available(), "redis-server is not installed");
        fleet = Fleet.create("WildFlyPayaraIT");
        RedisProc redis = fleet.redis("redis");
        Map<String, String> env = Fleet.env(redis.uri(), false);
        env.put("PULSE_PRESENCE_GRACE", Long.toString(GRACE));
        env.put("PULSE_HISTORY_SIZE", Integer.toString(HISTORY));
        // both boots overlap: WildFly first (it does not block), then Payara Micro (waits until ready)
        long start = System.nanoTime();
        wildfly = WildFlyNode.start("node-w", fleet.dir.resolve("node-w"), fleet.war, env);
        payara = fleet.nodes(env, "node-p").get(0);
        wildfly.awaitReady(BOOT);
        Procs.report("node-p (Payara Micro) and " + wildfly + " ready in " + Procs.millisSince(start) + " ms");
        p = NodeView.of(payara, "Payara Micro");
        w = NodeView.of(wildfly, "WildFly");
    }

    @AfterAll
    static void stop() {
        try {
            if (wildfly != null) {
                wildfly.close();
            }
        } finally {
            if (fleet != null) {
                fleet.close();
            }
        }
    }

    @BeforeEach
    void checks() {
        check = new CrossNodeChecks(p, w, RUN);
    }

    @AfterEach
    void closePeers() {
        check.close();
    }

    Peer peer(NodeView node, String user, String label) throws IOException, InterruptedException {
        return check.peer(node, user, label);
    }

    static long httpPublish(NodeView node, String topic, String id) {
        return CrossNodeChecks.httpPublish(node.http(), topic, id);
    }

    @Test
    @Order(1)
    void eachServerNamesItselfAndSharesTheStore() {
        JsonObject sp = payara.stats();
        JsonObject sw = wildfly.stats();
        assertEquals("node-p", sp.getString("node", null), "Payara /api/stats: " + sp);
        assertEquals("node-w", sw.getString("node", null), "WildFly /api/stats: " + sw);
        assertTrue(sp.get("store") instanceof JsonObject, "/api/stats.store on Payara: " + sp);
        assertTrue(sw.get("store") instanceof JsonObject, "/api/stats.store on WildFly: " + sw);
        Procs.report("stats.store on Payara: " + sp.get("store") + "; on WildFly: " + sw.get("store"));
    }

    @Test
    @Order(2)
    void everySubscriberOnBothServersGetsEverySeqOnceInOrderWithinOneSecond() throws Exception {
        String topic = "mixfan-" + RUN;
        List<Peer> subs = List.of(peer(p, null, "sub-p1"), peer(p, null, "sub-p2"), peer(w, null, "sub-w1"),
                peer(w, null, "sub-w2"));
        Map<String, String> nodeOf = Map.of("sub-p1", "p", "sub-p2", "p", "sub-w1", "w", "sub-w2", "w");
        String epoch = null;
        for (Peer s : subs) {
            JsonObject answer = s.subscribe(topic);
            assertEquals(0, answer.getJsonNumber("seq").longValue(), s.label + ": " + answer);
            if (epoch == null) {
                epoch = answer.getString("epoch");
            }
            assertEquals(epoch, answer.getString("epoch"), s.label + " epoch: " + answer);
        }
        Peer pp = peer(p, null, "pub-p");
        Peer pw = peer(w, null, "pub-w");
        FanOut fan = new FanOut(topic, (way, id) -> switch (way) {
            case "http-p" -> httpPublish(p, topic, id);
            case "http-w" -> httpPublish(w, topic, id);
            case "ws-p" -> pp.publish(topic, id, Peer.WAIT);
            default -> pw.publish(topic, id, Peer.WAIT);
        });
        List<String> ways = List.of("http-p", "http-w", "ws-p", "ws-w");
        int sequential = 40;
        for (int i = 0; i < sequential; i++) {
            String id = "s" + i;
            String way = ways.get(i % ways.size());
            assertEquals(i + 1, fan.publish(way, id), "one seq for the topic whichever server took publish " + id + " (" + way + ")");
        }
        // then four publishers at once, two per server: the seqs still never collide and never skip
        int perWay = 15;
        fan.concurrently(ways, perWay);
        long last = sequential + (long) ways.size() * perWay;
        FanOut.Result got = fan.check(subs, nodeOf, epoch, last, Duration.ofSeconds(15), "both servers");
        Procs.report("mixed fan-out, accepted -> arrival: all " + Procs.summary(got.latencies()) + "; cross-server "
                + Procs.summary(got.crossNode()));
        assertTrue(got.late().isEmpty(), "every message reaches every subscriber within 1 s of its publish: " + got.late());
    }

    @Test
    @Order(3)
    void bothServersAnswerTheSameEpochForATopicWithoutMessages() throws Exception {
        check.sameEpochForATopicWithoutMessages("mixepoch-");
    }

    @Test
    @Order(4)
    void aResumeWorksOnTheOtherServerInBothDirections() throws Exception {
        for (NodeView[] pair : new NodeView[][] {{p, w}, {w, p}}) {
            NodeView from = pair[0];
            NodeView to = pair[1];
            String topic = "mixresume-" + from.id() + "-" + RUN;
            Peer first = peer(from, null, "first-on-" + from.id());
            String epoch = first.subscribe(topic).getString("epoch");
            for (int i = 1; i <= 5; i++) {
                assertEquals(i, httpPublish(i % 2 == 0 ? to : from, topic, "r" + i));
            }
            Streams.until(first, topic, 5, Peer.WAIT);
            first.close(); // the drop; the client comes back on the other server

            Peer resumer = peer(to, null, "resumer-on-" + to.id());
            JsonObject answer = resumer.resume(topic, 2, epoch);
            assertEquals(epoch, answer.getString("epoch"), to + ": " + answer);
            assertEquals(5, answer.getJsonNumber("seq").longValue(), to + ": " + answer);
            for (long seq = 3; seq <= 5; seq++) {
                Received r = resumer.expect("message");
                assertEquals(seq, r.seq(), "replay after since=2 on " + to + ": " + r);
                assertEquals("r" + seq, r.dataId(), r.toString());
            }
            assertEquals(6, httpPublish(from, topic, "r6"));
            Received live = resumer.expect("message");
            assertEquals(6, live.seq(), "then live, published on " + from + ": " + live);

            Peer upToDate = peer(from, null, "up-to-date-on-" + from.id());
            assertEquals(6, upToDate.resume(topic, 6, epoch).getJsonNumber("seq").longValue());
            assertEquals(7, httpPublish(to, topic, "r7"));
            assertEquals(7, upToDate.expect("message").seq(), "since = last seq: nothing replayed, then live");

            // a wrong epoch: a reset, then every retained message
            Peer reset = peer(to, null, "reset-on-" + to.id());
            JsonObject s = reset.resume(topic, 3, "not-" + epoch);
            assertEquals(epoch, s.getString("epoch"), s.toString());
            Received gap = reset.expect("gap");
            assertEquals("reset", gap.json().getString("reason"), gap.toString());
            for (long seq = 1; seq <= 7; seq++) {
                assertEquals(seq, reset.expect("message").seq(), reset.label + " replay after a reset");
            }
        }

        // more than the history holds, published on both: a gap naming exactly what is gone, then the newest
        check.expiredGapThenReplayOnTheOtherNode("mixexpired-" + RUN, 120, HISTORY);
    }

    @Test
    @Order(5)
    void presenceIsOneViewFromBothServers() throws Exception {
        check.presenceIsOneView("mixpresence-" + RUN, "mu", w, p, List.of(w, p), GRACE, "mixed");
    }

    @Test
    @Order(6)
    void broadcastAndUserTopicsReachSessionsOnBothServers() throws Exception {
        check.broadcastAndUserTopicsReachSessionsOnEveryNode(w, p, "mixed");
    }
}
