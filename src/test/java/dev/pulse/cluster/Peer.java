package dev.pulse.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pulse.it.RawWebSocket;
import dev.pulse.it.RawWebSocket.Mode;
import jakarta.json.Json;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A WebSocket client of the contract on {@link RawWebSocket} (answers Pings). A pump thread stamps every message
 * with its arrival time ({@link System#nanoTime()}) and keeps them all, so that latencies are measured at arrival
 * and a whole stream can be checked afterwards, while the test reads them in order with {@link #next}/{@link #await}.
 */
final class Peer implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(5);

    /** One message as it arrived. */
    record Received(long nanos, JsonObject json) {

        String type() {
            return json.getString("type", null);
        }

        String topic() {
            return json.getString("topic", null);
        }

        long seq() {
            return json.get("seq") instanceof JsonNumber n ? n.longValue() : -1;
        }

        String epoch() {
            return json.getString("epoch", null);
        }

        /** data.id of a message, null otherwise. */
        String dataId() {
            return json.get("data") instanceof JsonObject d ? d.getString("id", null) : null;
        }

        @Override
        public String toString() {
            return json.toString();
        }
    }

    final String label;
    final String user;
    final RawWebSocket ws;
    final JsonObject welcome;
    final String session;
    private final BlockingQueue<Received> queue = new LinkedBlockingQueue<>();
    private final List<Received> all = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean closing;
    private final Thread pump;

    private Peer(String label, String user, RawWebSocket ws, JsonObject welcome) {
        this.label = label;
        this.user = user;
        this.ws = ws;
        this.welcome = welcome;
        this.session = welcome.getString("session");
        this.pump = new Thread(this::pump, "peer-" + label);
        pump.setDaemon(true);
        pump.start();
    }

    /** Connects to {@code wsUri} (as {@code user} through ?user= when not null) and reads the welcome. */
    static Peer connect(URI wsUri, String user, String label) throws IOException, InterruptedException {
        URI uri = user == null ? wsUri : URI.create(wsUri + "?user=" + user);
        RawWebSocket raw = RawWebSocket.connect(uri, Mode.ANSWER_PINGS);
        try {
            String text = raw.nextText(WAIT);
            if (text == null) {
                throw new AssertionError(label + ": no welcome within " + WAIT.toMillis() + " ms from " + uri);
            }
            JsonObject welcome = Http.parse(text);
            assertEquals("welcome", welcome.getString("type", null), label + ": first message " + welcome);
            return new Peer(label, user, raw, welcome);
        } catch (RuntimeException | Error | InterruptedException e) {
            raw.close();
            throw e;
        }
    }

    private void pump() {
        try {
            while (!closing) {
                String text = ws.nextText(Duration.ofMillis(200));
                if (text != null) {
                    Received r = new Received(System.nanoTime(), Http.parse(text));
                    all.add(r);
                    queue.add(r);
                } else if (ws.isClosed()) {
                    // drain what came before the close, then stop
                    String rest;
                    while ((rest = ws.nextText(Duration.ofMillis(50))) != null) {
                        Received r = new Received(System.nanoTime(), Http.parse(rest));
                        all.add(r);
                        queue.add(r);
                    }
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static JsonObjectBuilder json(String type) {
        return Json.createObjectBuilder().add("type", type);
    }

    void send(JsonObjectBuilder message) throws IOException {
        ws.sendText(message.build().toString());
    }

    /** Everything received so far (a copy). */
    List<Received> received() {
        synchronized (all) {
            return new ArrayList<>(all);
        }
    }

    /** The next message in arrival order, or null after the timeout. */
    Received poll(Duration timeout) throws InterruptedException {
        return queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The next message; fails after the timeout. */
    Received next(Duration timeout) throws InterruptedException {
        Received r = poll(timeout);
        if (r == null) {
            throw new AssertionError(label + ": no message within " + timeout.toMillis() + " ms"
                    + (ws.isClosed() ? "; closed: " + ws.closed().getNow(null) : ""));
        }
        return r;
    }

    /** The next message, which must be of this type. */
    Received expect(String type) throws InterruptedException {
        Received r = next(WAIT);
        assertEquals(type, r.type(), label + " expected \"" + type + "\", got " + r);
        return r;
    }

    /** The first message that matches, skipping (but keeping in {@link #received}) the others; fails after the timeout. */
    Received await(String what, Predicate<Received> match, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> skipped = new ArrayList<>();
        for (;;) {
            long left = deadline - System.nanoTime();
            Received r = left <= 0 ? null : queue.poll(left, TimeUnit.NANOSECONDS);
            if (r == null) {
                throw new AssertionError(label + ": no " + what + " within " + timeout.toMillis() + " ms; skipped "
                        + skipped + (ws.isClosed() ? "; closed: " + ws.closed().getNow(null) : ""));
            }
            if (match.test(r)) {
                return r;
            }
            skipped.add(r.toString());
        }
    }

    /** Subscribes (no resume); returns the {@code subscribed} answer. */
    JsonObject subscribe(String topic) throws IOException, InterruptedException {
        send(json("subscribe").add("topic", topic));
        return awaitSubscribed(topic);
    }

    JsonObject subscribeWithPresence(String topic) throws IOException, InterruptedException {
        send(json("subscribe").add("topic", topic).add("presence", true));
        return awaitSubscribed(topic);
    }

    JsonObject resume(String topic, long since, String epoch) throws IOException, InterruptedException {
        send(json("subscribe").add("topic", topic).add("since", since).add("epoch", epoch));
        return awaitSubscribed(topic);
    }

    private JsonObject awaitSubscribed(String topic) throws InterruptedException {
        Received r = next(WAIT);
        if (!"subscribed".equals(r.type()) || !topic.equals(r.topic())) {
            throw new AssertionError(label + ": expected subscribed to " + topic + ", got " + r);
        }
        return r.json();
    }

    /** Publishes over the socket and waits for its ack (returns the seq) or error (returns -1, see {@link #lastError}). */
    long publish(String topic, String id, Duration timeout) throws IOException, InterruptedException {
        send(json("publish").add("topic", topic).add("id", id).add("data", Json.createObjectBuilder().add("id", id)));
        Received r = await("ack or error for " + id,
                m -> ("ack".equals(m.type()) && id.equals(string(m.json(), "id")))
                        || ("error".equals(m.type()) && id.equals(string(m.json(), "ref"))), timeout);
        if ("ack".equals(r.type())) {
            assertEquals(topic, r.topic(), label + ": ack " + r);
            return r.seq();
        }
        lastError = r.json();
        return -1;
    }

    volatile JsonObject lastError;

    /** Waits until the connection ended and everything that came before its end was read into {@link #received}. */
    boolean ended(Duration timeout) throws InterruptedException {
        pump.join(timeout.toMillis());
        return !pump.isAlive();
    }

    boolean closed() {
        return ws.isClosed();
    }

    int pings() {
        return ws.pingCount();
    }

    static String string(JsonObject o, String key) {
        JsonValue v = o.get(key);
        return v instanceof JsonString s ? s.getString() : null;
    }

    /** Ends the connection with a closing handshake. */
    void closeGracefully() {
        ws.closeGracefully();
    }

    @Override
    public void close() {
        closing = true;
        ws.close();
    }

    @Override
    public String toString() {
        return label + "/" + session;
    }
}
