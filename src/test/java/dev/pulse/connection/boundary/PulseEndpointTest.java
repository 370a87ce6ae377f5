package dev.pulse.connection.boundary;


import dev.pulse.config.PulseSettings;
import dev.pulse.connection.entity.Connection;
import dev.pulse.heartbeat.control.Heartbeat;
import dev.pulse.monitoring.boundary.Snapshots;
import dev.pulse.testing.InProcessPulse;
import dev.pulse.testing.TestClient;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The endpoint on Tyrus's in-process server: the wire contract without an application server. */
class PulseEndpointTest {

    @RegisterExtension
    static final InProcessPulse PULSE = new InProcessPulse()
            .settings(PulseSettings.builder().heartbeat(1000, 2000).maxMessageBytes(4096).build());

    @Test
    void welcomesWithSessionUserHeartbeatAndTime() throws Exception {
        long before = System.currentTimeMillis();
        try (TestClient client = TestClient.connect(PULSE.uri())) {
            JsonObject welcome = client.next();
            assertEquals("welcome", welcome.getString("type"));
            assertTrue(PULSE.registry().find(welcome.getString("session")).isPresent());
            assertEquals(JsonValue.NULL, welcome.get("user"));
            assertEquals(1000, welcome.getJsonObject("heartbeat").getInt("interval"));
            assertEquals(2000, welcome.getJsonObject("heartbeat").getInt("timeout"));
            long time = welcome.getJsonNumber("time").longValue();
            assertTrue(time >= before && time <= System.currentTimeMillis());
        }
    }

    @Test
    void answersAnApplicationPingAtOnce() throws Exception {
        try (TestClient client = TestClient.connect(PULSE.uri())) {
            client.next("welcome");
            client.send("{\"type\":\"ping\",\"t\":12345.5}");
            JsonObject pong = client.next();
            assertEquals("pong", pong.getString("type"));
            assertEquals(12345.5, pong.getJsonNumber("t").doubleValue());
            assertTrue(pong.containsKey("time"));
            client.send("{\"type\":\"ping\"}");
            assertEquals(JsonValue.NULL, client.next("pong").get("t"), "a ping without t is echoed with null");
            client.send("{\"type\":\"ping\",\"t\":\"soon\"}");
            assertEquals("bad_request", client.next().getString("code"));
        }
    }

    @Test
    void badJsonIsAnsweredAndTheConnectionStaysOpen() throws Exception {
        try (TestClient client = TestClient.connect(PULSE.uri())) {
            client.next("welcome");
            for (String bad : new String[] {"{not json", "[1,2]", "42", "{\"type\":7}", "{\"id\":\"x\"}"}) {
                client.send(bad);
                JsonObject error = client.next();
                assertEquals("error", error.getString("type"), bad);
                assertEquals("bad_json", error.getString("code"), bad);
                assertFalse(error.getString("message").isEmpty());
            }
            client.send("{\"type\":\"ping\",\"t\":1}");
            assertEquals("pong", client.next().getString("type"));
            assertEquals(5L, PULSE.stats().errors().get("bad_json"));
        }
    }

    @Test
    void unknownTypeNamesTheOffendingMessage() throws Exception {
        try (TestClient client = TestClient.connect(PULSE.uri())) {
            client.next("welcome");
            client.send("{\"type\":\"frobnicate\",\"id\":\"req-7\"}");
            JsonObject error = client.next();
            assertEquals("unknown_type", error.getString("code"));
            assertEquals("req-7", error.getString("ref"));
            client.send("{\"type\":\"frobnicate\"}");
            assertEquals("frobnicate", client.next().getString("ref"));
            assertTrue(client.session().isOpen());
        }
    }

    @Test
    void binaryFramesAreClosedWith1003() throws Exception {
        try (TestClient client = TestClient.connect(PULSE.uri())) {
            client.next("welcome");
            try {
                client.session().getBasicRemote().sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            } catch (RuntimeException | java.io.IOException closedWhileSending) {
                // the server may close before the client's send call returns: the close code is what counts
            }
            assertEquals(1003, client.awaitClose().getCloseCode().getCode());
        }
    }

    @Test
    void oversizedMessagesAreClosedWith1009() throws Exception {
        try (TestClient client = TestClient.connect(PULSE.uri())) {
            client.next("welcome");
            try {
                client.send("{\"type\":\"ping\",\"t\":1,\"pad\":\"" + "x".repeat(5000) + "\"}");
            } catch (RuntimeException | java.io.IOException closedWhileSending) {
                // the server may close on the frame's announced length, before the client's send returns
            }
            assertEquals(1009, client.awaitClose().getCloseCode().getCode());
        }
    }

    @Test
    void pingFramesAreAnsweredAndTheRoundTripShowsInConnections() throws Exception {
        try (TestClient client = TestClient.connect(PULSE.uri())) {
            String id = client.next("welcome").getString("session");
            Connection connection = PULSE.registry().find(id).orElseThrow();
            Heartbeat heartbeat = PULSE.graph().heartbeat();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (connection.rttMillis() == null && System.nanoTime() < deadline) {
                heartbeat.tick();
                Thread.sleep(50); // polling the registry, not asserting on time
            }
            assertNotNull(connection.rttMillis(), "a Pong came back within 5 s");
            assertTrue(PULSE.stats().pingsSent.sum() >= 1);
            assertTrue(PULSE.stats().pongsReceived.sum() >= 1);
            Snapshots snapshots = PULSE.graph().snapshots();
            JsonObject listed = snapshots.connections().getJsonObject(0);
            assertEquals(id, listed.getString("session"));
            assertTrue(listed.getJsonNumber("rttMs").doubleValue() >= 0);
            assertEquals("broadcast", listed.getJsonArray("topics").getString(0));
            JsonObject stats = snapshots.stats();
            assertEquals(1, stats.getInt("connections"));
            assertTrue(stats.getJsonObject("rttMs").getJsonNumber("p50").doubleValue() >= 0);
        }
    }

    /**
     * The endpoint subscribes a session to broadcast before its welcome: whatever is published after the client
     * saw the welcome reaches it, even a publish made from the very callback that delivered the welcome.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aPublishTheMomentTheWelcomeArrivesReachesTheClient() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); // 300 rounds take ~3 s unloaded
        AtomicReference<Throwable> failed = new AtomicReference<>();
        int round = 0;
        for (; round < 300 && System.nanoTime() < deadline; round++) {
            String data = "{\"round\":" + round + "}";
            try (TestClient client = TestClient.connect(PULSE.uri(), message -> {
                if (message.getString("type").equals("welcome")) {
                    try {
                        PULSE.topics().publish("broadcast", data);
                    } catch (RuntimeException e) {
                        failed.compareAndSet(null, e);
                    }
                }
            })) {
                assertEquals("welcome", client.next().getString("type"));
                JsonObject message = client.messages.poll(5, TimeUnit.SECONDS);
                assertNull(failed.get(), "the publish failed");
                assertNotNull(message, "round " + round + ": the message published on the welcome did not arrive");
                assertEquals("message", message.getString("type"), "round " + round);
                assertEquals("broadcast", message.getString("topic"));
                assertEquals(round, message.getJsonObject("data").getInt("round"), "round " + round);
            }
        }
        assertTrue(round >= 50, "only " + round + " rounds in 30 s");
    }

    @Test
    void aClientCloseRemovesTheSession() throws Exception {
        TestClient client = TestClient.connect(PULSE.uri());
        String id = client.next("welcome").getString("session");
        client.close();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (PULSE.registry().find(id).isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(PULSE.registry().find(id).isEmpty());
    }
}
