package dev.pulse.it;

import static dev.pulse.it.Client.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pulse.it.RawWebSocket.Close;
import dev.pulse.it.RawWebSocket.HandshakeRefused;
import dev.pulse.it.RawWebSocket.Mode;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bad-input table of the wire contract on a real server (issue 5), one test per row, each answered with the
 * exact code, counted in /api/stats errors, and harmless to a {@link Bystander} that stays connected for the whole
 * class. Its own configuration keeps the limits small: 4 KiB messages, 5 messages a second, one allowed origin,
 * 3 connections per address, 3 topics per session.
 */
@ExtendWith(ArquillianExtension.class)
class BadInputIT {

    static final int MAX_BYTES = 4096;
    static final int RATE = 5;
    static final String ALLOWED_ORIGIN = "https://app.example";
    static final int PER_ADDRESS = 3;
    static final int TOPICS_PER_SESSION = 3;
    private static final long STARTED = System.nanoTime();
    private static Bystander bystander;

    @ArquillianResource
    URL deployed;

    PulseServer server;
    Api api;
    int pingsBefore;

    @Deployment(testable = false)
    static WebArchive deployment() {
        return Deployments.pulse().addAsResource(new StringAsset("pulse.identity.query-param=true\n"
                + "pulse.message.max-bytes=" + MAX_BYTES + "\n"
                + "pulse.rate.messages-per-second=" + RATE + "\n"
                + "pulse.origins=" + ALLOWED_ORIGIN + "\n"
                + "pulse.limits.per-address=" + PER_ADDRESS + "\n"
                + "pulse.limits.topics-per-session=" + TOPICS_PER_SESSION + "\n"),
                "META-INF/microprofile-config.properties");
    }

    @BeforeEach
    void server() throws Exception {
        server = PulseServer.of(deployed);
        api = new Api(server);
        if (bystander == null) {
            bystander = Bystander.start(server.ws, api);
        }
        api.awaitConnectionsAtMost(1); // only the bystander: the per-address limit leaves room for 2 more
        pingsBefore = bystander.pings();
    }

    @AfterEach
    void closeLeftovers() throws InterruptedException {
        api.awaitConnectionsAtMost(1);
    }

    @AfterAll
    static void took() {
        if (bystander != null) {
            bystander.close();
            bystander = null;
        }
        Report.line("BadInputIT class took %d ms (deployment included)", PulseServer.millisSince(STARTED));
    }

    private Map<String, Long> errors(String... codes) {
        JsonObject stats = api.stats();
        Map<String, Long> counts = new java.util.LinkedHashMap<>();
        for (String code : codes) {
            counts.put(code, Api.errors(stats, code));
        }
        return counts;
    }

    /**
     * Asserts errors.{code} grew by exactly the given amounts since {@code before}. Awaited: a close the container
     * enforced (1009) is counted in @OnClose, which can run just after the client already read the close frame.
     */
    private void assertCounted(Map<String, Long> before, Map<String, Long> expectedGrowth) throws InterruptedException {
        PulseServer.await(PulseServer.PATIENCE, Duration.ofMillis(50), () -> {
            JsonObject now = api.stats();
            return expectedGrowth.entrySet().stream()
                    .allMatch(e -> before.get(e.getKey()) + e.getValue() == Api.errors(now, e.getKey()));
        });
        JsonObject stats = api.stats();
        expectedGrowth.forEach((code, growth) -> assertEquals(before.get(code) + growth, Api.errors(stats, code),
                "errors." + code + " grew by " + growth + " from " + before.get(code) + ": " + stats.get("errors")));
    }

    private static Close awaitClose(RawWebSocket ws) throws Exception {
        try {
            return ws.closed().get(PulseServer.PATIENCE.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("not closed within " + PulseServer.PATIENCE + ": " + ws);
        }
    }

    private static void assertPong(Client c, long t) throws Exception {
        c.send("{\"type\":\"ping\",\"t\":" + t + "}");
        JsonObject pong = c.next();
        assertEquals("pong", pong.getString("type", null), "still answering after the errors: " + pong);
        assertEquals(t, pong.getJsonNumber("t").longValue(), pong.toString());
        assertFalse(c.ws.isClosed(), "still open: " + c.ws.closed().getNow(null));
    }

    /** Not JSON, not an object, no string type → bad_json; an unknown type → unknown_type; ref by the rules. */
    @Test
    void badJsonAndUnknownTypeAreAnsweredWithTheirRef() throws Exception {
        Map<String, Long> before = errors("bad_json", "unknown_type");
        try (Client c = Client.connect(server.ws)) {
            c.expectError("{not json", "bad_json", null);
            c.expectError("[1,2]", "bad_json", null);
            c.expectError("\"just a string\"", "bad_json", null);
            c.expectError("{\"id\":\"q1\"}", "bad_json", "q1");
            c.expectError("{\"type\":42,\"id\":\"q2\"}", "bad_json", "q2");
            c.expectError("{\"type\":\"frobnicate\",\"id\":\"q3\"}", "unknown_type", "q3");
            c.expectError("{\"type\":\"frobnicate\"}", "unknown_type", "frobnicate");
            c.expectError("{\"type\":\"frobnicate\",\"id\":7}", "unknown_type", "frobnicate");
            assertPong(c, 1);
            c.closeGracefully();
        }
        assertCounted(before, Map.of("bad_json", 5L, "unknown_type", 3L));
        bystander.assertUnharmed("bad JSON and unknown types", pingsBefore);
    }

    /** Missing or invalid fields → bad_request, the connection stays open. */
    @Test
    void invalidFieldsAreBadRequests() throws Exception {
        Map<String, Long> before = errors("bad_request");
        try (Client c = Client.connect(server.ws)) {
            c.expectError("{\"type\":\"subscribe\"}", "bad_request", "subscribe");
            c.expectError("{\"type\":\"subscribe\",\"topic\":\"\",\"id\":\"r1\"}", "bad_request", "r1");
            c.expectError("{\"type\":\"subscribe\",\"topic\":\"" + "a".repeat(201) + "\"}", "bad_request", "subscribe");
            c.expectError("{\"type\":\"subscribe\",\"topic\":\"has space\"}", "bad_request", "subscribe");
            c.expectError("{\"type\":\"subscribe\",\"topic\":\"ok\",\"since\":-1,\"id\":\"r2\"}", "bad_request", "r2");
            c.expectError("{\"type\":\"subscribe\",\"topic\":\"ok\",\"presence\":\"yes\"}", "bad_request", "subscribe");
            c.expectError("{\"type\":\"publish\",\"topic\":\"ok\",\"id\":\"r3\"}", "bad_request", "r3");
            c.expectError("{\"type\":\"unsubscribe\",\"topic\":7}", "bad_request", "unsubscribe");
            assertPong(c, 2);
            c.closeGracefully();
        }
        assertCounted(before, Map.of("bad_request", 8L));
        bystander.assertUnharmed("invalid fields", pingsBefore);
    }

    /** Another user's user: topic (subscribe or presence), publishing to broadcast or a user: topic → forbidden. */
    @Test
    void forbiddenActionsAreRefused() throws Exception {
        Map<String, Long> before = errors("forbidden");
        try (Client c = Client.as(server.ws, "mallory")) {
            c.expectError("{\"type\":\"subscribe\",\"topic\":\"user:alice\",\"id\":\"f1\"}", "forbidden", "f1");
            c.expectError("{\"type\":\"presence\",\"topic\":\"user:alice\"}", "forbidden", "presence");
            c.expectError("{\"type\":\"publish\",\"topic\":\"broadcast\",\"data\":1}", "forbidden", "publish");
            c.expectError("{\"type\":\"publish\",\"topic\":\"user:mallory\",\"data\":1,\"id\":\"f2\"}", "forbidden",
                    "f2");
            assertPong(c, 3);
            c.closeGracefully();
        }
        assertCounted(before, Map.of("forbidden", 4L));
        bystander.assertUnharmed("forbidden actions", pingsBefore);
    }

    /**
     * At most pulse.limits.topics-per-session topics of the client's own choosing (broadcast and its user topic
     * do not count): one more is forbidden, a repeated subscribe is not, and unsubscribing makes room.
     */
    @Test
    void tooManyTopicsPerSessionIsForbidden() throws Exception {
        Map<String, Long> before = errors("forbidden");
        String longest = "Az09:._@-" + "x".repeat(191); // 200 characters, every kind allowed
        try (Client c = Client.as(server.ws, "tina")) {
            c.subscribe(longest);
            c.subscribe("t.b");
            c.subscribe("t.c");
            c.expectError("{\"type\":\"subscribe\",\"topic\":\"t.d\",\"id\":\"t4\"}", "forbidden", "t4");
            c.subscribe(longest); // already subscribed: allowed
            c.send(json("unsubscribe").add("topic", "t.c"));
            c.expect("unsubscribed");
            c.subscribe("t.d");
            JsonObject entry = api.connection(c.session).orElseThrow();
            assertEquals(5, entry.getJsonArray("topics").size(), "broadcast, user:tina and 3 chosen: " + entry);
            c.closeGracefully();
        }
        assertCounted(before, Map.of("forbidden", 1L));
        bystander.assertUnharmed("too many topics", pingsBefore);
    }

    /**
     * A message of exactly pulse.message.max-bytes (UTF-8) is taken; one byte more, more bytes than characters
     * (2-byte UTF-8), or a fragmented message over the limit after reassembly closes with 1009, counted as
     * too_large.
     */
    @Test
    void oversizedMessagesCloseWith1009() throws Exception {
        Map<String, Long> before = errors("too_large");
        List<String> closes = new ArrayList<>();
        try (Client c = Client.connect(server.ws)) {
            String exact = padded(MAX_BYTES, 'x');
            assertEquals(MAX_BYTES, exact.getBytes(StandardCharsets.UTF_8).length);
            c.send(exact);
            assertEquals("pong", c.next().getString("type"), "a message of exactly max-bytes is taken");
            c.send(padded(MAX_BYTES + 1, 'x'));
            Close close = awaitClose(c.ws);
            closes.add("max+1: " + close);
            assertEquals(1009, close.code(), "one byte over max-bytes: " + close);
        }
        try (Client c = Client.connect(server.ws)) {
            String wide = padded(MAX_BYTES + 2, 'é'); // fewer characters than max-bytes, more bytes
            assertTrue(wide.length() < MAX_BYTES, "characters " + wide.length());
            c.send(wide);
            Close close = awaitClose(c.ws);
            closes.add(wide.length() + " chars/" + (MAX_BYTES + 2) + " bytes: " + close);
            assertEquals(1009, close.code(), "over max-bytes in UTF-8 bytes: " + close);
        }
        try (Client c = Client.connect(server.ws)) {
            // a fragmented message under the limit is reassembled and answered ...
            byte[] ping = "{\"type\":\"ping\",\"t\":5}".getBytes(StandardCharsets.UTF_8);
            c.ws.sendFrame(false, 0x1, java.util.Arrays.copyOfRange(ping, 0, 5));
            c.ws.sendFrame(false, 0x0, java.util.Arrays.copyOfRange(ping, 5, 12));
            c.ws.sendFrame(true, 0x0, java.util.Arrays.copyOfRange(ping, 12, ping.length));
            assertEquals(5, c.expect("pong").getJsonNumber("t").longValue(), "fragmented message reassembled");
            // ... one over it after reassembly closes, although every frame is small
            byte[] big = padded(MAX_BYTES + 500, 'x').getBytes(StandardCharsets.UTF_8);
            int third = big.length / 3;
            c.ws.sendFrame(false, 0x1, java.util.Arrays.copyOfRange(big, 0, third));
            c.ws.sendFrame(false, 0x0, java.util.Arrays.copyOfRange(big, third, 2 * third));
            try {
                c.ws.sendFrame(true, 0x0, java.util.Arrays.copyOfRange(big, 2 * third, big.length));
            } catch (IOException e) {
                // the server may have closed as soon as the limit was passed
            }
            Close close = awaitClose(c.ws);
            closes.add("fragmented " + big.length + " bytes: " + close);
            assertEquals(1009, close.code(), "fragmented, over max-bytes after reassembly: " + close);
        }
        Report.line("oversized messages (max-bytes %d): %s", MAX_BYTES, closes);
        assertCounted(before, Map.of("too_large", 3L));
        bystander.assertUnharmed("oversized messages", pingsBefore);
    }

    /** A ping message padded with the given character to exactly {@code bytes} UTF-8 bytes. */
    private static String padded(int bytes, char pad) {
        String head = "{\"type\":\"ping\",\"t\":1,\"pad\":\"";
        String tail = "\"}";
        int room = bytes - head.length() - tail.length();
        int width = String.valueOf(pad).getBytes(StandardCharsets.UTF_8).length;
        StringBuilder b = new StringBuilder(head);
        b.append(String.valueOf(pad).repeat(room / width));
        b.append("x".repeat(room % width));
        return b.append(tail).toString();
    }

    /** A binary frame closes with 1003, counted as binary. */
    @Test
    void binaryFrameClosesWith1003() throws Exception {
        Map<String, Long> before = errors("binary");
        try (Client c = Client.connect(server.ws)) {
            c.ws.sendFrame(0x2, new byte[] {1, 2, 3, 4});
            Close close = awaitClose(c.ws);
            Report.line("binary frame: %s", close);
            assertEquals(1003, close.code(), close.toString());
        }
        assertCounted(before, Map.of("binary", 1L));
        bystander.assertUnharmed("a binary frame", pingsBefore);
    }

    /**
     * Frames the container itself refuses close with their RFC 6455 code: invalid UTF-8 in a text message 1007, a
     * reserved opcode 1002. Neither reaches a message handler, so Pulse counts them where the session closes, as
     * {@code bad_frame}, and nobody else notices. Undertow reports its 1002 close to the application as 1006, with
     * nothing portable to tell it from a peer that vanished: on WildFly that one counts as an abrupt disconnect.
     */
    @Test
    void framesTheContainerRefusesCloseWithTheirCodeAndAreCounted() throws Exception {
        Map<String, Long> before = errors("bad_frame");
        try (Client c = Client.connect(server.ws)) {
            c.ws.sendFrame(0x1, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}); // 0xC3 starts a 2-byte sequence
            Close close = awaitClose(c.ws);
            Report.line("invalid UTF-8: %s", close);
            assertEquals(1007, close.code(), close.toString());
        }
        try (Client c = Client.connect(server.ws)) {
            c.ws.sendFrame(0x3, new byte[] {1}); // opcodes 3-7 are reserved
            Close close = awaitClose(c.ws);
            Report.line("reserved opcode: %s", close);
            assertEquals(1002, close.code(), close.toString());
        }
        assertCounted(before, Map.of("bad_frame", PulseServer.payara() ? 2L : 1L));
        bystander.assertUnharmed("frames the container refuses", pingsBefore);
    }

    /**
     * Token bucket of 2R, refilled at R/s: a burst over it loses the excess with one rate_limited error (at most
     * one a second, every drop counted), and more than R drops within 10 s close with 1008 "message flood".
     */
    @Test
    void rateLimitDropsThenClosesAFlood() throws Exception {
        Map<String, Long> before = errors("rate_limited", "flood");
        List<Long> errorsAt = new ArrayList<>();
        List<String> refs = new ArrayList<>();
        int sent = 0;
        int pongs = 0;
        long start = System.nanoTime();
        try (Client c = Client.connect(server.ws)) {
            // 1. a burst of 2R + 2: the bucket (2R, full at open) takes 2R (one more if a refill slips in), the
            //    rest is dropped with one error
            for (int i = 0; i < 2 * RATE + 2; i++) {
                c.send("{\"type\":\"ping\",\"t\":" + (sent++) + "}");
            }
            List<Long> taken = new ArrayList<>(); // the server's time of each answered ping (the pong's "time")
            pongs = readUntilAccounted(c, sent, 0, 0, before.get("rate_limited"), errorsAt, refs, taken);
            assertEquals(1, errorsAt.size(), "one rate_limited error for the burst's drops");
            // the bucket holds 2R; tokens that came back while the server took the burst are accepted too: one if
            // it took it at once (the fraction refilled since the open), one more per 1/R s it spent on it
            long span = taken.isEmpty() ? 0 : taken.get(taken.size() - 1) - taken.get(0);
            long refilled = 1 + span * RATE / 1000;
            assertTrue(pongs >= 2 * RATE && pongs <= 2 * RATE + refilled, "the bucket took 2R: " + pongs
                    + " answered, with at most " + refilled + " refilled while the server took the burst (" + span
                    + " ms)");
            // 2. 1.1 s later (about R + 0.5 tokens back): R + 3 more; again some are dropped, with one error now
            //    that a second has passed; drops so far stay within R, so the session stays open
            long wait = 1100 - PulseServer.millis(errorsAt.get(0), System.nanoTime());
            if (wait > 0) {
                Thread.sleep(wait);
            }
            int second = RATE + 3;
            long droppedInPhase1 = sent - pongs;
            for (int i = 0; i < second; i++) {
                c.send("{\"type\":\"ping\",\"t\":" + (sent++) + "}");
            }
            // answers: a pong per accepted message and one error; read until every ping is accounted for
            int phase2Pongs = readUntilAccounted(c, sent, pongs, droppedInPhase1, before.get("rate_limited"), errorsAt,
                    refs, new ArrayList<>()) - pongs;
            boolean error2 = errorsAt.size() > 1;
            pongs += phase2Pongs;
            assertTrue(error2, "a second rate_limited error, more than a second after the first");
            assertFalse(c.ws.isClosed(), "open while drops stay within R: " + c.ws.closed().getNow(null));
            long apart = PulseServer.millis(errorsAt.get(0), errorsAt.get(1));
            assertTrue(apart >= 900, "rate_limited errors " + apart + " ms apart: more than one a second");
            // 3. sustained: another 2R at once; the drops pass R within 10 s: close 1008
            for (int i = 0; i < 2 * RATE; i++) {
                try {
                    c.send("{\"type\":\"ping\",\"t\":" + (sent++) + "}");
                } catch (IOException e) {
                    sent--;
                    break;
                }
            }
            Close close = awaitClose(c.ws);
            String text;
            while ((text = c.ws.nextText(Duration.ZERO)) != null) {
                JsonObject x = PulseServer.parse(text);
                if ("pong".equals(x.getString("type"))) {
                    pongs++;
                } else if ("rate_limited".equals(x.getString("code", null))) {
                    errorsAt.add(System.nanoTime());
                }
            }
            long elapsed = PulseServer.millisSince(start);
            JsonObject stats = api.stats();
            long dropped = Api.errors(stats, "rate_limited") - before.get("rate_limited");
            Report.line("rate limit %d/s: sent %d, answered %d, errors.rate_limited +%d, %d rate_limited errors "
                    + "received in %d ms (refs %s), phase 2 accepted %d of %d; close %s; errors %s", RATE, sent, pongs,
                    dropped, errorsAt.size(), elapsed, refs, phase2Pongs, second, close, stats.get("errors"));
            assertEquals(1008, close.code(), "sustained flood: " + close);
            assertEquals("message flood", close.reason(), close.toString());
            assertTrue(errorsAt.size() <= 1 + elapsed / 1000, errorsAt.size() + " rate_limited errors in "
                    + elapsed + " ms: more than one a second");
            assertTrue(dropped > RATE && dropped <= sent - pongs, "errors.rate_limited counts every dropped "
                    + "message: +" + dropped + " with " + sent + " sent and " + pongs + " answered");
            assertEquals(before.get("flood") + 1, Api.errors(stats, "flood"), "errors.flood: " + stats);
        }
        bystander.assertUnharmed("a message flood", pingsBefore);
    }

    /**
     * Reads answers until every ping sent so far is accounted for, answered (a pong) or dropped (counted in
     * errors.rate_limited since {@code rateLimitedBefore}), and the error new drops call for has come: a fact to
     * wait for, where "no message for 500 ms" was a guess a slow server can break. Returns the pongs so far (from
     * {@code pongs}); adds each rate_limited error to {@code errorsAt} and {@code refs}, each pong's server time
     * to {@code taken}. {@code dropped}: the drops counted before this phase's pings.
     */
    private int readUntilAccounted(Client c, int sent, int pongs, long dropped, long rateLimitedBefore,
            List<Long> errorsAt, List<String> refs, List<Long> taken) throws InterruptedException {
        int errorsBefore = errorsAt.size();
        long deadline = System.nanoTime() + PulseServer.PATIENCE.toNanos();
        for (;;) {
            JsonObject m = nextOrNull(c, Duration.ofMillis(100));
            if (m != null) {
                if ("pong".equals(m.getString("type"))) {
                    pongs++;
                    taken.add(m.getJsonNumber("time").longValue());
                } else {
                    assertEquals("rate_limited", m.getString("code", null), m.toString());
                    refs.add(String.valueOf(m.get("ref")));
                    errorsAt.add(System.nanoTime());
                }
                continue;
            }
            long droppedNow = Api.errors(api.stats(), "rate_limited") - rateLimitedBefore;
            boolean errorDue = droppedNow > dropped;
            if (pongs + droppedNow == sent && (!errorDue || errorsAt.size() > errorsBefore)) {
                return pongs;
            }
            assertTrue(System.nanoTime() - deadline < 0, "within " + PulseServer.PATIENCE + " not all " + sent
                    + " pings accounted for: " + pongs + " answered, " + droppedNow + " dropped, errors " + refs);
        }
    }

    private static JsonObject nextOrNull(Client c, Duration quiet) throws InterruptedException {
        String text = c.ws.nextText(quiet);
        return text == null ? null : PulseServer.parse(text);
    }

    /** A handshake from a foreign Origin is refused with 403 (counted); the allowed one and none are accepted. */
    @Test
    void foreignOriginIsRefused() throws Exception {
        Map<String, Long> before = errors("origin");
        try (RawWebSocket evil = RawWebSocket.connect(server.ws, Mode.ANSWER_PINGS, 0,
                Map.of("Origin", "https://evil.example"))) {
            fail("a handshake from https://evil.example was accepted");
        } catch (HandshakeRefused e) {
            Report.line("Origin https://evil.example: %s", e.response().split("\r\n")[0]);
            assertEquals(403, e.status(), e.response());
        }
        try (Client ok = Client.connect(server.ws, Mode.ANSWER_PINGS, Map.of("Origin", ALLOWED_ORIGIN), "app");
                Client none = Client.connect(server.ws)) {
            assertPong(ok, 6);
            assertPong(none, 7);
            ok.closeGracefully();
            none.closeGracefully();
        }
        assertCounted(before, Map.of("origin", 1L));
        bystander.assertUnharmed("a foreign origin", pingsBefore);
    }

    /** More than pulse.limits.per-address open connections from one address: HTTP 429 too_many_connections. */
    @Test
    void tooManyConnectionsFromOneAddressAreRefused() throws Exception {
        Map<String, Long> before = errors("too_many_connections");
        // the bystander is one of the PER_ADDRESS
        List<Client> open = new ArrayList<>();
        try {
            for (int i = 1; i < PER_ADDRESS; i++) {
                open.add(Client.connect(server.ws));
            }
            try (RawWebSocket refused = RawWebSocket.connect(server.ws, Mode.ANSWER_PINGS)) {
                fail("connection " + (PER_ADDRESS + 1) + " from 127.0.0.1 was accepted");
            } catch (HandshakeRefused e) {
                Report.line("connection %d from one address: %s body %s", PER_ADDRESS + 1,
                        e.response().split("\r\n")[0], e.body());
                assertEquals(429, e.status(), e.response());
                if (!e.body().isEmpty()) {
                    assertEquals("too_many_connections", PulseServer.parse(e.body()).getString("code"), e.body());
                }
            }
            // one goes, and there is room again
            open.remove(0).closeGracefully();
            api.awaitConnectionsAtMost(PER_ADDRESS - 1);
            open.add(Client.connect(server.ws));
            assertPong(open.get(open.size() - 1), 8);
        } finally {
            open.forEach(Client::closeGracefully);
        }
        assertCounted(before, Map.of("too_many_connections", 1L));
        bystander.assertUnharmed("too many connections", pingsBefore);
    }

    /**
     * HTTP publish: body over max-bytes → 413 too_large; not JSON → 400 bad_json; invalid topic or user → 400
     * bad_request; all with {"code","message"} and counted. POST /api/tokens without an API key configured → 403.
     */
    @Test
    void httpApiRejectsBadBodiesAndNames() throws Exception {
        Map<String, Long> before = errors("too_large", "bad_json", "bad_request", "forbidden");
        List<String> seen = new ArrayList<>();
        String big = "{\"pad\":\"" + "x".repeat(MAX_BYTES) + "\"}";
        String[][] cases = {
            {"api/topics/ok/messages", big, "413", "too_large"},
            {"api/topics/ok/messages", "{not json", "400", "bad_json"},
            {"api/topics/ok/messages", "", "400", "bad_json"},
            {"api/broadcast", "nope", "400", "bad_json"},
            {"api/users/alice/messages", "{\"a\":", "400", "bad_json"},
            {"api/topics/bad%20topic/messages", "{}", "400", "bad_request"},
            {"api/topics/" + "a".repeat(201) + "/messages", "{}", "400", "bad_request"},
            {"api/users/bad%20user/messages", "{}", "400", "bad_request"},
            {"api/users/" + "u".repeat(65) + "/messages", "{}", "400", "bad_request"},
            {"api/topics/bad%20topic/presence", null, "400", "bad_request"},
            {"api/tokens", "{\"user\":\"alice\"}", "403", "forbidden"},
        };
        for (String[] c : cases) {
            Api.Answer a = c[1] == null ? api.get(c[0]) : api.post(c[0], c[1]);
            seen.add(c[0].substring(0, Math.min(40, c[0].length())) + " -> " + a.status() + " " + a.body());
            assertEquals(Integer.parseInt(c[2]), a.status(), c[0] + " with " + abbreviate(c[1]) + ": " + a);
            JsonObject body = a.json();
            assertEquals(c[3], body.getString("code"), c[0] + ": " + a);
            assertFalse(body.getString("message", "").isBlank(), "a message: " + a);
        }
        // a body of exactly max-bytes is taken
        String exact = "{\"pad\":\"" + "x".repeat(MAX_BYTES - 10) + "\"}";
        assertEquals(MAX_BYTES, exact.length());
        Api.Answer ok = api.post("api/topics/ok/messages", exact);
        assertEquals(202, ok.status(), ok.toString());
        Report.line("HTTP API errors: %s", seen);
        assertCounted(before, Map.of("too_large", 1L, "bad_json", 4L, "bad_request", 5L, "forbidden", 1L));
        bystander.assertUnharmed("bad HTTP requests", pingsBefore);
    }

    private static String abbreviate(String s) {
        return s == null ? "(GET)" : s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /** The page and the API carry a CSP allowing only the site itself, nosniff, no framing, no referrer. */
    @Test
    void pagesCarrySecurityHeaders() throws Exception {
        for (String path : new String[] {"", "api/stats"}) {
            Api.Answer a = api.get(path);
            assertEquals(200, a.status(), "GET /" + path + ": " + a.status());
            String csp = a.header("Content-Security-Policy");
            Report.line("GET %s%s: Content-Security-Policy: %s; X-Content-Type-Options: %s; X-Frame-Options: %s; "
                    + "Referrer-Policy: %s", server.http.getPath(), path, csp, a.header("X-Content-Type-Options"),
                    a.header("X-Frame-Options"), a.header("Referrer-Policy"));
            assertNotNull(csp, "Content-Security-Policy on /" + path);
            assertTrue(csp.contains("default-src 'self'"), csp);
            assertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval") || csp.contains("*"),
                    "no inline or foreign script: " + csp);
            assertEquals("nosniff", a.header("X-Content-Type-Options"));
            assertEquals("DENY", a.header("X-Frame-Options"));
            assertEquals("no-referrer", a.header("Referrer-Policy"));
        }
        bystander.assertUnharmed("page requests", pingsBefore);
    }
}
