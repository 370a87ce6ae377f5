package dev.pulse.browser;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** The deployed Pulse's HTTP API as the browser tests use it: publish, connections, stats. */
final class Api {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The base of the pages and the API, e.g. {@code http://127.0.0.1:18080/pulse/}. */
    final URI base;
    private final String key;

    Api(URI base) {
        this(base, null);
    }

    /** With {@code key}: the API is protected by pulse.api.key. */
    Api(URI base, String key) {
        this.base = base;
        this.key = key;
    }

    /** The socket URL of the deployment with a user, as the page builds it. */
    URI ws(String user) {
        return URI.create("ws" + base.toString().substring("http".length()) + "ws?user="
                + URLEncoder.encode(user, StandardCharsets.UTF_8));
    }

    /** POSTs a chat message as the page writes them; returns its seq. */
    long publish(String topic, String user, String text) {
        JsonObject body = Json.createObjectBuilder().add("user", user).add("text", text).build();
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve("api/topics/" + topic + "/messages"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
        if (r.statusCode() != 202) {
            throw new AssertionError("publish to " + topic + ": " + r.statusCode() + " " + r.body());
        }
        return parse(r.body()).getJsonNumber("seq").longValue();
    }

    JsonArray connections() {
        return Json.createReader(new StringReader(get("api/connections"))).readArray();
    }

    /** The open sessions of one user. */
    List<JsonObject> connectionsOf(String user) {
        return connections().getValuesAs(JsonObject.class).stream()
                .filter(c -> c.get("user") instanceof jakarta.json.JsonString s && s.getString().equals(user))
                .toList();
    }

    /** The open sessions of the users whose name starts with {@code prefix}. */
    List<JsonObject> connectionsStartingWith(String prefix) {
        return connections().getValuesAs(JsonObject.class).stream()
                .filter(c -> c.get("user") instanceof jakarta.json.JsonString s && s.getString().startsWith(prefix))
                .toList();
    }

    JsonObject stats() {
        return parse(get("api/stats"));
    }

    long evictions(String reason) {
        JsonObject evictions = stats().getJsonObject("evictions");
        return evictions == null || !evictions.containsKey(reason) ? 0 : evictions.getJsonNumber(reason).longValue();
    }

    boolean up() {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("api/stats")).timeout(Duration.ofSeconds(2));
            if (key != null) {
                request.header("Authorization", "Bearer " + key);
            }
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private String get(String relative) {
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve(relative)).GET());
        if (r.statusCode() != 200) {
            throw new AssertionError("GET " + relative + ": " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonObject parse(String text) {
        try (JsonReader reader = Json.createReader(new StringReader(text))) {
            return reader.readObject();
        }
    }
}
