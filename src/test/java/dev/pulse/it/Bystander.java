package dev.pulse.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * A healthy session that watches while a test abuses the server: it answers Pings, stays subscribed to its own
 * topic, and {@link #assertUnharmed} proves after each abuse that it was never closed, kept being pinged (no gap
 * between Pings over the heartbeat's bound) and still receives messages published to it.
 */
final class Bystander implements AutoCloseable {

    /** The largest gap between two Pings a healthy session may see: one interval, one tick, slack. */
    static final long MAX_PING_GAP = PulseServer.INTERVAL + PulseServer.TICK + PulseServer.SLACK;

    private final Client client;
    private final Api api;
    private final String topic = "bystander." + UUID.randomUUID().toString().substring(0, 8);
    private int marker;

    private Bystander(Client client, Api api) {
        this.client = client;
        this.api = api;
    }

    static Bystander start(URI ws, Api api) throws IOException, InterruptedException {
        return start(ws, java.util.Map.of(), api);
    }

    /** With handshake headers, e.g. a token as the subprotocol. */
    static Bystander start(URI ws, java.util.Map<String, String> headers, Api api)
            throws IOException, InterruptedException {
        Client c = Client.connect(ws, RawWebSocket.Mode.ANSWER_PINGS, headers, "bystander");
        Bystander b = new Bystander(c, api);
        c.subscribe(b.topic);
        return b;
    }

    String session() {
        return client.session;
    }

    JsonObject welcome() {
        return client.welcome;
    }

    /** The number of Pings so far, to pass to {@link #assertUnharmed} at the end of a test. */
    int pings() {
        return client.ws.pingCount();
    }

    /**
     * After an abuse: still open and listed, a message published now arrives, a Ping arrived after
     * {@code pingsBefore}, and no gap between Pings (or since the last one) exceeded {@link #MAX_PING_GAP}.
     */
    void assertUnharmed(String after, int pingsBefore) throws InterruptedException {
        assertFalse(client.ws.isClosed(), "bystander closed after " + after + ": " + client.ws.closed().getNow(null));
        String data = "{\"marker\":" + (++marker) + "}";
        long seq = api.publish(topic, data);
        List<JsonObject> seen = client.until(Client.message(topic, seq), Duration.ofSeconds(3));
        JsonObject m = seen.get(seen.size() - 1);
        assertEquals(marker, m.getJsonObject("data").getInt("marker"), m.toString());
        assertTrue(PulseServer.await(Duration.ofMillis(MAX_PING_GAP), Duration.ofMillis(20),
                () -> client.ws.pingCount() > pingsBefore),
                "bystander got no Ping within " + MAX_PING_GAP + " ms after " + after + " (" + pingsBefore + " before)");
        List<Long> pings = client.ws.pings();
        long previous = client.ws.openNanos();
        long worst = 0;
        for (long p : pings) {
            worst = Math.max(worst, PulseServer.millis(previous, p));
            previous = p;
        }
        worst = Math.max(worst, PulseServer.millisSince(previous));
        assertTrue(worst <= MAX_PING_GAP, "bystander waited " + worst + " ms for a Ping (bound " + MAX_PING_GAP
                + ") by the end of " + after);
        assertTrue(api.listed(client.session), "bystander still listed in /api/connections after " + after);
    }

    @Override
    public void close() {
        client.closeGracefully();
    }
}
