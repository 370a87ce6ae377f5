package dev.pulse.cluster;

import static dev.pulse.cluster.CrossNodeChecks.SLACK;
import static dev.pulse.cluster.CrossNodeChecks.presenceEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pulse.cluster.Peer.Received;
import dev.pulse.cluster.Publisher.Attempt;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
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
 * "Several nodes" of the contract on real servers: two Payara Micro nodes sharing one Redis behind nginx (round
 * robin), started here on free ports. One global seq per topic and in-order fan-out to both nodes within 1 s, one
 * epoch, resume on the other node with the replay and gap rules, one presence, broadcast and user topics
 * everywhere; then a node is killed (SIGKILL): its clients resume on the other node losing nothing, and its users
 * leave as {@code evicted} between grace and grace + node timeout after its death; restarted, it answers the same
 * epochs and seqs. Runs once, in the Payara failsafe execution.
 */
@EnabledIfSystemProperty(named = "it.container", matches = "payara.*")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoNodesIT {

    static final long GRACE = 2000;
    static final long NODE_TIMEOUT = 4000;
    static final int HISTORY = 20;
    static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    static Fleet fleet;
    static PayaraNode a;
    static PayaraNode b;
    static ProxyNginx nginx;
    /** The fan-out test's topic, its epoch and last seq (checked again on the restarted node). */
    static String fanTopic;
    static String fanEpoch;
    static long fanLast;

    CrossNodeChecks check;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(RedisProc.available(), "redis-server is not installed");
        assumeTrue(ProxyNginx.binary() != null, "nginx is not installed");
        fleet = Fleet.create("TwoNodesIT");
        RedisProc redis = fleet.redis("redis");
        Map<String, String> env = Fleet.env(redis.uri(), false);
        env.put("PULSE_NODE_TIMEOUT", Long.toString(NODE_TIMEOUT));
        env.put("PULSE_PRESENCE_GRACE", Long.toString(GRACE));
        env.put("PULSE_HISTORY_SIZE", Integer.toString(HISTORY));
        List<PayaraNode> nodes = fleet.nodes(env, "node-a", "node-b");
        a = nodes.get(0);
        b = nodes.get(1);
        nginx = fleet.nginx(a, b);
    }

    @AfterAll
    static void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    @BeforeEach
    void checks() {
        check = new CrossNodeChecks(NodeView.of(a, "Payara Micro"), NodeView.of(b, "Payara Micro"), RUN);
    }

    @AfterEach
    void closePeers() {
        check.close();
    }

    Peer peer(URI ws, String user, String label) throws IOException, InterruptedException {
        return check.peer(ws, user, label);
    }

    /** A connection through nginx that landed on the given node (round robin: a few tries at most). */
    Peer viaNginxOn(PayaraNode node, String user, String label) throws IOException, InterruptedException {
        for (int i = 0; i < 8; i++) {
            Peer p = Peer.connect(nginx.ws, user, label);
            if (node.serves(p.session)) {
                check.peers.add(p);
                return p;
            }
            p.close();
        }
        throw new AssertionError("8 connections through nginx, none on " + node);
    }

    // the helpers StoreOutageIT and RedisClusterIT use, now in CrossNodeChecks

    static long httpPublish(URI base, String topic, String id) {
        return CrossNodeChecks.httpPublish(base, topic, id);
    }

    static Set<String> users(JsonObject presence) {
        return CrossNodeChecks.users(presence);
    }

    static int connections(JsonObject presence, String user) {
        return CrossNodeChecks.connections(presence, user);
    }

    static JsonObject presenceOver(PayaraNode node, String topic) {
        return CrossNodeChecks.presenceOver(NodeView.of(node, "Payara Micro"), topic);
    }

    @Test
    @Order(1)
    void eachNodeNamesItselfInStatsAndNginxSpreadsOverBoth() {
        JsonObject sa = a.stats();
        JsonObject sb = b.stats();
        assertEquals("node-a", sa.getString("node", null), "node-a /api/stats: " + sa);
        assertEquals("node-b", sb.getString("node", null), "node-b /api/stats: " + sb);
        assertTrue(sa.get("store") instanceof JsonObject, "/api/stats.store: " + sa);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            Http.Answer r = Http.get(nginx.http.resolve("api/stats"));
            assertEquals(200, r.status(), "through nginx: " + r);
            seen.add(r.json().getString("node"));
        }
        assertEquals(Set.of("node-a", "node-b"), seen, "round robin through nginx reaches both nodes");
        Procs.report("stats.store on node-a: " + sa.get("store"));
    }

    @Test
    @Order(2)
    void everySubscriberOnEveryNodeGetsEverySeqOnceInOrderWithinOneSecond() throws Exception {
        String topic = "fan-" + RUN;
        Peer sa = peer(a.ws, null, "sub-a");
        Peer sb = peer(b.ws, null, "sub-b");
        Peer sn1 = peer(nginx.ws, null, "sub-nginx-1");
        Peer sn2 = peer(nginx.ws, null, "sub-nginx-2");
        List<Peer> subs = List.of(sa, sb, sn1, sn2);
        Map<String, String> nodeOf = new HashMap<>();
        for (Peer s : subs) {
            nodeOf.put(s.label, a.serves(s.session) ? "a" : "b");
        }
        String epoch = null;
        for (Peer s : subs) {
            JsonObject answer = s.subscribe(topic);
            assertEquals(0, answer.getJsonNumber("seq").longValue(), s.label + ": " + answer);
            if (epoch == null) {
                epoch = answer.getString("epoch");
            }
            assertEquals(epoch, answer.getString("epoch"), s.label + " (node " + nodeOf.get(s.label) + ") epoch: " + answer);
        }
        Peer pa = peer(a.ws, null, "pub-a");
        Peer pb = peer(b.ws, null, "pub-b");
        FanOut fan = new FanOut(topic, (way, id) -> switch (way) {
            case "http-a" -> httpPublish(a.http, topic, id);
            case "http-b" -> httpPublish(b.http, topic, id);
            case "ws-a" -> pa.publish(topic, id, Peer.WAIT);
            case "ws-b" -> pb.publish(topic, id, Peer.WAIT);
            default -> httpPublish(nginx.http, topic, id);
        });
        String[] ways = {"http-a", "http-b", "ws-a", "ws-b", "http-nginx"};
        int sequential = 40;
        for (int i = 0; i < sequential; i++) {
            String id = "s" + i;
            String way = ways[i % ways.length];
            assertEquals(i + 1, fan.publish(way, id), "one seq for the topic whichever node took publish " + id + " (" + way + ")");
        }
        // then four publishers at once, two per node: the seqs still never collide and never skip
        int perWay = 15;
        fan.concurrently(List.of("http-a", "http-b", "ws-a", "ws-b"), perWay);
        long last = sequential + 4L * perWay;
        FanOut.Result got = fan.check(subs, nodeOf, epoch, last, Duration.ofSeconds(10), "two nodes");
        Procs.report("fan-out, accepted -> arrival: all " + Procs.summary(got.latencies()) + "; cross-node "
                + Procs.summary(got.crossNode()) + "; publish start -> arrival " + Procs.summary(got.fromStart())
                + " (subscribers on " + nodeOf + ")");
        assertTrue(got.late().isEmpty(), "every message reaches every subscriber within 1 s of its publish: " + got.late());
        fanTopic = topic;
        fanEpoch = epoch;
        fanLast = last;
    }

    @Test
    @Order(3)
    void everyNodeAnswersTheSameEpochForATopicWithoutMessages() throws Exception {
        check.sameEpochForATopicWithoutMessages("epoch-");
    }

    @Test
    @Order(4)
    void aResumeWorksOnTheOtherNodeWithTheReplayAndGapRules() throws Exception {
        String topic = "resume-" + RUN;
        Peer first = peer(a.ws, null, "first-on-a");
        String epoch = first.subscribe(topic).getString("epoch");
        for (int i = 1; i <= 5; i++) {
            assertEquals(i, httpPublish(a.http, topic, "r" + i));
        }
        Streams.until(first, topic, 5, Peer.WAIT);
        first.close(); // the drop; the client comes back on the other node

        Peer onB = peer(b.ws, null, "resumer-on-b");
        JsonObject answer = onB.resume(topic, 2, epoch);
        assertEquals(epoch, answer.getString("epoch"), answer.toString());
        assertEquals(5, answer.getJsonNumber("seq").longValue(), answer.toString());
        for (long seq = 3; seq <= 5; seq++) {
            Received r = onB.expect("message");
            assertEquals(seq, r.seq(), "replay after since=2 on the other node: " + r);
            assertEquals("r" + seq, r.dataId(), r.toString());
        }
        assertEquals(6, httpPublish(a.http, topic, "r6"));
        Received live = onB.expect("message");
        assertEquals(6, live.seq(), "then live, published on the other node: " + live);

        Peer upToDate = peer(a.ws, null, "up-to-date-on-a");
        assertEquals(6, upToDate.resume(topic, 6, epoch).getJsonNumber("seq").longValue());
        assertEquals(7, httpPublish(b.http, topic, "r7"));
        Received next = upToDate.expect("message");
        assertEquals(7, next.seq(), "since = last seq: nothing replayed, then live: " + next);

        // since above the last seq in the same epoch, and a wrong epoch: a reset, then every retained message
        for (Object[] c : new Object[][] {{b, 9L, epoch}, {a, 3L, "not-" + epoch}}) {
            PayaraNode node = (PayaraNode) c[0];
            Peer p = peer(node.ws, null, "reset-" + node.id);
            JsonObject s = p.resume(topic, (Long) c[1], (String) c[2]);
            assertEquals(epoch, s.getString("epoch"), s.toString());
            assertEquals(7, s.getJsonNumber("seq").longValue(), s.toString());
            Received gap = p.expect("gap");
            assertEquals("reset", gap.json().getString("reason"), gap.toString());
            assertTrue(gap.json().isNull("from") && gap.json().isNull("to"), gap.toString());
            for (long seq = 1; seq <= 7; seq++) {
                assertEquals(seq, p.expect("message").seq(), p.label + " replay after a reset");
            }
        }

        // more than the history holds: a gap naming exactly what is gone, then a contiguous replay to the newest
        int total = 250;
        long oldest = check.expiredGapThenReplayOnTheOtherNode("expired-" + RUN, total, HISTORY);
        Procs.report("resume on the other node: since=2 replayed 3..5; 250 messages with history " + HISTORY
                + ": gap 11.." + (oldest - 1) + ", replay " + oldest + ".." + total);
    }

    @Test
    @Order(5)
    void presenceIsOneViewAcrossNodes() throws Exception {
        check.presenceIsOneView("presence-" + RUN, "pu", check.first, check.second, List.of(check.second), GRACE, "");
    }

    @Test
    @Order(6)
    void broadcastAndUserTopicsReachSessionsOnEveryNode() throws Exception {
        check.broadcastAndUserTopicsReachSessionsOnEveryNode(check.first, check.second, "");
    }

    @Test
    @Order(10)
    void aKilledNodesClientsResumeOnTheOtherAndItsUsersLeaveEvicted() throws Exception {
        String topic = "kill-" + RUN;
        Peer watcher = peer(a.ws, "kill-watch", "watcher-on-a");
        String epoch = watcher.subscribeWithPresence(topic).getString("epoch");
        Peer victim = viaNginxOn(b, "victim", "victim-on-b");
        Peer mover = viaNginxOn(b, "mover", "mover-on-b");
        Peer anon = viaNginxOn(b, null, "anon-on-b");
        Peer stay = viaNginxOn(a, null, "anon-on-a");
        for (Peer p : List.of(victim, mover, anon, stay)) {
            assertEquals(epoch, p.subscribe(topic).getString("epoch"), p.label);
        }
        for (String u : List.of("victim", "mover")) {
            assertEquals("join", presenceEvent(watcher, u, Duration.ofSeconds(3)).type());
        }
        Publisher pub = new Publisher(topic, "k", Duration.ofMillis(200),
                List.of(Publisher.http("http-nginx", nginx.http), Publisher.http("http-a", a.http)));
        pub.start();
        long killStart;
        long dead;
        Peer anon2;
        Peer mover2;
        long reconnected;
        Received leave;
        try {
            assertTrue(Procs.await(Duration.ofSeconds(10), Duration.ofMillis(20), () -> pub.acked() >= 8), "publishing");
            killStart = System.nanoTime();
            b.kill();
            dead = b.deadNanos();
            for (Peer p : List.of(victim, mover, anon)) {
                assertTrue(p.ended(Duration.ofSeconds(10)), p.label + ": its connection ends when its node dies");
            }
            long lastAnon = lastSeq(anon, topic);
            long lastMover = lastSeq(mover, topic);
            // they come back through nginx, which now sends them to node-a, and resume where they were
            anon2 = peer(nginx.ws, null, "anon-again");
            mover2 = peer(nginx.ws, "mover", "mover-again");
            assertTrue(a.serves(anon2.session) && a.serves(mover2.session), "reconnected to the surviving node");
            JsonObject s1 = anon2.resume(topic, lastAnon, epoch);
            JsonObject s2 = mover2.resume(topic, lastMover, epoch);
            reconnected = System.nanoTime();
            assertEquals(epoch, s1.getString("epoch"), s1.toString());
            assertEquals(epoch, s2.getString("epoch"), s2.toString());
            leave = watcher.await("the victim's leave", r -> "leave".equals(r.type()) && "victim".equals(r.json().getString("user", null)),
                    Duration.ofMillis(GRACE + NODE_TIMEOUT + 10_000));
            Thread.sleep(500); // a few more publishes after the leave
        } finally {
            pub.stop();
        }
        List<Attempt> attempts = pub.attempts();
        // a POST that nginx had already sent to node-b when it died fails (502: nginx never resends a POST); it
        // may or may not have been stored. Any other failure is a bug.
        List<Attempt> inFlight = attempts.stream()
                .filter(x -> !x.acked() && x.startNanos() < dead && x.endNanos() >= killStart).toList();
        List<Attempt> failed = attempts.stream().filter(x -> !x.acked() && !inFlight.contains(x)).toList();
        assertTrue(failed.isEmpty(), "every publish (through nginx or to node-a) accepted while node-b died, but for "
                + "one in flight to it: " + failed);
        Map<Long, String> idOf = new HashMap<>();
        attempts.stream().filter(Attempt::acked).forEach(x -> idOf.put(x.seq(), x.id()));
        Set<String> maybe = inFlight.stream().map(Attempt::id).collect(Collectors.toSet());
        long last = Math.max(attempts.stream().mapToLong(Attempt::seq).max().orElseThrow(),
                stay.received().stream().filter(Streams.message(topic)).mapToLong(Received::seq).max().orElse(0));

        // nothing lost across the node's death: old connection + resumed connection = every seq once, in order
        for (Peer[] pair : new Peer[][] {{anon, anon2}, {mover, mover2}, {stay, null}}) {
            List<Received> stream = new ArrayList<>();
            if (pair[1] == null) { // never disconnected
                stream.addAll(Streams.until(pair[0], topic, last, Duration.ofSeconds(5)));
            } else {
                stream.addAll(pair[0].received().stream().filter(Streams.messageOrGap(topic)).toList());
                stream.addAll(Streams.until(pair[1], topic, last, Duration.ofSeconds(5)));
            }
            assertEquals(Streams.range(1, last), Streams.seqs(stream),
                    pair[0].label + (pair[1] == null ? "" : " then its resumed connection") + ": every seq once, in order, no gap");
            for (Received r : stream) {
                if (!maybe.contains(r.dataId())) {
                    assertEquals(idOf.get(r.seq()), r.dataId(), r.toString());
                }
            }
        }

        long leaveAfterKill = Procs.millis(killStart, leave.nanos());
        long leaveAfterDeath = Procs.millis(dead, leave.nanos());
        Procs.report("node-b killed: clients reconnected and resumed " + Procs.millis(killStart, reconnected)
                + " ms after the kill; victim's leave " + leaveAfterKill + " ms after the kill (" + leaveAfterDeath
                + " after the process was gone), bounds [" + GRACE + ", " + (GRACE + NODE_TIMEOUT) + "]; " + attempts.size()
                + " publishes meanwhile, max " + attempts.stream().mapToLong(Attempt::millis).max().orElse(0) + " ms, "
                + inFlight.size() + " in flight to node-b when it died: " + inFlight);
        assertEquals("evicted", leave.json().getString("reason"), leave.toString());
        assertTrue(leaveAfterKill >= GRACE, "no leave earlier than the grace period after the death: " + leaveAfterKill + " ms");
        assertTrue(leaveAfterDeath <= GRACE + NODE_TIMEOUT + SLACK,
                "leave no later than grace + node timeout after the death: " + leaveAfterDeath + " ms");

        // mover came back within the grace period: no leave, no second join; one member, one connection
        List<Received> aboutMover = watcher.received().stream()
                .filter(r -> ("join".equals(r.type()) || "leave".equals(r.type())) && "mover".equals(r.json().getString("user", null)))
                .toList();
        assertEquals(1, aboutMover.size(), "mover reconnected within the grace period: only its first join: " + aboutMover);
        JsonObject members = presenceOver(a, topic);
        assertEquals(Set.of("kill-watch", "mover"), users(members), members.toString());
        assertEquals(1, connections(members, "mover"), members.toString());
    }

    private static long lastSeq(Peer p, String topic) {
        return p.received().stream().filter(Streams.message(topic)).mapToLong(Received::seq).max().orElse(0);
    }

    @Test
    @Order(11)
    void aRestartedNodeAnswersTheSameEpochAndSeq() throws Exception {
        assumeTrue(fanTopic != null, "needs the fan-out test's topic");
        if (b.alive()) {
            b.kill();
        }
        long start = System.nanoTime();
        b.start();
        b.awaitReady(Duration.ofSeconds(180));
        Procs.report("node-b restarted, ready in " + Procs.millisSince(start) + " ms");
        assertEquals("node-b", b.stats().getString("node"));
        Peer p = peer(b.ws, null, "after-restart");
        JsonObject s = p.resume(fanTopic, fanLast - 3, fanEpoch);
        assertEquals(fanEpoch, s.getString("epoch"), "a node restart does not change the epoch: " + s);
        assertEquals(fanLast, s.getJsonNumber("seq").longValue(), s.toString());
        for (long seq = fanLast - 2; seq <= fanLast; seq++) {
            assertEquals(seq, p.expect("message").seq());
        }
        assertEquals(fanLast + 1, httpPublish(b.http, fanTopic, "after-restart"));
        Received m = p.expect("message");
        assertEquals(fanLast + 1, m.seq(), m.toString());
    }
}
