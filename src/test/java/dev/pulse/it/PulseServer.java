package dev.pulse.it;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The deployed Pulse as the tests reach it: base URLs on 127.0.0.1 (Arquillian's URL names the machine's external
 * address) and the HTTP API, parsed.
 */
final class PulseServer {

    /** The heartbeat the failsafe executions configure through PULSE_HEARTBEAT_INTERVAL / _TIMEOUT. */
    static final long INTERVAL = 1000;
    static final long TIMEOUT = 2000;
    /** Pulse's fixed heartbeat tick. */
    static final long TICK = 1000;
    /**
     * Allowance for what the bounds cannot know: delivery of the close over loopback, thread scheduling and GC on
     * a 2-core machine running the server and ~55 client threads. Added to the contract's upper bounds only.
     */
    static final long SLACK = 500;
    /**
     * How long to wait for something that must happen where no contract bounds how soon (a reply, a counter, a
     * listing): generous, since it costs nothing when things work and a busy 2-core machine (one Payara boot took
     * 59 s there, against 7-11 s) is several times slower than a quiet one. Not for contract bounds.
     */
    static final Duration PATIENCE = Duration.ofSeconds(30);
    /** The contract's latest eviction after a peer's last frame: interval + timeout + 1000 ms. */
    static final long EVICT_BOUND = INTERVAL + TIMEOUT + 1000;

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final URI http;
    final URI ws;

    private PulseServer(URI http) {
        this.http = http;
        this.ws = URI.create("ws" + http.toString().substring("http".length()) + "ws");
    }

    /** From Arquillian's URL: same port and context root, host 127.0.0.1. */
    static PulseServer of(URL deployed) {
        String path = deployed.getPath() == null || deployed.getPath().isEmpty() ? "/" : deployed.getPath();
        if (!path.endsWith("/")) {
            path += "/";
        }
        return new PulseServer(URI.create("http://127.0.0.1:" + deployed.getPort() + path));
    }

    static PulseServer at(int port, String contextRoot) {
        return new PulseServer(URI.create("http://127.0.0.1:" + port + contextRoot));
    }

    static String container() {
        return System.getProperty("it.container", System.getProperty("arquillian.launch", "unknown"));
    }

    static boolean payara() {
        return container().startsWith("payara");
    }

    HttpResponse<String> get(String relative) {
        return getAbsolute(http.resolve(relative));
    }

    static HttpResponse<String> getAbsolute(URI uri) {
        try {
            return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + uri + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    JsonArray connections() {
        HttpResponse<String> r = get("api/connections");
        if (r.statusCode() != 200) {
            throw new AssertionError("GET api/connections: " + r.statusCode() + " " + r.body());
        }
        return parseArray(r.body());
    }

    JsonObject stats() {
        HttpResponse<String> r = get("api/stats");
        if (r.statusCode() != 200) {
            throw new AssertionError("GET api/stats: " + r.statusCode() + " " + r.body());
        }
        return parse(r.body());
    }

    Optional<JsonObject> connection(String session) {
        return connections().getValuesAs(JsonObject.class).stream()
                .filter(c -> session.equals(c.getString("session", null)))
                .findFirst();
    }

    boolean listed(String session) {
        return connection(session).isPresent();
    }

    static long evictions(JsonObject stats, String reason) {
        JsonObject evictions = stats.getJsonObject("evictions");
        return evictions == null || !(evictions.get(reason) instanceof JsonNumber n) ? 0 : n.longValue();
    }

    static long number(JsonObject object, String key) {
        JsonValue v = object.get(key);
        return v instanceof JsonNumber n ? n.longValue() : -1;
    }

    static JsonObject parse(String text) {
        try (JsonReader reader = Json.createReader(new StringReader(text))) {
            return reader.readObject();
        }
    }

    static JsonArray parseArray(String text) {
        try (JsonReader reader = Json.createReader(new StringReader(text))) {
            return reader.readArray();
        }
    }

    /** Polls until the condition holds; false after the timeout. */
    static boolean await(Duration timeout, Duration every, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (;;) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(every.toMillis());
        }
    }

    /** Whether something accepts connections on 127.0.0.1:port. */
    static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (ConnectException e) {
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    static long millis(long fromNanos, long toNanos) {
        return (toNanos - fromNanos) / 1_000_000;
    }

    @Override
    public String toString() {
        return http.toString();
    }
}
