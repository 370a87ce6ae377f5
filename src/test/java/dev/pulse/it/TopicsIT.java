package dev.pulse.it;

import static dev.pulse.it.Client.json;
import static dev.pulse.it.Client.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pulse.it.RawWebSocket.HandshakeRefused;
import jakarta.json.Json;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Topics and push over the wire (issue 4): resume after a drop, gaps, epoch resets, per-user and broadcast
 * topics, client publish, a subscriber that never reads next to a healthy one, and presence. Its own
 * configuration: users from {@code ?user=}, a history of 50 messages per topic, a small per-session output limit
 * and a presence grace of 5 s.
 */
@ExtendWith(ArquillianExtension.class)
class TopicsIT {

    static final int HISTORY = 50;
    static final int MAX_QUEUED = 100;
    static final long MAX_QUEUED_BYTES = 262_144;
    /**
     * The presence grace. Long enough that what the tests do within it (see a leaving user listed with 0
     * connections; reconnect and resubscribe before a leave) is not a race a slow machine can lose: 1500 ms left
     * about a second for a new handshake, welcome and subscribe, which a busy 2-core machine can exceed.
     */
    static final long GRACE = 5000;
    /** The latest a leave may come after the server saw the last session go: grace, then the next tick. */
    static final long LEAVE_BOUND = GRACE + PulseServer.TICK + PulseServer.SLACK;
    private static final long STARTED = System.nanoTime();

    @ArquillianResource
    URL deployed;

    PulseServer server;
    Api api;

    @Deployment(testable = false)
    static WebArchive deployment() {
        return Deployments.pulse().addAsResource(new StringAsset("pulse.identity.query-param=true\n"
                + "pulse.history.size=" + HISTORY + "\n"
                + "pulse.session.max-queued=" + MAX_QUEUED + "\n"
                + "pulse.session.max-queued-bytes=" + MAX_QUEUED_BYTES + "\n"
                + "pulse.presence.grace=" + GRACE + "\n"), "META-INF/microprofile-config.properties");
    }

    @BeforeEach
    void server() {
        server = PulseServer.of(deployed);
        api = new Api(server);
    }

    @AfterAll
    static void took() {
        Report.line("TopicsIT class took %d ms (deployment included)", PulseServer.millisSince(STARTED));
    }

    static String topic(String prefix) {
        return prefix + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    static String data(long n) {
        return "{\"n\":" + n + "}";
    }

    static long seq(JsonObject m) {
        return m.getJsonNumber("seq").longValue();
    }

    /** Checks that the messages are exactly the given topic's seqs from..to, in order, carrying data n = seq. */
    static void assertMessages(List<JsonObject> got, String topic, String epoch, long from, long to) {
        List<Long> seqs = new ArrayList<>();
        for (JsonObject m : got) {
            if (!"message".equals(m.getString("type", null))) {
                fail("expected only messages " + from + ".." + to + " of " + topic + ", got " + m + " among " + got);
            }
            seqs.add(seq(m));
        }
        List<Long> expected = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            expected.add(s);
        }
        assertEquals(expected, seqs, "seqs of " + topic + " (each exactly once, in order)");
        for (JsonObject m : got) {
            assertEquals(topic, m.getString("topic"), m.toString());
            assertEquals(epoch, m.getString("epoch"), m.toString());
            assertEquals(seq(m), m.getJsonObject("data").getJsonNumber("n").longValue(), "data of " + m);
            assertInstanceOf(JsonNumber.class, m.get("time"), "time is epoch ms: " + m);
        }
    }

    /**
     * Subscribe, receive, drop the socket without a close, miss messages, resume with since+epoch on a new
     * connection while more are published concurrently: exactly the missed seqs, in order, once, then live ones.
     */
    @Test
    void resumeAfterADropLosesNothing() throws Exception {
        String t = topic("resume");
        String epoch;
        try (Client a = Client.connect(server.ws)) {
            JsonObject subscribed = a.subscribe(t);
            assertEquals(0, seq(subscribed), "a new topic's seq is 0: " + subscribed);
            epoch = subscribed.getString("epoch");
            assertFalse(epoch.isBlank(), "epoch: " + subscribed);
            for (int i = 1; i <= 5; i++) {
                assertEquals(i, api.publish(t, data(i)), "HTTP publish answers the seq");
            }
            assertMessages(a.until(message(t, 5), Client.WAIT), t, epoch, 1, 5);
        } // dropped: the socket ends without a closing handshake
        for (int i = 6; i <= 12; i++) {
            assertEquals(i, api.publish(t, data(i)));
        }
        try (Client b = Client.connect(server.ws)) {
            // messages 13..50 are published while b resumes (history 50 keeps them all): none may be lost,
            // doubled or reordered
            java.util.concurrent.atomic.AtomicLong progress = new java.util.concurrent.atomic.AtomicLong(12);
            CompletableFuture<Void> racing = CompletableFuture.runAsync(() -> {
                for (int i = 13; i <= 50; i++) {
                    api.publish(t, data(i));
                    progress.set(i);
                }
            });
            assertTrue(PulseServer.await(PulseServer.PATIENCE, Duration.ofMillis(1), () -> progress.get() >= 20),
                    "20 messages published: " + progress.get());
            b.send(json("subscribe").add("topic", t).add("since", 5).add("epoch", epoch));
            JsonObject subscribed = b.expect("subscribed");
            assertEquals(epoch, subscribed.getString("epoch"), subscribed.toString());
            assertTrue(seq(subscribed) >= 20 && seq(subscribed) <= 50, "seq now: " + subscribed);
            racing.get(30, TimeUnit.SECONDS);
            List<JsonObject> resumed = b.until(message(t, 50), Client.WAIT);
            assertMessages(resumed, t, epoch, 6, 50);
            Report.line("resume: subscribed (since 5) at seq %d while 13..50 were being published; got 6..50 in "
                    + "order, once", seq(subscribed));

            api.publish(t, data(51));
            assertMessages(b.until(message(t, 51), Client.WAIT), t, epoch, 51, 51);

            // subscribing again without since only answers subscribed...
            assertEquals(51, seq(b.subscribe(t)), "repeated subscribe");
            api.publish(t, data(52));
            assertMessages(b.until(message(t, 52), Client.WAIT), t, epoch, 52, 52);
            // ... and with since replays what was asked for
            b.send(json("subscribe").add("topic", t).add("since", 48).add("epoch", epoch));
            assertEquals(52, seq(b.expect("subscribed")));
            assertMessages(b.until(message(t, 52), Client.WAIT), t, epoch, 49, 52);
            b.closeGracefully();
        }
    }

    /** More messages than the history holds published while away: a gap "expired" from since+1, then the rest. */
    @Test
    void gapAfterHistoryOverflow() throws Exception {
        String t = topic("gap");
        String epoch;
        try (Client a = Client.connect(server.ws)) {
            epoch = a.subscribe(t).getString("epoch");
            for (int i = 1; i <= 3; i++) {
                api.publish(t, data(i));
            }
            assertMessages(a.until(message(t, 3), Client.WAIT), t, epoch, 1, 3);
        }
        int away = HISTORY + 20;
        for (int i = 4; i <= 3 + away; i++) {
            api.publish(t, data(i));
        }
        long last = 3 + away; // 73; retained: the last 50, 24..73
        long oldest = last - HISTORY + 1;
        try (Client b = Client.connect(server.ws)) {
            b.send(json("subscribe").add("topic", t).add("since", 3).add("epoch", epoch));
            JsonObject subscribed = b.expect("subscribed");
            assertEquals(last, seq(subscribed), subscribed.toString());
            JsonObject gap = b.expect("gap");
            Report.line("gap after %d messages away with history %d: %s", away, HISTORY, gap);
            assertEquals(t, gap.getString("topic"), gap.toString());
            assertEquals("expired", gap.getString("reason"), gap.toString());
            assertEquals(4, gap.getJsonNumber("from").longValue(), "from = since + 1: " + gap);
            assertEquals(oldest - 1, gap.getJsonNumber("to").longValue(), "to = oldest retained - 1: " + gap);
            assertMessages(b.until(message(t, last), Client.WAIT), t, epoch, oldest, last);
            api.publish(t, data(last + 1));
            assertMessages(b.until(message(t, last + 1), Client.WAIT), t, epoch, last + 1, last + 1);
            b.closeGracefully();
        }
    }

    /** A wrong epoch, or a since beyond the topic's last seq, is answered with a gap "reset" and a full replay. */
    @Test
    void wrongEpochIsAReset() throws Exception {
        String t = topic("epoch");
        for (int i = 1; i <= 3; i++) {
            api.publish(t, data(i));
        }
        try (Client c = Client.connect(server.ws)) {
            c.send(json("subscribe").add("topic", t).add("since", 2).add("epoch", "not-the-epoch"));
            JsonObject subscribed = c.expect("subscribed");
            String epoch = subscribed.getString("epoch");
            assertFalse("not-the-epoch".equals(epoch), subscribed.toString());
            assertEquals(3, seq(subscribed), subscribed.toString());
            JsonObject gap = c.expect("gap");
            assertEquals(JsonValue.NULL, gap.get("from"), gap.toString());
            assertEquals(JsonValue.NULL, gap.get("to"), gap.toString());
            assertEquals("reset", gap.getString("reason"), gap.toString());
            assertMessages(c.until(message(t, 3), Client.WAIT), t, epoch, 1, 3);
            api.publish(t, data(4));
            assertMessages(c.until(message(t, 4), Client.WAIT), t, epoch, 4, 4);

            // same epoch but a since the topic never reached: also a reset
            c.send(json("subscribe").add("topic", t).add("since", 99).add("epoch", epoch));
            assertEquals(4, seq(c.expect("subscribed")));
            assertEquals("reset", c.expect("gap").getString("reason"));
            assertMessages(c.until(message(t, 4), Client.WAIT), t, epoch, 1, 4);
            c.closeGracefully();
        }
    }

    /**
     * POST /api/users/alice/messages reaches both of alice's sessions and nobody else; POST /api/broadcast reaches
     * every session, anonymous ones included; nobody but alice may subscribe to user:alice or ask its presence.
     */
    @Test
    void userMessagesReachOnlyThatUserAndBroadcastReachesEverySession() throws Exception {
        try (Client alice1 = Client.as(server.ws, "alice"); Client alice2 = Client.as(server.ws, "alice");
                Client bob = Client.as(server.ws, "bob"); Client anon = Client.connect(server.ws)) {
            assertEquals("alice", alice1.welcome.getString("user"), alice1.welcome.toString());
            assertEquals("bob", bob.welcome.getString("user"), bob.welcome.toString());
            assertEquals(JsonValue.NULL, anon.welcome.get("user"), anon.welcome.toString());
            JsonObject entry = api.connection(alice1.session).orElseThrow();
            assertTrue(entry.getJsonArray("topics").contains(Json.createValue("user:alice"))
                    && entry.getJsonArray("topics").contains(Json.createValue("broadcast")), entry.toString());
            assertEquals("alice", entry.getString("user"), entry.toString());

            Api.Answer toAlice = api.post("api/users/alice/messages", "{\"secret\":\"for alice\"}");
            assertEquals(202, toAlice.status(), toAlice.toString());
            assertEquals("user:alice", toAlice.json().getString("topic"), toAlice.toString());
            long aliceSeq = toAlice.json().getJsonNumber("seq").longValue();
            for (Client a : List.of(alice1, alice2)) {
                JsonObject m = a.expect("message");
                assertEquals("user:alice", m.getString("topic"), m.toString());
                assertEquals(aliceSeq, seq(m), m.toString());
                assertEquals("for alice", m.getJsonObject("data").getString("secret"), m.toString());
            }

            Api.Answer broadcast = api.post("api/broadcast", "{\"to\":\"everyone\"}");
            assertEquals(202, broadcast.status(), broadcast.toString());
            assertEquals("broadcast", broadcast.json().getString("topic"), broadcast.toString());
            long broadcastSeq = broadcast.json().getJsonNumber("seq").longValue();
            // queued after alice's message: for bob and anon it is the very next message, so alice's never came
            for (Client c : List.of(alice1, alice2, bob, anon)) {
                JsonObject m = c.expect("message");
                assertEquals("broadcast", m.getString("topic"), c + " got " + m);
                assertEquals(broadcastSeq, seq(m), m.toString());
                assertEquals("everyone", m.getJsonObject("data").getString("to"), m.toString());
            }

            bob.expectError("{\"type\":\"subscribe\",\"topic\":\"user:alice\",\"id\":\"steal\"}", "forbidden", "steal");
            bob.expectError("{\"type\":\"subscribe\",\"topic\":\"user:alice\"}", "forbidden", "subscribe");
            bob.expectError("{\"type\":\"presence\",\"topic\":\"user:alice\"}", "forbidden", "presence");
            anon.expectError("{\"type\":\"subscribe\",\"topic\":\"user:alice\"}", "forbidden", "subscribe");
            assertEquals("user:alice", alice1.subscribe("user:alice").getString("topic"), "alice may subscribe to her own");
            api.post("api/users/alice/messages", "{\"second\":true}");
            api.post("api/broadcast", "{\"marker\":2}");
            assertEquals("broadcast", bob.expect("message").getString("topic"), "still nothing of alice's for bob");
            assertFalse(api.connection(bob.session).orElseThrow().getJsonArray("topics")
                    .contains(Json.createValue("user:alice")), "bob is not subscribed to user:alice");
            for (Client c : List.of(alice1, alice2, bob, anon)) {
                c.closeGracefully();
            }
        }
        // the user parameter is checked: anything but 1-64 of [A-Za-z0-9._@-] is refused before the upgrade
        try (RawWebSocket refused = RawWebSocket.connect(Client.withQuery(server.ws, "user", "bad name!"),
                RawWebSocket.Mode.ANSWER_PINGS)) {
            fail("?user=bad name! was accepted");
        } catch (HandshakeRefused e) {
            assertEquals(400, e.status(), e.response());
        }
        try (Client empty = Client.connect(Client.withQuery(server.ws, "user", ""), RawWebSocket.Mode.ANSWER_PINGS,
                Map.of(), "empty")) {
            assertEquals(JsonValue.NULL, empty.welcome.get("user"), "an empty user is anonymous: " + empty.welcome);
            empty.closeGracefully();
        }
    }

    /** publish with and without id is acked with the seq and delivered; broadcast and user: topics are HTTP-only. */
    @Test
    void clientPublishIsAckedAndDeliveredButNotToServerTopics() throws Exception {
        String t = topic("publish");
        try (Client sub = Client.connect(server.ws); Client pub = Client.as(server.ws, "pat")) {
            String epoch = sub.subscribe(t).getString("epoch");
            pub.subscribe(t);
            pub.send("{\"type\":\"publish\",\"topic\":\"" + t + "\",\"data\":{\"n\":1},\"id\":\"p1\"}");
            List<JsonObject> got = List.of(pub.next(), pub.next()); // its own message and the ack, in either order
            JsonObject ack = got.stream().filter(Client.type("ack")).findFirst()
                    .orElseThrow(() -> new AssertionError("no ack in " + got));
            assertEquals("p1", ack.getString("id"), ack.toString());
            assertEquals(t, ack.getString("topic"), ack.toString());
            assertEquals(1, seq(ack), ack.toString());
            assertMessages(got.stream().filter(Client.type("message")).toList(), t, epoch, 1, 1);
            assertMessages(sub.until(message(t, 1), Client.WAIT), t, epoch, 1, 1);

            pub.send("{\"type\":\"publish\",\"topic\":\"" + t + "\",\"data\":{\"n\":2}}");
            List<JsonObject> got2 = List.of(pub.next(), pub.next());
            JsonObject ack2 = got2.stream().filter(Client.type("ack")).findFirst()
                    .orElseThrow(() -> new AssertionError("no ack in " + got2));
            assertEquals(JsonValue.NULL, ack2.get("id"), "ack without an id: " + ack2);
            assertEquals(2, seq(ack2), ack2.toString());
            assertMessages(got2.stream().filter(Client.type("message")).toList(), t, epoch, 2, 2);
            assertMessages(sub.until(message(t, 2), Client.WAIT), t, epoch, 2, 2);

            pub.expectError("{\"type\":\"publish\",\"topic\":\"broadcast\",\"data\":1,\"id\":\"p3\"}", "forbidden", "p3");
            pub.expectError("{\"type\":\"publish\",\"topic\":\"user:pat\",\"data\":1}", "forbidden", "publish");
            pub.expectError("{\"type\":\"publish\",\"topic\":\"user:someone\",\"data\":1}", "forbidden", "publish");
            pub.expectError("{\"type\":\"publish\",\"topic\":\"" + t + "\",\"id\":\"p4\"}", "bad_request", "p4");
            // none of the refused ones was sequenced
            assertEquals(3, api.publish(t, data(3)));
            assertMessages(sub.until(message(t, 3), Client.WAIT), t, epoch, 3, 3);
            sub.closeGracefully();
            pub.closeGracefully();
        }
    }

    /**
     * A subscriber that completes the handshake, subscribes and then never reads (small receive buffer) while
     * 200 messages of 4 KiB go to its topic over HTTP: a healthy subscriber of the same topic gets all 200 in order
     * without delay, and the non-reader is dropped by the queue policy (evictions.queue, 1008 "send queue full").
     */
    @Test
    void neverReadingSubscriberIsDroppedAndDoesNotDelayAHealthyOne() throws Exception {
        final int count = 200;
        final String pad = "x".repeat(4096);
        String t = topic("slow");
        JsonObject statsBefore = api.stats();
        try (Client healthy = Client.connect(server.ws);
                RawWebSocket slow = RawWebSocket.connect(server.ws, RawWebSocket.Mode.NEVER_READ, 4096)) {
            String epoch = healthy.subscribe(t).getString("epoch");
            slow.sendText(json("subscribe").add("topic", t).build().toString());
            String slowSession = awaitSubscribedSession(slow, t);
            long slowSubscribed = System.nanoTime();

            long[] postedAt = new long[count + 1];
            long[] arrivedAt = new long[count + 1];
            List<Long> order = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            Thread reader = new Thread(() -> {
                try {
                    while (order.size() < count) {
                        String text = healthy.ws.nextText(Duration.ofSeconds(15));
                        long now = System.nanoTime();
                        if (text == null) {
                            problems.add("healthy subscriber: nothing for 15 s after " + order.size() + " messages"
                                    + (healthy.ws.isClosed() ? ", closed " + healthy.ws.closed().getNow(null) : ""));
                            return;
                        }
                        JsonObject m = PulseServer.parse(text);
                        if (!"message".equals(m.getString("type", null)) || !t.equals(m.getString("topic", null))) {
                            problems.add("healthy subscriber got " + (text.length() > 200 ? text.substring(0, 200)
                                    : text));
                            continue;
                        }
                        long s = seq(m);
                        synchronized (order) {
                            order.add(s);
                        }
                        if (s >= 1 && s <= count) {
                            arrivedAt[(int) s] = now;
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "healthy-reader");
            reader.setDaemon(true);
            reader.start();

            long start = System.nanoTime();
            long slowGoneAt = 0;
            int slowGoneAfter = -1;
            for (int i = 1; i <= count; i++) {
                long s = api.publish(t, "{\"n\":" + i + ",\"pad\":\"" + pad + "\"}");
                assertEquals(i, s, "seq of publish " + i);
                postedAt[i] = System.nanoTime();
                if (slowGoneAt == 0 && i % 10 == 0 && !api.listed(slowSession)) {
                    slowGoneAt = System.nanoTime();
                    slowGoneAfter = i;
                }
            }
            long published = System.nanoTime();
            reader.join(15_000);
            long lastArrival = arrivedAt[count];

            // the non-reader: gone from /api/connections (the queue policy, before the heartbeat would evict it)
            if (slowGoneAt == 0 && PulseServer.await(Duration.ofSeconds(6), Duration.ofMillis(20),
                    () -> !api.listed(slowSession))) {
                slowGoneAt = System.nanoTime();
            }
            JsonObject statsAfter = api.stats();
            long queueEvictions = PulseServer.evictions(statsAfter, "queue") - PulseServer.evictions(statsBefore, "queue");
            long heartbeatEvictions = PulseServer.evictions(statsAfter, "heartbeat")
                    - PulseServer.evictions(statsBefore, "heartbeat");
            RawWebSocket.Drained drained = slow.drain(Duration.ofSeconds(2));

            long maxLatency = 0;
            List<Long> latencies = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                if (arrivedAt[i] != 0) {
                    long l = PulseServer.millis(postedAt[i], arrivedAt[i]);
                    latencies.add(l);
                    maxLatency = Math.max(maxLatency, l);
                }
            }
            latencies.sort(null);
            Report.line("slow consumer: %d x 4 KiB published in %d ms; healthy got %d, in order %s, last %d ms after "
                    + "the last POST, latency p50 %s / max %d ms (POST return to arrival)", count,
                    PulseServer.millis(start, published), order.size(), order.equals(range(1, count)),
                    lastArrival == 0 ? -1 : PulseServer.millis(published, lastArrival),
                    latencies.isEmpty() ? "-" : latencies.get(latencies.size() / 2), maxLatency);
            Report.line("slow consumer: non-reader %s; evictions.queue +%d, evictions.heartbeat +%d; it drained %d "
                    + "bytes, %d text frames, %d Pings, close frame %s, end of stream %s; stats evictions %s",
                    slowGoneAt == 0 ? "STILL LISTED" : "gone from /api/connections " + PulseServer.millis(
                            slowSubscribed, slowGoneAt) + " ms after it subscribed"
                            + (slowGoneAfter > 0 ? " (noticed after publish " + slowGoneAfter + ")" : ""),
                    queueEvictions, heartbeatEvictions, drained.bytes(), drained.textFrames(), drained.pings(),
                    drained.close() == null ? "none" : drained.close(), drained.eof(), statsAfter.get("evictions"));

            assertTrue(problems.isEmpty(), String.join("; ", problems));
            assertEquals(range(1, count), order, "the healthy subscriber got all " + count + " in order, once");
            assertTrue(maxLatency <= 2000, "a healthy subscriber was held up: a message arrived " + maxLatency
                    + " ms after its POST returned");
            assertFalse(healthy.ws.isClosed(), "healthy subscriber closed: " + healthy.ws.closed().getNow(null));
            assertTrue(api.listed(healthy.session), "healthy subscriber still listed");
            assertTrue(slowGoneAt != 0, "the non-reader is still listed in /api/connections");
            assertEquals(1, queueEvictions, "evictions.queue grew by exactly one (the non-reader; heartbeat +"
                    + heartbeatEvictions + "): " + statsAfter);
            if (drained.close() != null) {
                assertEquals(1008, drained.close().code(), "close of the non-reader: " + drained.close());
                assertEquals("send queue full", drained.close().reason(), drained.close().toString());
            }
            // the healthy one resumes normally afterwards
            api.publish(t, data(count + 1));
            JsonObject after = healthy.until(message(t, count + 1), Client.WAIT).get(0);
            assertEquals(epoch, after.getString("epoch"));
            healthy.closeGracefully();
        }
    }

    // ---- presence ----

    static List<String> users(JsonObject withMembers) {
        return withMembers.getJsonArray("members").getValuesAs(JsonObject.class).stream()
                .map(m -> m.getString("user")).toList();
    }

    static JsonObject member(JsonObject withMembers, String user) {
        return withMembers.getJsonArray("members").getValuesAs(JsonObject.class).stream()
                .filter(m -> user.equals(m.getString("user"))).findFirst()
                .orElseThrow(() -> new AssertionError(user + " is not a member: " + withMembers));
    }

    JsonObject presence(String topic) {
        Api.Answer a = api.get("api/topics/" + topic + "/presence");
        assertEquals(200, a.status(), a.toString());
        JsonObject p = a.json();
        assertEquals(topic, p.getString("topic"), p.toString());
        for (JsonObject m : p.getJsonArray("members").getValuesAs(JsonObject.class)) {
            assertTrue(m.get("user") instanceof jakarta.json.JsonString && m.get("since") instanceof JsonNumber
                    && m.get("connections") instanceof JsonNumber, "member {user,since,connections}: " + m);
        }
        return p;
    }

    /** Waits until GET presence lists {@code user} with {@code connections} (-1: not listed at all). */
    JsonObject awaitConnections(String topic, String user, int connections, Duration timeout)
            throws InterruptedException {
        JsonObject[] last = new JsonObject[1];
        boolean ok = PulseServer.await(timeout, Duration.ofMillis(20), () -> {
            last[0] = presence(topic);
            Optional<JsonObject> m = last[0].getJsonArray("members").getValuesAs(JsonObject.class).stream()
                    .filter(x -> user.equals(x.getString("user"))).findFirst();
            return connections < 0 ? m.isEmpty() : m.isPresent() && m.get().getInt("connections") == connections;
        });
        assertTrue(ok, user + (connections < 0 ? " not listed" : " with " + connections + " connections")
                + " within " + timeout.toMillis() + " ms: " + last[0]);
        return last[0];
    }

    /**
     * Publishes a marker to the topic and returns every event (anything but a topic message) the client got up to
     * it: since the marker is queued after any event caused before it, an empty list proves there was none.
     */
    List<JsonObject> upToMarker(Client c, String topic) throws InterruptedException {
        return eventsUpTo(c, topic, api.publish(topic, "{\"marker\":true}"));
    }

    /** Every event (anything but a topic message) the client got up to the topic's message {@code seq}. */
    static List<JsonObject> eventsUpTo(Client c, String topic, long seq) throws InterruptedException {
        return c.until(message(topic, seq), Client.WAIT).stream().filter(m -> !Client.type("message").test(m))
                .toList();
    }

    /**
     * Members in subscribed (the asking user included, anonymous sessions never), join events about others,
     * connection counts, the presence request and GET /api/topics/{t}/presence, a user with two sessions leaving
     * only with the last, and then only after the grace, with reason closed.
     */
    @Test
    void presenceJoinsAndLeavesAfterTheGrace() throws Exception {
        String t = topic("room");
        try (Client alice = Client.as(server.ws, "alice"); Client anon = Client.connect(server.ws);
                Client bob1 = Client.as(server.ws, "bob"); Client bob2 = Client.as(server.ws, "bob")) {
            JsonObject subscribed = alice.subscribeWithPresence(t);
            assertEquals(List.of("alice"), users(subscribed), "the asking user is a member: " + subscribed);
            assertEquals(1, member(subscribed, "alice").getInt("connections"), subscribed.toString());
            long aliceSince = member(subscribed, "alice").getJsonNumber("since").longValue();
            // a repeated subscribe that does not mention presence keeps it
            alice.subscribe(t);

            assertEquals(List.of("alice"), users(anon.subscribeWithPresence(t)), "anonymous sessions are not members");

            long joinedAt = System.currentTimeMillis();
            JsonObject bobSubscribed = bob1.subscribeWithPresence(t);
            assertEquals(List.of("alice", "bob"), users(bobSubscribed), bobSubscribed.toString());
            JsonObject join = alice.expect("join");
            assertEquals(t, join.getString("topic"), join.toString());
            assertEquals("bob", join.getString("user"), join.toString());
            long joinTime = join.getJsonNumber("time").longValue();
            assertTrue(Math.abs(joinTime - joinedAt) < 5000, "join time is epoch ms of now: " + join);
            assertEquals("bob", anon.expect("join").getString("user"), "anonymous watchers see joins too");

            bob2.subscribe(t); // bob's second session: no second join
            long marker = api.publish(t, "{\"marker\":true}");
            assertEquals(List.of(), eventsUpTo(alice, t, marker), "alice saw no event after bob's 2nd session");
            assertEquals(List.of(), eventsUpTo(bob1, t, marker), "bob sees no events about himself");

            JsonObject viaHttp = presence(t);
            Report.line("GET /api/topics/%s/presence: %s", t, viaHttp);
            assertEquals(List.of("alice", "bob"), users(viaHttp), viaHttp.toString());
            assertEquals(1, member(viaHttp, "alice").getInt("connections"), viaHttp.toString());
            assertEquals(2, member(viaHttp, "bob").getInt("connections"), viaHttp.toString());
            assertEquals(aliceSince, member(viaHttp, "alice").getJsonNumber("since").longValue(), viaHttp.toString());
            alice.send(json("presence").add("topic", t));
            JsonObject viaWs = alice.expect("presence");
            assertEquals(t, viaWs.getString("topic"), viaWs.toString());
            assertEquals(viaHttp.getJsonArray("members"), viaWs.getJsonArray("members"), "same members either way");

            bob1.closeGracefully();
            awaitConnections(t, "bob", 1, PulseServer.PATIENCE);
            long lastGone = System.nanoTime();
            bob2.closeGracefully();
            JsonObject during = awaitConnections(t, "bob", 0, Duration.ofMillis(GRACE - 200));
            Report.line("presence during the grace: %s", during);

            List<JsonObject> events = alice.until(Client.type("leave"), Duration.ofMillis(LEAVE_BOUND + 2000));
            long after = PulseServer.millisSince(lastGone);
            JsonObject leave = events.get(events.size() - 1);
            Report.line("leave after bob's last session closed: %d ms (grace %d): %s", after, GRACE, leave);
            assertEquals(List.of(leave), events, "nothing before the leave");
            assertEquals("bob", leave.getString("user"), leave.toString());
            assertEquals("closed", leave.getString("reason"), leave.toString());
            assertEquals(t, leave.getString("topic"), leave.toString());
            assertInstanceOf(JsonNumber.class, leave.get("time"), leave.toString());
            assertTrue(after >= GRACE - 20, "leave " + after + " ms after the close: before the grace of " + GRACE);
            assertTrue(after <= LEAVE_BOUND, "leave " + after + " ms after the close: later than " + LEAVE_BOUND);
            assertEquals(List.of("alice"), users(presence(t)));
            alice.closeGracefully();
            anon.closeGracefully();
        }
    }

    /** A reload: the last session drops and a new one subscribes within the grace: no leave, no second join. */
    @Test
    void reconnectWithinTheGraceIsNeitherLeaveNorJoin() throws Exception {
        String t = topic("reload");
        try (Client alice = Client.as(server.ws, "alice")) {
            alice.subscribeWithPresence(t);
            long bobSince;
            long droppedAt;
            try (Client bob = Client.as(server.ws, "bob")) {
                bob.subscribeWithPresence(t);
                assertEquals("bob", alice.expect("join").getString("user"));
                bobSince = member(presence(t), "bob").getJsonNumber("since").longValue();
                droppedAt = System.nanoTime();
            } // dropped without a closing handshake
            awaitConnections(t, "bob", 0, Duration.ofMillis(GRACE - 300));
            long noticed = PulseServer.millisSince(droppedAt);
            try (Client bobAgain = Client.as(server.ws, "bob")) {
                JsonObject s = bobAgain.subscribeWithPresence(t);
                long reconnected = PulseServer.millisSince(droppedAt);
                assertEquals(List.of("alice", "bob"), users(s), s.toString());
                // past the moment a leave would have come
                long wait = LEAVE_BOUND - PulseServer.millisSince(droppedAt);
                if (wait > 0) {
                    Thread.sleep(wait);
                }
                List<JsonObject> seen = upToMarker(alice, t);
                Report.line("reload: the server listed bob with 0 connections %d ms after the drop, he was back %d ms "
                        + "after it; alice saw %s in the %d ms after", noticed, reconnected, seen,
                        PulseServer.millisSince(droppedAt));
                assertEquals(List.of(), seen, "no leave and no second join for a reconnect within the grace");
                JsonObject p = presence(t);
                assertEquals(1, member(p, "bob").getInt("connections"), p.toString());
                assertEquals(bobSince, member(p, "bob").getJsonNumber("since").longValue(),
                        "bob's membership continued (since unchanged): " + p);
                bobAgain.closeGracefully();
            }
            alice.closeGracefully();
        }
    }

    /** A leave by unsubscribe comes at once, with reason unsubscribed; a second unsubscribe is harmless. */
    @Test
    void unsubscribeLeavesAtOnce() throws Exception {
        String t = topic("unsub");
        try (Client alice = Client.as(server.ws, "alice"); Client bob = Client.as(server.ws, "bob")) {
            alice.subscribeWithPresence(t);
            bob.subscribe(t);
            assertEquals("bob", alice.expect("join").getString("user"));
            long sent = System.nanoTime();
            bob.send(json("unsubscribe").add("topic", t));
            assertEquals(t, bob.expect("unsubscribed").getString("topic"));
            JsonObject leave = alice.expect("leave");
            long after = PulseServer.millisSince(sent);
            Report.line("leave by unsubscribe after %d ms: %s", after, leave);
            assertEquals("bob", leave.getString("user"), leave.toString());
            assertEquals("unsubscribed", leave.getString("reason"), leave.toString());
            assertTrue(after < GRACE / 2, "a leave by unsubscribe is immediate, came after " + after + " ms");
            assertEquals(List.of("alice"), users(presence(t)));
            bob.send(json("unsubscribe").add("topic", t));
            assertEquals(t, bob.expect("unsubscribed").getString("topic"), "unsubscribe is idempotent");
            // bob no longer gets the topic's messages; alice saw no further event
            api.publish(t, data(1));
            api.post("api/broadcast", "{\"marker\":\"unsub\"}");
            assertEquals("broadcast", bob.expect("message").getString("topic"), "bob got nothing of " + t);
            assertEquals(List.of(), upToMarker(alice, t), "no event after the leave");
            alice.closeGracefully();
            bob.closeGracefully();
        }
    }

    /** A session evicted by the heartbeat (it reads but never answers a Ping) leaves with reason evicted. */
    @Test
    void heartbeatEvictionFeedsPresence() throws Exception {
        String t = topic("evict");
        try (Client alice = Client.as(server.ws, "alice");
                Client carol = Client.connect(Client.withQuery(server.ws, "user", "carol"),
                        RawWebSocket.Mode.IGNORE_PINGS, Map.of(), "carol")) {
            alice.subscribeWithPresence(t);
            carol.subscribe(t);
            assertEquals("carol", alice.expect("join").getString("user"));
            RawWebSocket.Close close = carol.ws.closed()
                    .get(PulseServer.EVICT_BOUND + PulseServer.SLACK + 3000, TimeUnit.MILLISECONDS);
            assertEquals(4000, close.code(), "carol evicted by the heartbeat: " + close);
            List<JsonObject> events = alice.until(Client.type("leave"), Duration.ofMillis(LEAVE_BOUND + 2000));
            long after = PulseServer.millis(close.atNanos(), System.nanoTime());
            JsonObject leave = events.get(events.size() - 1);
            Report.line("leave %d ms after carol's eviction (%s): %s", after, close, leave);
            assertEquals(List.of(leave), events, "nothing before the leave");
            assertEquals("carol", leave.getString("user"), leave.toString());
            assertEquals("evicted", leave.getString("reason"), leave.toString());
            assertTrue(after >= GRACE - 50, "leave " + after + " ms after the eviction: before the grace");
            assertTrue(after <= LEAVE_BOUND, "leave " + after + " ms after the eviction: later than " + LEAVE_BOUND);
            assertEquals(List.of("alice"), users(presence(t)));
            alice.closeGracefully();
        }
    }

    /** The session of a just-connected non-reading client, found by its port, once it is subscribed to topic. */
    private String awaitSubscribedSession(RawWebSocket ws, String topic) throws InterruptedException {
        String suffix = ":" + ws.localPort();
        String[] found = new String[1];
        assertTrue(PulseServer.await(PulseServer.PATIENCE, Duration.ofMillis(10), () -> {
            for (JsonObject c : api.connections().getValuesAs(JsonObject.class)) {
                String remote = c.isNull("remote") ? null : c.getString("remote", null);
                if (remote != null && remote.endsWith(suffix)
                        && c.getJsonArray("topics").contains(Json.createValue(topic))) {
                    found[0] = c.getString("session");
                    return true;
                }
            }
            return false;
        }), "the non-reader (local port " + ws.localPort() + ") listed as subscribed to " + topic + ": "
                + api.connections());
        return found[0];
    }

    static List<Long> range(long from, long to) {
        List<Long> r = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            r.add(s);
        }
        return r;
    }
}
