package dev.pulse.connection.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.config.Overload;
import dev.pulse.config.PulseSettings;
import dev.pulse.testing.InProcessPulse;
import dev.pulse.testing.TestClient;
import jakarta.json.JsonObject;
import jakarta.websocket.CloseReason;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** With the slow start on, a node that keeps up still closes the sessions beyond the ramp with 1013 and a moment. */
class RampEndpointTest {

    @RegisterExtension
    static final InProcessPulse PULSE = new InProcessPulse().settings(PulseSettings.builder().heartbeat(1000, 2000)
            .overload(Overload.defaults().withRamp(true, 1)).build());

    @Test
    void sessionsBeyondTheRampAreToldWhenToComeBack() throws Exception {
        int clients = 10; // at once: one admission in any 100 ms lets few of them in
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<CompletableFuture<TestClient>> connecting = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            connecting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return TestClient.connect(PULSE.uri());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, pool));
        }
        int refused = 0;
        for (CompletableFuture<TestClient> c : connecting) {
            try (TestClient client = c.get(10, TimeUnit.SECONDS)) {
                JsonObject first = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (first == null && !client.closed.isDone() && System.nanoTime() < deadline) {
                    first = client.messages.poll(20, TimeUnit.MILLISECONDS);
                }
                if (first == null) {
                    CloseReason close = client.awaitClose();
                    assertEquals(1013, close.getCloseCode().getCode(), close.toString());
                    assertTrue(close.getReasonPhrase().matches("retry-after=\\d+"), close.getReasonPhrase());
                    refused++;
                } else {
                    assertEquals("welcome", first.getString("type"));
                }
            }
        }
        pool.shutdown();
        assertTrue(refused >= 1, "ten at once, one admitted per 100 ms: some were refused");
        JsonObject ramp = PULSE.graph().snapshots().stats().getJsonObject("admission").getJsonObject("ramp");
        assertEquals(refused, ramp.getJsonNumber("refused").longValue(), ramp.toString());
        assertTrue(ramp.getBoolean("active"), ramp.toString());
        assertEquals(1, ramp.getInt("perWindow"), ramp.toString());
        assertEquals(0, PULSE.graph().snapshots().stats().getJsonObject("admission").getJsonNumber("refused")
                .longValue(), "not refused for lag");
    }
}
