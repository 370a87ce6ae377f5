package dev.pulse.cluster;

import static dev.pulse.cluster.Peer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.cluster.Peer.Received;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The cross-node checks {@link TwoNodesIT} and {@link WildFlyPayaraIT} share, on two nodes of one cluster. One instance
 * per test; {@link #close} closes the peers it opened.
 */
final class CrossNodeChecks implements AutoCloseable {

    /** The contract's bound for a message or presence event to reach the other node. */
    static final long ONE_SECOND = 1000;
    /** Allowance for the measurement itself (reading the frame on a loaded 2-core machine); added to upper bounds. */
    static final long SLACK = 250;

    final NodeView first;
    final NodeView second;
    final String run;
    final List<Peer> peers = new ArrayList<>();

    CrossNodeChecks(NodeView first, NodeView second, String run) {
        this.first = first;
        this.second = second;
        this.run = run;
    }

    @Override
    public void close() {
        peers.forEach(Peer::close);
        peers.clear();
    }

    Peer peer(URI ws, String user, String label) throws IOException, InterruptedException {
        Peer p = Peer.connect(ws, user, label);
        peers.add(p);
        return p;
    }

    Peer peer(NodeView node, String user, String label) throws IOException, InterruptedException {
        return peer(node.ws(), user, label);
    }

    static long httpPublish(URI base, String topic, String id) {
        Http.Answer r = Http.post(base.resolve("api/topics/" + topic + "/messages"), "{\"id\":\"" + id + "\"}");
        assertEquals(202, r.status(), "POST " + base + "api/topics/" + topic + "/messages: " + r);
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

    static JsonObject presenceOver(NodeView node, String topic) {
        Http.Answer r = Http.get(node.http().resolve("api/topics/" + topic + "/presence"));
        assertEquals(200, r.status(), node + " presence: " + r);
        return r.json();
    }

    static Received presenceEvent(Peer p, String user, Duration timeout) throws InterruptedException {
        return p.await("join/leave of " + user,
                r -> ("join".equals(r.type()) || "leave".equals(r.type())) && user.equals(r.json().getString("user", null)),
                timeout);
    }

    /** Five topics without messages, subscribed on both nodes at once: whichever creates the epoch, both answer it. */
    void sameEpochForATopicWithoutMessages(String prefix) throws Exception {
        Peer pa = peer(first, null, "epoch-" + first.tag());
        Peer pb = peer(second, null, "epoch-" + second.tag());
        for (int i = 0; i < 5; i++) {
            String topic = prefix + run + "-" + i;
            pa.send(json("subscribe").add("topic", topic));
            pb.send(json("subscribe").add("topic", topic));
            JsonObject fromA = pa.expect("subscribed").json();
            JsonObject fromB = pb.expect("subscribed").json();
            assertEquals(0, fromA.getJsonNumber("seq").longValue(), fromA.toString());
            assertEquals(0, fromB.getJsonNumber("seq").longValue(), fromB.toString());
            assertFalse(fromA.getString("epoch").isEmpty(), fromA.toString());
            assertEquals(fromA.getString("epoch"), fromB.getString("epoch"), "epoch of " + topic + " on " + first + " and " + second);
        }
    }

    /** One presence from both nodes: {@code user} on {@code u1On} and {@code u2On}; then a user closing on each of {@code closers}. */
    void presenceIsOneView(String topic, String user, NodeView u1On, NodeView u2On, List<NodeView> closers, long grace, String what)
            throws Exception {
        Peer wa = peer(first, "watch-" + first.tag(), "watch-" + first.tag());
        Peer wb = peer(second, "watch-" + second.tag(), "watch-" + second.tag());
        Set<String> watchers = Set.of(wa.label, wb.label);
        assertEquals(Set.of(wa.label), users(wa.subscribeWithPresence(topic)));
        long t = System.nanoTime();
        assertEquals(watchers, users(wb.subscribeWithPresence(topic)), second + " lists the member on " + first);
        List<Long> eventLatencies = new ArrayList<>();
        Received j = presenceEvent(wa, wb.label, Duration.ofSeconds(3));
        assertEquals("join", j.type(), first + " hears of the member on " + second + ": " + j);
        eventLatencies.add(Procs.millis(t, j.nanos()));

        // one user, a session on each node: one member with 2 connections, seen alike from both nodes
        Peer u1 = peer(u1On, user, user + "-on-" + u1On.tag());
        t = System.nanoTime();
        u1.subscribe(topic);
        for (Peer w : List.of(wa, wb)) {
            Received join = presenceEvent(w, user, Duration.ofSeconds(3));
            assertEquals("join", join.type(), w.label + ": " + join);
            eventLatencies.add(Procs.millis(t, join.nanos()));
        }
        Peer u2 = peer(u2On, user, user + "-on-" + u2On.tag());
        u2.subscribe(topic);
        for (NodeView node : List.of(first, second)) {
            JsonObject p = presenceOver(node, topic);
            assertEquals(Set.of(wa.label, wb.label, user), users(p), node + ": " + p);
            assertEquals(2, connections(p, user), node + ": one member, both sessions counted: " + p);
        }
        for (Peer w : List.of(wa, wb)) {
            w.send(json("presence").add("topic", topic));
            JsonObject p = w.await("presence answer", r -> "presence".equals(r.type()), Peer.WAIT).json();
            assertEquals(2, connections(p, user), w.label + ": " + p);
        }

        // one of the two sessions goes: still a member, one connection, no leave
        u2.closeGracefully();
        boolean one = Procs.await(Duration.ofSeconds(1), Duration.ofMillis(50),
                () -> connections(presenceOver(first, topic), user) == 1 && connections(presenceOver(second, topic), user) == 1);
        assertTrue(one, user + " down to 1 connection on both nodes within 1 s: " + presenceOver(first, topic) + " / "
                + presenceOver(second, topic));

        // the other unsubscribes: the leave is immediate, on both nodes; the first event since the join
        t = System.nanoTime();
        u1.send(json("unsubscribe").add("topic", topic));
        for (Peer w : List.of(wa, wb)) {
            Received leave = presenceEvent(w, user, Duration.ofSeconds(3));
            assertEquals("leave", leave.type(), w.label + ": the next event about " + user + " (no second join, no early leave): " + leave);
            assertEquals("unsubscribed", leave.json().getString("reason"), leave.toString());
            eventLatencies.add(Procs.millis(t, leave.nanos()));
        }
        assertEquals(watchers, users(presenceOver(u2On, topic)));

        // a user on a node closes: the leave comes after the grace period, on the other node too
        List<Long> leaveAfter = new ArrayList<>();
        for (NodeView node : closers) {
            String closer = "leaver-on-" + node.tag();
            Peer v = peer(node, closer, closer);
            v.subscribe(topic);
            assertEquals("join", presenceEvent(wa, closer, Duration.ofSeconds(3)).type());
            assertEquals("join", presenceEvent(wb, closer, Duration.ofSeconds(3)).type());
            long closed = System.nanoTime();
            v.closeGracefully();
            for (Peer w : List.of(wa, wb)) {
                Received leave = presenceEvent(w, closer, Duration.ofMillis(grace + 5000));
                assertEquals("leave", leave.type(), w.label + ": " + leave);
                assertEquals("closed", leave.json().getString("reason"), leave.toString());
                leaveAfter.add(Procs.millis(closed, leave.nanos()));
            }
        }
        Procs.report(what + " presence events on the other node after the cause: " + Procs.summary(eventLatencies)
                + "; leave after close (grace " + grace + "): " + leaveAfter + " ms (closed on " + closers
                + "; heard on " + first.tag() + ", " + second.tag() + ")");
        assertTrue(Procs.max(eventLatencies) <= ONE_SECOND + SLACK, "joins and leaves on every node within 1 s: " + eventLatencies);
        for (long ms : leaveAfter) {
            assertTrue(ms >= grace, "no leave before the grace period: " + leaveAfter);
            assertTrue(ms <= grace + 1000 + ONE_SECOND + SLACK, "leave within grace + 1 s tick + 1 s: " + leaveAfter);
        }
    }

    /** A broadcast POSTed to {@code firstOn}, then a user message and a broadcast to {@code thenOn}, reach both nodes. */
    void broadcastAndUserTopicsReachSessionsOnEveryNode(NodeView firstOn, NodeView thenOn, String what) throws Exception {
        Peer ua = peer(first, "bu", "bu-on-" + first.tag());
        Peer ub = peer(second, "bu", "bu-on-" + second.tag());
        Peer na = peer(first, null, "anon-on-" + first.tag());
        Peer nb = peer(second, null, "anon-on-" + second.tag());
        List<Long> latencies = new ArrayList<>();
        String bc1 = "bc1-" + run;
        Http.Answer r1 = Http.post(firstOn.http().resolve("api/broadcast"), "{\"id\":\"" + bc1 + "\"}");
        assertEquals(202, r1.status(), r1.toString());
        assertEquals("broadcast", r1.json().getString("topic"), r1.toString());
        long s1 = r1.json().getJsonNumber("seq").longValue();
        for (Peer p : List.of(ua, ub, na, nb)) {
            Received m = p.await("broadcast " + bc1, r -> "message".equals(r.type()) && bc1.equals(r.dataId()), Duration.ofSeconds(3));
            assertEquals("broadcast", m.topic(), m.toString());
            latencies.add(Procs.millis(r1.startNanos(), m.nanos()));
        }
        String um = "um-" + run;
        Http.Answer r2 = Http.post(thenOn.http().resolve("api/users/bu/messages"), "{\"id\":\"" + um + "\"}");
        assertEquals(202, r2.status(), r2.toString());
        assertEquals("user:bu", r2.json().getString("topic"), r2.toString());
        for (Peer p : List.of(ua, ub)) {
            Received m = p.next(Duration.ofSeconds(3));
            assertEquals("user:bu", m.topic(), p.label + ": " + m);
            assertEquals(um, m.dataId(), m.toString());
            latencies.add(Procs.millis(r2.startNanos(), m.nanos()));
        }
        String bc2 = "bc2-" + run;
        Http.Answer r3 = Http.post(thenOn.http().resolve("api/broadcast"), "{\"id\":\"" + bc2 + "\"}");
        assertEquals(202, r3.status(), r3.toString());
        assertEquals(s1 + 1, r3.json().getJsonNumber("seq").longValue(), "one broadcast seq across nodes: " + r3);
        for (Peer p : List.of(ua, ub, na, nb)) {
            Received m = p.next(Duration.ofSeconds(3));
            assertEquals(bc2, m.dataId(), p.label + ": next is the second broadcast (nobody else got the user message): " + m);
            assertEquals(s1 + 1, m.seq(), m.toString());
            latencies.add(Procs.millis(r3.startNanos(), m.nanos()));
        }
        Procs.report(what + " broadcast and user messages, POST -> arrival on both nodes: " + Procs.summary(latencies));
        assertTrue(Procs.max(latencies) <= ONE_SECOND + SLACK, "within 1 s: " + latencies);
    }

    /** More than the history holds, published on both, resumed on the second: the gap, then the replay; its oldest seq. */
    long expiredGapThenReplayOnTheOtherNode(String topic, int total, int history) throws Exception {
        Peer seed = peer(first, null, "expired-seed");
        String epoch = seed.subscribe(topic).getString("epoch");
        for (int i = 1; i <= total; i++) {
            assertEquals(i, httpPublish(i % 2 == 0 ? first.http() : second.http(), topic, "x" + i));
        }
        Peer late = peer(second, null, "expired-resumer-on-" + second.tag());
        JsonObject s = late.resume(topic, 10, epoch);
        assertEquals(total, s.getJsonNumber("seq").longValue(), s.toString());
        Received gap = late.expect("gap");
        assertEquals("expired", gap.json().getString("reason"), gap.toString());
        assertEquals(11, gap.json().getJsonNumber("from").longValue(), gap.toString());
        long oldest = gap.json().getJsonNumber("to").longValue() + 1;
        assertTrue(oldest > 11 && oldest <= total - history + 1, "retains at least the history size: " + gap);
        for (long seq = oldest; seq <= total; seq++) {
            Received r = late.expect("message");
            assertEquals(seq, r.seq(), "contiguous replay from " + oldest + " to the newest");
            assertEquals("x" + seq, r.dataId(), r.toString());
        }
        return oldest;
    }
}
