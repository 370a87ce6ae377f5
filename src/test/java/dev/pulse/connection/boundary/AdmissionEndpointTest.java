package dev.pulse.connection.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.config.Overload;
import dev.pulse.config.PulseSettings;
import dev.pulse.monitoring.control.Lag;
import dev.pulse.testing.InProcessPulse;
import dev.pulse.testing.TestClient;
import jakarta.json.JsonObject;
import jakarta.websocket.CloseReason;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node that is behind refuses new sessions with 1013 and a jittered retry-after, says so in /api/stats and
 * readiness, and leaves the sessions it has alone; it takes new ones again once its lag is gone.
 */
class AdmissionEndpointTest {

    @RegisterExtension
    static final InProcessPulse PULSE = new InProcessPulse().settings(PulseSettings.builder().heartbeat(1000, 2000)
            .overload(Overload.defaults().withAdmission(500, 1000, 2000)).build());

    private static void behindBy(long millis) {
        long now = PULSE.graph().clock().nanos();
        PULSE.graph().lag().late(Lag.Source.PROBE, now, millis * 1_000_000);
    }

    @Test
    void aNodeBehindItsThresholdRefusesNewSessionsWith1013AndKeepsItsOwn() throws Exception {
        try (TestClient open = TestClient.connect(PULSE.uri())) {
            open.next("welcome");
            behindBy(400);
            assertFalse(PULSE.graph().admission().shedding(), "400 ms is below the 500 ms threshold");
            behindBy(800);
            assertTrue(PULSE.graph().admission().shedding());
            assertFalse(PULSE.graph().health().ready(), "readiness DOWN while shedding");
            for (int i = 0; i < 3; i++) {
                try (TestClient refused = TestClient.connect(PULSE.uri())) {
                    CloseReason close = refused.awaitClose();
                    assertEquals(1013, close.getCloseCode().getCode(), close.toString());
                    Matcher m = Pattern.compile("retry-after=(\\d+)").matcher(close.getReasonPhrase());
                    assertTrue(m.matches(), close.getReasonPhrase());
                    long ms = Long.parseLong(m.group(1));
                    assertTrue(ms >= 1000 && ms <= 3000, "retry-after in [1000, 1000 + 2000]: " + ms);
                }
            }
            assertEquals(1, PULSE.registry().size(), "refused sessions were never registered");
            assertTrue(open.session().isOpen());
            open.send("{\"type\":\"ping\",\"t\":1}");
            assertEquals("pong", open.next().getString("type"), "the open session is served as before");

            JsonObject stats = PULSE.graph().snapshots()
                    .stats();
            JsonObject admission = stats.getJsonObject("admission");
            assertEquals(3, admission.getJsonNumber("refused").longValue(), stats.toString());
            assertTrue(admission.getBoolean("shedding"), stats.toString());
            assertEquals(500, admission.getJsonNumber("maxLagMs").longValue());
            JsonObject lag = stats.getJsonObject("lag");
            assertTrue(lag.getJsonNumber("ms").doubleValue() >= 800, lag.toString());
            assertEquals(800.0, lag.getJsonObject("sources").getJsonNumber("probe").doubleValue(), lag.toString());
        }
    }

    @Test
    void theLagOfAFewSecondsAgoNoLongerShedsLoad() throws Exception {
        long threeSecondsAgo = PULSE.graph().clock().nanos() - 3_100_000_000L;
        PULSE.graph().lag().late(Lag.Source.GC, threeSecondsAgo, 5_000_000_000L);
        assertFalse(PULSE.graph().admission().shedding());
        try (TestClient client = TestClient.connect(PULSE.uri())) {
            assertEquals("welcome", client.next().getString("type"));
        }
    }
}
