package dev.pulse.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pulse.it.RawWebSocket.Mode;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A contract-speaking test client over {@link RawWebSocket} (which answers Pings unless told otherwise): reads the
 * welcome on connect and offers the JSON exchanges of the topic and presence parts of the contract.
 */
final class Client implements AutoCloseable {

    static final Duration WAIT = PulseServer.PATIENCE;

    final RawWebSocket ws;
    final JsonObject welcome;
    final String session;
    final String name;

    private Client(RawWebSocket ws, JsonObject welcome, String name) {
        this.ws = ws;
        this.welcome = welcome;
        this.session = welcome.getString("session");
        this.name = name;
    }

    static Client connect(URI ws) throws IOException, InterruptedException {
        return connect(ws, Mode.ANSWER_PINGS, Map.of(), "anonymous");
    }

    /** Connects as {@code user} through {@code ?user=} (needs pulse.identity.query-param=true). */
    static Client as(URI ws, String user) throws IOException, InterruptedException {
        return connect(withQuery(ws, "user", user), Mode.ANSWER_PINGS, Map.of(), user);
    }

    static Client connect(URI ws, Mode mode, Map<String, String> headers, String name)
            throws IOException, InterruptedException {
        RawWebSocket raw = RawWebSocket.connect(ws, mode, 0, headers);
        try {
            JsonObject welcome = Messages.next(raw, WAIT);
            assertEquals("welcome", welcome.getString("type", null), "first message: " + welcome);
            return new Client(raw, welcome, name);
        } catch (RuntimeException | Error e) {
            raw.close();
            throw e;
        }
    }

    static URI withQuery(URI ws, String key, String value) {
        String q = key + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
        return URI.create(ws + (ws.getRawQuery() == null ? "?" : "&") + q);
    }

    static JsonObjectBuilder json(String type) {
        return Json.createObjectBuilder().add("type", type);
    }

    void send(String text) throws IOException {
        ws.sendText(text);
    }

    void send(JsonObjectBuilder message) throws IOException {
        ws.sendText(message.build().toString());
    }

    JsonObject next() throws InterruptedException {
        return Messages.next(ws, WAIT);
    }

    JsonObject next(Duration timeout) throws InterruptedException {
        return Messages.next(ws, timeout);
    }

    /** The next message, which must be of this type. */
    JsonObject expect(String type) throws InterruptedException {
        JsonObject m = next();
        assertEquals(type, m.getString("type", null), name + " expected a \"" + type + "\" message, got " + m);
        return m;
    }

    /** Sends a message and expects an error with this code and ref (null for a JSON null). */
    JsonObject expectError(String sent, String code, String ref) throws IOException, InterruptedException {
        send(sent);
        JsonObject error = next();
        assertEquals("error", error.getString("type", null), "answer to " + sent + ": " + error);
        assertEquals(code, error.getString("code", null), "code of the answer to " + sent + ": " + error);
        if (ref == null) {
            assertEquals(jakarta.json.JsonValue.NULL, error.get("ref"), "ref of the answer to " + sent + ": " + error);
        } else {
            assertEquals(ref, error.getString("ref", null), "ref of the answer to " + sent + ": " + error);
        }
        if (!(error.get("message") instanceof jakarta.json.JsonString s) || s.getString().isBlank()) {
            throw new AssertionError("an error carries a human-readable message: " + error);
        }
        return error;
    }

    /** Subscribes (no resume) and returns the {@code subscribed} answer. */
    JsonObject subscribe(String topic) throws IOException, InterruptedException {
        send(json("subscribe").add("topic", topic));
        JsonObject s = expect("subscribed");
        assertEquals(topic, s.getString("topic"), s.toString());
        return s;
    }

    /** Subscribes with presence and returns the {@code subscribed} answer (with members). */
    JsonObject subscribeWithPresence(String topic) throws IOException, InterruptedException {
        send(json("subscribe").add("topic", topic).add("presence", true));
        JsonObject s = expect("subscribed");
        assertEquals(topic, s.getString("topic"), s.toString());
        return s;
    }

    /** Every message up to and including the first that matches; fails after the timeout. */
    List<JsonObject> until(Predicate<JsonObject> last, Duration timeout) throws InterruptedException {
        List<JsonObject> seen = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (;;) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            String text = left <= 0 ? null : ws.nextText(Duration.ofMillis(left));
            if (text == null) {
                throw new AssertionError(name + ": no matching message within " + timeout.toMillis() + " ms; saw "
                        + seen + (ws.isClosed() ? "; closed: " + ws.closed().getNow(null) : ""));
            }
            JsonObject m = PulseServer.parse(text);
            seen.add(m);
            if (last.test(m)) {
                return seen;
            }
        }
    }

    static Predicate<JsonObject> message(String topic, long seq) {
        return m -> "message".equals(m.getString("type", null)) && topic.equals(m.getString("topic", null))
                && m.getJsonNumber("seq").longValue() == seq;
    }

    static Predicate<JsonObject> type(String type) {
        return m -> type.equals(m.getString("type", null));
    }

    void closeGracefully() {
        ws.closeGracefully();
    }

    /** Ends the TCP connection at once, without a closing handshake. */
    @Override
    public void close() {
        ws.close();
    }

    @Override
    public String toString() {
        return name + "/" + session;
    }
}
