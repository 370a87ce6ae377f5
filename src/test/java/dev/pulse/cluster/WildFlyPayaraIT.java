package dev.pulse.cluster;

import static dev.pulse.cluster.Peer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pulse.cluster.Peer.Received;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
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
    /** The contract's bound for a message or presence event to reach the other node. */
    static final long ONE_SECOND = 1000;
    /** Allowance for the measurement itself (reading the frame on a loaded 2-core machine); added to upper bounds. */
    static final long SLACK = 250;
    /** A WildFly or Payara boot on a fresh, busy machine: a cap, not a wait. */
    static final Duration BOOT = Duration.ofSeconds(300);
    static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    /** One server of the two, whichever kind. */
    record Node(String id, String kind, URI http, URI ws) {

        boolean serves(String session) {
            Http.Answer a = Http.get(http.resolve("api/connections"));
            assertEquals(200, a.status(), id + " GET api/connections: " + a);
            return a.jsonArray().getValuesAs(JsonObject.class).stream()
                    .anyMatch(c -> session.equals(c.getString("session", null)));
        }

        JsonObject stats() {
            Http.Answer a = Http.get(http.resolve("api/stats"));
            assertEquals(200, a.status(), id + " GET api/stats: " + a);
            return a.json();
        }

        @Override
        public String toString() {
            return id + " (" + kind + ")";
        }
    }

    static Fleet fleet;
    static WildFlyNode wildfly;
    static Node p;
    static Node w;

    final List<Peer> peers = new ArrayList<>();

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
        PayaraNode payara = fleet.nodes(env, "node-p").get(0);
        wildfly.awaitReady(BOOT);
        Procs.report("node-p (Payara Micro) and " + wildfly + " ready in " + Procs.millisSince(start) + " ms");
        p = new Node(payara.id, "Payara Micro", payara.http, payara.ws);
        w = new Node(wildfly.id, "WildFly", wildfly.http, wildfly.ws);
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

    @AfterEach
    void closePeers() {
        peers.forEach(Peer::close);
        peers.clear();
    }

    Peer peer(Node node, String user, String label) throws IOException, InterruptedException {
        Peer peer = Peer.connect(node.ws(), user, label);
        peers.add(peer);
        return peer;
    }

    static long httpPublish(Node node, String topic, String id) {
        Http.Answer r = Http.post(node.http().resolve("api/topics/" + topic + "/messages"), "{\"id\":\"" + id + "\"}");
        assertEquals(202, r.status(), "POST " + node + " api/topics/" + topic + "/messages: " + r);
        assertEquals(topic, r.json().getString("topic"), r.toString());
        return r.json().getJsonNumber("seq").longValue();
    }

    static Set<String> users(JsonObject presence) {
        return presence.getJsonArray("members").getValuesAs(JsonObject.class).stream().map(m -> m.getString("user"))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    static int connections(JsonObject presence, String user) {
        return presence.getJsonArray("members").getValuesAs(JsonObject.class).stream()
                .filter(m -> user.equals(m.getString("user"))).mapToInt(m -> m.getInt("connections")).findFirst().orElse(-1);
    }

    static JsonObject presenceOver(Node node, String topic) {
        Http.Answer r = Http.get(node.http().resolve("api/topics/" + topic + "/presence"));
        assertEquals(200, r.status(), node + " presence: " + r);
        return r.json();
    }

    static Received presenceEvent(Peer peer, String user, Duration timeout) throws InterruptedException {
        return peer.await("join/leave of " + user,
                r -> ("join".equals(r.type()) || "leave".equals(r.type())) && user.equals(r.json().getString("user", null)),
                timeout);
    }

    @Test
    @Order(1)
    void eachServerNamesItselfAndSharesTheStore() {
        JsonObject sp = p.stats();
        JsonObject sw = w.stats();
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
        Map<String, Long> acked = new ConcurrentHashMap<>();
        Map<String, Long> seqOf = new ConcurrentHashMap<>();
        Map<String, String> publishedOn = new ConcurrentHashMap<>();
        String[] ways = {"http-p", "http-w", "ws-p", "ws-w"};
        int sequential = 40;
        for (int i = 0; i < sequential; i++) {
            String id = "s" + i;
            String way = ways[i % ways.length];
            long seq = publish(way, topic, id, pp, pw);
            acked.put(id, System.nanoTime());
            assertEquals(i + 1, seq, "one seq for the topic whichever server took publish " + id + " (" + way + ")");
            seqOf.put(id, seq);
            publishedOn.put(id, way.substring(way.length() - 1));
        }
        // then four publishers at once, two per server: the seqs still never collide and never skip
        int perWay = 15;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (String way : ways) {
                running.add(pool.submit(() -> {
                    for (int i = 0; i < perWay; i++) {
                        String id = "c-" + way + "-" + i;
                        long seq = publish(way, topic, id, pp, pw);
                        acked.put(id, System.nanoTime());
                        seqOf.put(id, seq);
                        publishedOn.put(id, way.substring(way.length() - 1));
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        long last = sequential + (long) ways.length * perWay;
        assertEquals(Streams.range(1, last), seqOf.values().stream().sorted().toList(),
                "every publish got its own seq, 1.." + last + ", with both servers publishing at once");
        Map<Long, String> idOf = new HashMap<>();
        seqOf.forEach((id, seq) -> idOf.put(seq, id));

        List<Long> latencies = new ArrayList<>();
        List<Long> crossNode = new ArrayList<>();
        List<String> late = new ArrayList<>();
        for (Peer s : subs) {
            List<Received> got = Streams.until(s, topic, last, Duration.ofSeconds(15));
            assertEquals(Streams.range(1, last), Streams.seqs(got),
                    s.label + " (node " + nodeOf.get(s.label) + "): every seq once, in order, no gap");
            for (Received r : got) {
                assertEquals(epoch, r.epoch(), s.label + ": " + r);
                assertEquals(idOf.get(r.seq()), r.dataId(), s.label + ": the data published as seq " + r.seq());
                long ms = Procs.millis(acked.get(r.dataId()), r.nanos());
                latencies.add(ms);
                if (!nodeOf.get(s.label).equals(publishedOn.get(r.dataId()))) {
                    crossNode.add(ms);
                }
                if (ms > ONE_SECOND + SLACK) {
                    late.add(s.label + " got " + r.dataId() + " (seq " + r.seq() + ") " + ms + " ms after its ack");
                }
            }
        }
        Procs.report("mixed fan-out, accepted -> arrival: all " + Procs.summary(latencies) + "; cross-server "
                + Procs.summary(crossNode));
        assertTrue(late.isEmpty(), "every message reaches every subscriber within 1 s of its publish: " + late);
    }

    private static long publish(String way, String topic, String id, Peer pp, Peer pw) throws Exception {
        return switch (way) {
            case "http-p" -> httpPublish(p, topic, id);
            case "http-w" -> httpPublish(w, topic, id);
            case "ws-p" -> pp.publish(topic, id, Peer.WAIT);
            default -> pw.publish(topic, id, Peer.WAIT);
        };
    }

    @Test
    @Order(3)
    void bothServersAnswerTheSameEpochForATopicWithoutMessages() throws Exception {
        Peer ep = peer(p, null, "epoch-p");
        Peer ew = peer(w, null, "epoch-w");
        for (int i = 0; i < 5; i++) {
            String topic = "mixepoch-" + RUN + "-" + i;
            ep.send(json("subscribe").add("topic", topic)); // both asked at once: whichever creates it, both answer it
            ew.send(json("subscribe").add("topic", topic));
            JsonObject fromP = ep.expect("subscribed").json();
            JsonObject fromW = ew.expect("subscribed").json();
            assertEquals(0, fromP.getJsonNumber("seq").longValue(), fromP.toString());
            assertEquals(0, fromW.getJsonNumber("seq").longValue(), fromW.toString());
            assertFalse(fromP.getString("epoch").isEmpty(), fromP.toString());
            assertEquals(fromP.getString("epoch"), fromW.getString("epoch"), "epoch of " + topic + " on Payara and WildFly");
        }
    }

    @Test
    @Order(4)
    void aResumeWorksOnTheOtherServerInBothDirections() throws Exception {
        for (Node[] pair : new Node[][] {{p, w}, {w, p}}) {
            Node from = pair[0];
            Node to = pair[1];
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
        String expired = "mixexpired-" + RUN;
        Peer seed = peer(p, null, "expired-seed");
        String epoch = seed.subscribe(expired).getString("epoch");
        int total = 120;
        for (int i = 1; i <= total; i++) {
            assertEquals(i, httpPublish(i % 2 == 0 ? p : w, expired, "x" + i));
        }
        Peer late = peer(w, null, "expired-resumer-on-w");
        JsonObject s = late.resume(expired, 10, epoch);
        assertEquals(total, s.getJsonNumber("seq").longValue(), s.toString());
        Received gap = late.expect("gap");
        assertEquals("expired", gap.json().getString("reason"), gap.toString());
        assertEquals(11, gap.json().getJsonNumber("from").longValue(), gap.toString());
        long oldest = gap.json().getJsonNumber("to").longValue() + 1;
        assertTrue(oldest > 11 && oldest <= total - HISTORY + 1, "retains at least the history size: " + gap);
        for (long seq = oldest; seq <= total; seq++) {
            Received r = late.expect("message");
            assertEquals(seq, r.seq(), "contiguous replay from " + oldest + " to the newest");
            assertEquals("x" + seq, r.dataId(), r.toString());
        }
    }

    @Test
    @Order(5)
    void presenceIsOneViewFromBothServers() throws Exception {
        String topic = "mixpresence-" + RUN;
        Peer wp = peer(p, "watch-p", "watch-p");
        Peer ww = peer(w, "watch-w", "watch-w");
        assertEquals(Set.of("watch-p"), users(wp.subscribeWithPresence(topic)));
        long t = System.nanoTime();
        assertEquals(Set.of("watch-p", "watch-w"), users(ww.subscribeWithPresence(topic)),
                "WildFly lists the member on Payara");
        List<Long> eventLatencies = new ArrayList<>();
        Received j = presenceEvent(wp, "watch-w", Duration.ofSeconds(3));
        assertEquals("join", j.type(), "Payara hears of the member on WildFly: " + j);
        eventLatencies.add(Procs.millis(t, j.nanos()));

        // one user, a session on each server: one member with 2 connections, seen alike from both
        Peer u1 = peer(w, "mu", "mu-on-w");
        t = System.nanoTime();
        u1.subscribe(topic);
        for (Peer watcher : List.of(wp, ww)) {
            Received join = presenceEvent(watcher, "mu", Duration.ofSeconds(3));
            assertEquals("join", join.type(), watcher.label + ": " + join);
            eventLatencies.add(Procs.millis(t, join.nanos()));
        }
        Peer u2 = peer(p, "mu", "mu-on-p");
        u2.subscribe(topic);
        for (Node node : List.of(p, w)) {
            JsonObject pr = presenceOver(node, topic);
            assertEquals(Set.of("watch-p", "watch-w", "mu"), users(pr), node + ": " + pr);
            assertEquals(2, connections(pr, "mu"), node + ": one member, both sessions counted: " + pr);
        }
        for (Peer watcher : List.of(wp, ww)) {
            watcher.send(json("presence").add("topic", topic));
            JsonObject pr = watcher.await("presence answer", r -> "presence".equals(r.type()), Peer.WAIT).json();
            assertEquals(2, connections(pr, "mu"), watcher.label + ": " + pr);
        }

        // the session on Payara goes: still a member, one connection, no leave
        u2.closeGracefully();
        boolean one = Procs.await(Duration.ofSeconds(1), Duration.ofMillis(50),
                () -> connections(presenceOver(p, topic), "mu") == 1 && connections(presenceOver(w, topic), "mu") == 1);
        assertTrue(one, "mu down to 1 connection on both servers within 1 s: " + presenceOver(p, topic) + " / "
                + presenceOver(w, topic));

        // the one on WildFly unsubscribes: the leave is immediate, on both; the first event since the join
        t = System.nanoTime();
        u1.send(json("unsubscribe").add("topic", topic));
        for (Peer watcher : List.of(wp, ww)) {
            Received leave = presenceEvent(watcher, "mu", Duration.ofSeconds(3));
            assertEquals("leave", leave.type(), watcher.label + ": the next event about mu (no second join, no early leave): "
                    + leave);
            assertEquals("unsubscribed", leave.json().getString("reason"), leave.toString());
            eventLatencies.add(Procs.millis(t, leave.nanos()));
        }
        assertEquals(Set.of("watch-p", "watch-w"), users(presenceOver(p, topic)));

        // a user on each server closes: the leave comes after the grace period, on the other server too
        List<Long> leaveAfter = new ArrayList<>();
        for (Node node : List.of(w, p)) {
            String user = "mv-" + node.id();
            Peer v = peer(node, user, user);
            v.subscribe(topic);
            assertEquals("join", presenceEvent(wp, user, Duration.ofSeconds(3)).type());
            assertEquals("join", presenceEvent(ww, user, Duration.ofSeconds(3)).type());
            long closed = System.nanoTime();
            v.closeGracefully();
            for (Peer watcher : List.of(wp, ww)) {
                Received leave = presenceEvent(watcher, user, Duration.ofMillis(GRACE + 5000));
                assertEquals("leave", leave.type(), watcher.label + ": " + leave);
                assertEquals("closed", leave.json().getString("reason"), leave.toString());
                leaveAfter.add(Procs.millis(closed, leave.nanos()));
            }
        }
        Procs.report("mixed presence events on the other server after the cause: " + Procs.summary(eventLatencies)
                + "; leave after close (grace " + GRACE + "): " + leaveAfter + " ms (closed on WildFly: p, w; on Payara: p, w)");
        assertTrue(Procs.max(eventLatencies) <= ONE_SECOND + SLACK, "joins and leaves on both servers within 1 s: "
                + eventLatencies);
        for (long ms : leaveAfter) {
            assertTrue(ms >= GRACE, "no leave before the grace period: " + leaveAfter);
            assertTrue(ms <= GRACE + 1000 + ONE_SECOND + SLACK, "leave within grace + 1 s tick + 1 s: " + leaveAfter);
        }
    }

    @Test
    @Order(6)
    void broadcastAndUserTopicsReachSessionsOnBothServers() throws Exception {
        Peer up = peer(p, "bu", "bu-on-p");
        Peer uw = peer(w, "bu", "bu-on-w");
        Peer np = peer(p, null, "anon-on-p");
        Peer nw = peer(w, null, "anon-on-w");
        List<Long> latencies = new ArrayList<>();
        String bc1 = "bc1-" + RUN;
        Http.Answer r1 = Http.post(w.http().resolve("api/broadcast"), "{\"id\":\"" + bc1 + "\"}");
        assertEquals(202, r1.status(), r1.toString());
        long s1 = r1.json().getJsonNumber("seq").longValue();
        for (Peer peer : List.of(up, uw, np, nw)) {
            Received m = peer.await("broadcast " + bc1, r -> "message".equals(r.type()) && bc1.equals(r.dataId()),
                    Duration.ofSeconds(3));
            assertEquals("broadcast", m.topic(), m.toString());
            latencies.add(Procs.millis(r1.startNanos(), m.nanos()));
        }
        String um = "um-" + RUN;
        Http.Answer r2 = Http.post(p.http().resolve("api/users/bu/messages"), "{\"id\":\"" + um + "\"}");
        assertEquals(202, r2.status(), r2.toString());
        assertEquals("user:bu", r2.json().getString("topic"), r2.toString());
        for (Peer peer : List.of(up, uw)) {
            Received m = peer.next(Duration.ofSeconds(3));
            assertEquals("user:bu", m.topic(), peer.label + ": " + m);
            assertEquals(um, m.dataId(), m.toString());
            latencies.add(Procs.millis(r2.startNanos(), m.nanos()));
        }
        String bc2 = "bc2-" + RUN;
        Http.Answer r3 = Http.post(p.http().resolve("api/broadcast"), "{\"id\":\"" + bc2 + "\"}");
        assertEquals(202, r3.status(), r3.toString());
        assertEquals(s1 + 1, r3.json().getJsonNumber("seq").longValue(), "one broadcast seq across servers: " + r3);
        for (Peer peer : List.of(up, uw, np, nw)) {
            Received m = peer.next(Duration.ofSeconds(3));
            assertEquals(bc2, m.dataId(), peer.label + ": next is the second broadcast (nobody else got the user message): " + m);
            assertEquals(s1 + 1, m.seq(), m.toString());
            latencies.add(Procs.millis(r3.startNanos(), m.nanos()));
        }
        Procs.report("mixed broadcast and user messages, POST -> arrival on both servers: " + Procs.summary(latencies));
        assertTrue(Procs.max(latencies) <= ONE_SECOND + SLACK, "within 1 s: " + latencies);
    }
}
