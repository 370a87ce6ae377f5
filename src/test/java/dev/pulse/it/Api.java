package dev.pulse.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * The HTTP API of a deployed Pulse, with the API key (when the test's deployment configures one) on every call
 * unless a call says otherwise.
 */
final class Api {

    /** One HTTP answer. */
    record Answer(int status, String body, HttpHeaders headers) {

        JsonObject json() {
            return PulseServer.parse(body);
        }

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    final PulseServer server;
    private final String key;

    Api(PulseServer server, String key) {
        this.server = server;
        this.key = key;
    }

    Api(PulseServer server) {
        this(server, null);
    }

    /** POST with the configured key (if any) and the given extra headers (name, value, name, value...). */
    Answer post(String relative, String body, String... headers) {
        return send(request(relative, true, headers).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** POST with exactly the given headers: no key is added. */
    Answer postWithout(String relative, String body, String... headers) {
        return send(request(relative, false, headers).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    Answer get(String relative, String... headers) {
        return send(request(relative, true, headers).GET());
    }

    Answer getWithout(String relative, String... headers) {
        return send(request(relative, false, headers).GET());
    }

    /** Publishes over HTTP and checks the 202 answer; returns the seq. */
    long publish(String topic, String json) {
        Answer a = post("api/topics/" + topic + "/messages", json);
        assertEquals(202, a.status(), "POST api/topics/" + topic + "/messages: " + a);
        JsonObject answer = a.json();
        assertEquals(topic, answer.getString("topic"), a.toString());
        return answer.getJsonNumber("seq").longValue();
    }

    JsonObject stats() {
        Answer a = get("api/stats");
        if (a.status() != 200) {
            throw new AssertionError("GET api/stats: " + a);
        }
        return a.json();
    }

    JsonArray connections() {
        Answer a = get("api/connections");
        if (a.status() != 200) {
            throw new AssertionError("GET api/connections: " + a);
        }
        return PulseServer.parseArray(a.body());
    }

    Optional<JsonObject> connection(String session) {
        return connections().getValuesAs(JsonObject.class).stream()
                .filter(c -> session.equals(c.getString("session", null))).findFirst();
    }

    boolean listed(String session) {
        return connection(session).isPresent();
    }

    /** errors.{code} of /api/stats, 0 when absent. */
    long errors(String code) {
        return errors(stats(), code);
    }

    static long errors(JsonObject stats, String code) {
        JsonObject errors = stats.getJsonObject("errors");
        return errors == null || !(errors.get(code) instanceof JsonNumber n) ? 0 : n.longValue();
    }

    /** Waits until /api/connections lists at most {@code max} sessions (closed test clients are gone). */
    void awaitConnectionsAtMost(int max) throws InterruptedException {
        int[] seen = {-1};
        if (!PulseServer.await(PulseServer.PATIENCE, Duration.ofMillis(50), () -> {
            seen[0] = connections().size();
            return seen[0] <= max;
        })) {
            throw new AssertionError("still " + seen[0] + " sessions listed, expected at most " + max + ": "
                    + connections());
        }
    }

    private HttpRequest.Builder request(String relative, boolean withKey, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.http.resolve(relative)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json");
        if (withKey && key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.setHeader(headers[i], headers[i + 1]); // a test's own Content-Type replaces the default
        }
        return b;
    }

    private static Answer send(HttpRequest.Builder request) {
        HttpRequest r = request.build();
        try {
            HttpResponse<String> response = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), response.body(), response.headers());
        } catch (IOException e) {
            throw new UncheckedIOException(r.method() + " " + r.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
