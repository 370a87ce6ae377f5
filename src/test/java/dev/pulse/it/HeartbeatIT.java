package dev.pulse.it;

import static dev.pulse.it.PulseServer.EVICT_BOUND;
import static dev.pulse.it.PulseServer.INTERVAL;
import static dev.pulse.it.PulseServer.SLACK;
import static dev.pulse.it.PulseServer.TICK;
import static dev.pulse.it.PulseServer.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pulse.it.RawWebSocket.Close;
import dev.pulse.it.RawWebSocket.Mode;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.net.URL;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The liveness part of the wire contract over the wire, on a server started with PULSE_HEARTBEAT_INTERVAL=1000
 * and PULSE_HEARTBEAT_TIMEOUT=2000 in its environment.
 */
@ExtendWith(ArquillianExtension.class)
class HeartbeatIT {

    private static final long STARTED = System.nanoTime();

    @ArquillianResource
    URL deployed;

    PulseServer server;

    @Deployment(testable = false)
    static WebArchive deployment() {
        return Deployments.pulse();
    }

    @BeforeEach
    void server() {
        server = PulseServer.of(deployed);
    }

    @AfterAll
    static void took() {
        Report.line("HeartbeatIT class took %d ms (deployment included)", PulseServer.millisSince(STARTED));
    }

    @Test
    void welcomeCarriesTheHeartbeatFromTheEnvironment() throws Exception {
        long before = System.currentTimeMillis();
        try (RawWebSocket ws = RawWebSocket.connect(server.ws, Mode.ANSWER_PINGS)) {
            JsonObject welcome = Messages.next(ws, PulseServer.PATIENCE);
            long after = System.currentTimeMillis();
            Report.line("welcome at %s: %s", server.ws, welcome);
            assertEquals("welcome", welcome.getString("type"));
            assertFalse(welcome.getString("session").isBlank(), "session id");
            assertEquals(JsonValue.NULL, welcome.get("user"), "anonymous connection: user is null");
            JsonObject heartbeat = welcome.getJsonObject("heartbeat");
            assertNotNull(heartbeat, "heartbeat");
            assertEquals(INTERVAL, heartbeat.getJsonNumber("interval").longValue(),
                    "interval from PULSE_HEARTBEAT_INTERVAL");
            assertEquals(TIMEOUT, heartbeat.getJsonNumber("timeout").longValue(),
                    "timeout from PULSE_HEARTBEAT_TIMEOUT");
            long time = welcome.getJsonNumber("time").longValue();
            assertTrue(time >= before - 1000 && time <= after + 1000,
                    "welcome time " + time + " is epoch ms of now (" + before + ".." + after + ")");
        }
    }

    @Test
    void serverPingsEveryIntervalAndTheRoundTripShowsInConnections() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(server.ws, Mode.ANSWER_PINGS)) {
            String session = Messages.welcome(ws);
            // the first Ping comes within one interval (spread at random) plus a tick; then one per interval
            long deadline = INTERVAL + TICK + SLACK + 3 * (INTERVAL + TICK + SLACK);
            assertTrue(PulseServer.await(Duration.ofMillis(deadline), Duration.ofMillis(20), () -> ws.pingCount() >= 4),
                    "4 Pings within " + deadline + " ms, got " + ws.pingCount());
            List<Long> pings = ws.pings();
            long first = PulseServer.millis(ws.openNanos(), pings.get(0));
            long minGap = Long.MAX_VALUE;
            long maxGap = 0;
            for (int i = 1; i < pings.size(); i++) {
                long gap = PulseServer.millis(pings.get(i - 1), pings.get(i));
                minGap = Math.min(minGap, gap);
                maxGap = Math.max(maxGap, gap);
            }
            Report.line("Pings: first %d ms after open, gaps %d..%d ms over %d Pings", first, minGap, maxGap,
                    pings.size());
            assertTrue(first <= INTERVAL + TICK + SLACK, "first Ping " + first + " ms after open");
            assertTrue(maxGap <= INTERVAL + TICK + SLACK, "largest gap between Pings " + maxGap + " ms");
            assertTrue(minGap >= INTERVAL / 4, "Pings roughly every interval, not in bursts: smallest gap " + minGap);

            JsonObject[] entry = new JsonObject[1];
            boolean measured = PulseServer.await(PulseServer.PATIENCE, Duration.ofMillis(100), () -> {
                entry[0] = server.connection(session).orElse(null);
                return entry[0] != null && entry[0].get("rttMs") instanceof JsonNumber;
            });
            assertTrue(measured, "rttMs of " + session + " is a number in /api/connections: " + entry[0]);
            double rtt = entry[0].getJsonNumber("rttMs").doubleValue();
            Report.line("/api/connections entry after Pongs: %s", entry[0]);
            assertTrue(rtt >= 0 && rtt < 1000, "rttMs " + rtt);
            for (String key : new String[] {"session", "user", "remote", "openedAt", "lastSeenAt", "rttMs", "topics"}) {
                assertTrue(entry[0].containsKey(key), "connection has " + key + ": " + entry[0]);
            }
            assertTrue(entry[0].getJsonArray("topics").contains(jakarta.json.Json.createValue("broadcast")),
                    "topics include broadcast: " + entry[0]);
            JsonObject stats = server.stats();
            assertTrue(PulseServer.number(stats, "pingsSent") >= 4, "pingsSent: " + stats);
            assertTrue(PulseServer.number(stats, "pongsReceived") >= 4, "pongsReceived: " + stats);
            assertInstanceOf(JsonNumber.class, stats.getJsonObject("rttMs").get("p50"), "rttMs.p50: " + stats);
            ws.closeGracefully();
        }
    }

    @Test
    void applicationPingIsAnsweredAtOnce() throws Exception {
        try (JdkWebSocket ws = JdkWebSocket.connect(server.ws)) {
            String welcome = ws.next(PulseServer.PATIENCE);
            assertNotNull(welcome, "welcome");
            assertEquals("welcome", PulseServer.parse(welcome).getString("type"));
            long sent = System.currentTimeMillis();
            ws.send("{\"type\":\"ping\",\"t\":42}");
            String answer = ws.next(PulseServer.PATIENCE);
            assertNotNull(answer, "pong within 2 s");
            JsonObject pong = PulseServer.parse(answer);
            assertEquals("pong", pong.getString("type"), answer);
            assertEquals(42, pong.getJsonNumber("t").longValue(), answer);
            long time = pong.getJsonNumber("time").longValue();
            assertTrue(time >= sent - 1000 && time <= System.currentTimeMillis() + 1000, "pong time " + time);
            // a non-integer t comes back as it was sent
            ws.send("{\"type\":\"ping\",\"t\":1.5}");
            JsonObject second = PulseServer.parse(ws.next(PulseServer.PATIENCE));
            assertEquals(1.5, second.getJsonNumber("t").doubleValue(), second.toString());
        }
    }

    @Test
    void badInputIsAnsweredAndTheConnectionStaysOpen() throws Exception {
        long badJsonBefore = errors(server.stats(), "bad_json");
        long unknownBefore = errors(server.stats(), "unknown_type");
        try (RawWebSocket ws = RawWebSocket.connect(server.ws, Mode.ANSWER_PINGS)) {
            Messages.welcome(ws);
            ws.sendText("{not json");
            JsonObject error = Messages.awaitType(ws, "error", PulseServer.PATIENCE);
            assertEquals("bad_json", error.getString("code"), error.toString());
            assertEquals(JsonValue.NULL, error.get("ref"), error.toString());
            assertFalse(error.getString("message").isBlank(), error.toString());

            ws.sendText("[1,2]");
            error = Messages.awaitType(ws, "error", PulseServer.PATIENCE);
            assertEquals("bad_json", error.getString("code"), "not an object: " + error);

            ws.sendText("{\"type\":\"nope\",\"id\":\"x1\"}");
            error = Messages.awaitType(ws, "error", PulseServer.PATIENCE);
            assertEquals("unknown_type", error.getString("code"), error.toString());
            assertEquals("x1", error.getString("ref"), error.toString());

            ws.sendText("{\"type\":\"nope\"}");
            error = Messages.awaitType(ws, "error", PulseServer.PATIENCE);
            assertEquals("unknown_type", error.getString("code"), error.toString());
            assertEquals("nope", error.getString("ref"), "ref is the type without an id: " + error);

            ws.sendText("{\"type\":\"ping\",\"t\":7}");
            JsonObject pong = Messages.awaitType(ws, "pong", PulseServer.PATIENCE);
            assertEquals(7, pong.getJsonNumber("t").longValue());
            assertFalse(ws.isClosed(), "still open after errors: " + ws.closed().getNow(null));
            JsonObject stats = server.stats();
            assertTrue(errors(stats, "bad_json") >= badJsonBefore + 2, "errors.bad_json counted: " + stats);
            assertTrue(errors(stats, "unknown_type") >= unknownBefore + 2, "errors.unknown_type counted: " + stats);
            ws.closeGracefully();
        }
    }

    /**
     * A peer that reads (so it sees the Pings) but never answers and sends nothing is evicted within the
     * contract's bounds after its last frame, while a healthy peer next to it stays.
     */
    @Test
    void silentPeerIsEvictedWithinTheBoundsAndAHealthyOneStays() throws Exception {
        long evictionsBefore = PulseServer.evictions(server.stats(), "heartbeat");
        try (RawWebSocket healthy = RawWebSocket.connect(server.ws, Mode.ANSWER_PINGS);
                RawWebSocket silent = RawWebSocket.connect(server.ws, Mode.IGNORE_PINGS)) {
            String healthySession = Messages.welcome(healthy);
            String silentSession = Messages.welcome(silent);
            silent.sendText("{\"type\":\"ping\",\"t\":1}");
            long lastFrame = silent.lastSentNanos(); // the server saw it at or after this instant
            Messages.awaitType(silent, "pong", PulseServer.PATIENCE);
            long answered = System.nanoTime(); // ... and at or before this one

            Close close;
            try {
                close = silent.closed().get(EVICT_BOUND + SLACK + 5000, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                fail("silent peer not closed " + (EVICT_BOUND + SLACK + 5000) + " ms after its last frame; listed: "
                        + server.listed(silentSession) + ", stats " + server.stats());
                return;
            }
            long afterLast = PulseServer.millis(lastFrame, close.atNanos());
            long afterAnswer = PulseServer.millis(answered, close.atNanos());
            Report.line("silent peer: closed %s, %d ms after its last frame (%d ms after the server answered it), "
                    + "having seen %d Pings; bounds [%d, %d + %d slack]", close, afterLast, afterAnswer,
                    silent.pingCount(), TIMEOUT, EVICT_BOUND, SLACK);
            assertTrue(close.frame(), "a close frame, not a dropped connection: " + close);
            assertEquals(4000, close.code(), "close code: " + close);
            assertEquals("heartbeat timeout", close.reason(), "close reason: " + close);
            assertTrue(afterLast >= TIMEOUT, "evicted " + afterLast + " ms after the last frame: sooner than the timeout");
            assertTrue(afterAnswer <= EVICT_BOUND + SLACK,
                    "evicted " + afterAnswer + " ms after the last frame arrived: later than the bound");
            assertTrue(silent.pingCount() >= 1, "the silent peer was pinged before eviction");
            Long eof = silent.eof().completeOnTimeout(-1L, 5, TimeUnit.SECONDS).get();
            Report.line("silent peer: server ended TCP %s", eof < 0 ? "NOT within 5 s of the close"
                    : PulseServer.millis(close.atNanos(), eof) + " ms after the close frame");

            assertFalse(server.listed(silentSession), "evicted session gone from /api/connections");
            assertFalse(healthy.isClosed(), "healthy peer still open: " + healthy.closed().getNow(null));
            assertTrue(server.listed(healthySession), "healthy peer still listed");
            assertTrue(healthy.pingCount() >= 2, "healthy peer kept being pinged: " + healthy.pingCount());
            JsonObject stats = server.stats();
            assertTrue(PulseServer.evictions(stats, "heartbeat") >= evictionsBefore + 1,
                    "evictions.heartbeat grew from " + evictionsBefore + ": " + stats);
            healthy.closeGracefully();
        }
    }

    @Test
    void healthEndpointsAreUp() throws Exception {
        HttpResponse<String>[] ready = new HttpResponse[1];
        // ready once the heartbeat has ticked (within a second of the deployment on a quiet machine)
        PulseServer.await(PulseServer.PATIENCE, Duration.ofMillis(200), () -> {
            ready[0] = server.get("health/ready");
            return ready[0].statusCode() == 200;
        });
        HttpResponse<String> live = server.get("health/live");
        HttpResponse<String> all = server.get("health");
        Report.line("%shealth/live -> %d %s", server.http.getPath(), live.statusCode(), live.body());
        Report.line("%shealth/ready -> %d %s", server.http.getPath(), ready[0].statusCode(), ready[0].body());
        Report.line("%shealth -> %d %s", server.http.getPath(), all.statusCode(), all.body());
        for (String root : new String[] {"/health", "/health/live", "/health/ready"}) {
            // the server's own health endpoint, outside the context root (Payara Micro has MicroProfile Health)
            HttpResponse<String> r = PulseServer.getAbsolute(server.http.resolve(root));
            String body = r.body().length() > 400 ? r.body().substring(0, 400) + "..." : r.body();
            Report.line("server root %s -> %d %s", root, r.statusCode(), body.replaceAll("\\s+", " "));
        }
        assertEquals(200, live.statusCode(), live.body());
        assertEquals("UP", PulseServer.parse(live.body()).getString("status"), live.body());
        assertEquals(200, ready[0].statusCode(), ready[0].body());
        assertEquals("UP", PulseServer.parse(ready[0].body()).getString("status"), ready[0].body());
    }

    private static long errors(JsonObject stats, String code) {
        JsonObject errors = stats.getJsonObject("errors");
        return errors == null || !(errors.get(code) instanceof JsonNumber n) ? 0 : n.longValue();
    }
}
