package dev.pulse.connection.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.config.PulseSettings;
import dev.pulse.it.RawWebSocket;
import dev.pulse.testing.InProcessPulse;
import dev.pulse.testing.TestClient;
import jakarta.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Clients whose TCP connection ends without a close frame (1006: reset, or closed by a process that died) are
 * counted as abrupt disconnects, whichever the server notices first (the read side, or a send or Ping that fails),
 * and never as the server's own error (issue 13: the chaos run counted them under evictions.error).
 */
class AbruptCloseTest {

    @RegisterExtension
    static final InProcessPulse PULSE = new InProcessPulse()
            .settings(PulseSettings.builder().heartbeat(1000, 2000).build());

    // the send Tyrus refuses while its connection is closed but its session not yet showed in 2 of 25 repetitions
    // under CPU load (and once in a full unit-test run), in none of 6 alone
    @RepeatedTest(3)
    void aResetOrAVanishedClientIsAnAbruptDisconnectNotAServerError() throws Exception {
        try (TestClient bystander = TestClient.connect(PULSE.uri())) {
            bystander.next("welcome");
            for (int round = 0; round < 10; round++) {
                RawWebSocket reset = RawWebSocket.connect(PULSE.uri(), RawWebSocket.Mode.ANSWER_PINGS);
                RawWebSocket vanished = RawWebSocket.connect(PULSE.uri(), RawWebSocket.Mode.ANSWER_PINGS);
                reset.nextText(Duration.ofSeconds(5));
                vanished.nextText(Duration.ofSeconds(5));
                reset.reset();
                vanished.close(); // FIN without a close frame
                for (int i = 0; i < 20; i++) { // the server writes to them before or while it notices
                    PULSE.topics().publish("broadcast", "{\"i\":" + i + "}");
                    PULSE.graph().heartbeat().tick();
                }
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (PULSE.registry().size() > 1 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(1, PULSE.registry().size(), "round " + round + ": both gone, the bystander stays");
            }
            JsonObject stats = PULSE.graph().snapshots().stats();
            assertEquals(0, stats.getJsonObject("evictions").getInt("error"), "no server error: " + stats);
            assertEquals(20, stats.getJsonObject("disconnects").getInt("abrupt"), "each counted once: " + stats);
            assertTrue(bystander.session().isOpen());
            PULSE.topics().publish("broadcast", "{\"after\":true}");
            JsonObject message;
            do { // the bystander got everything published meanwhile, in order: the last is the one after
                message = bystander.next("message");
            } while (!message.getJsonObject("data").containsKey("after"));
        }
    }
}
