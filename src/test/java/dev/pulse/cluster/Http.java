package dev.pulse.cluster;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Plain HTTP calls that never throw: a failure to connect or a timeout is an answer with status -1. */
final class Http {

    /** One answer and when the call started and ended ({@link System#nanoTime()}). */
    record Answer(int status, String body, long startNanos, long endNanos) {

        long millis() {
            return Procs.millis(startNanos, endNanos);
        }

        JsonObject json() {
            return parse(body);
        }

        JsonArray jsonArray() {
            try (JsonReader r = Json.createReader(new StringReader(body))) {
                return r.readArray();
            }
        }

        @Override
        public String toString() {
            return status + " " + body + " (" + millis() + " ms)";
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(3)).build();

    private Http() {
    }

    static Answer get(URI uri) {
        return send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build());
    }

    static Answer post(URI uri, String json) {
        return send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    private static Answer send(HttpRequest request) {
        long start = System.nanoTime();
        try {
            HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body(), start, System.nanoTime());
        } catch (IOException e) {
            return new Answer(-1, request.method() + " " + request.uri() + ": " + e, start, System.nanoTime());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(-1, "interrupted", start, System.nanoTime());
        }
    }

    static JsonObject parse(String text) {
        try (JsonReader r = Json.createReader(new StringReader(text))) {
            return r.readObject();
        }
    }
}
