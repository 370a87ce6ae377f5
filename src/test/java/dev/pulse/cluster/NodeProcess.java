package dev.pulse.cluster;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What {@link PayaraNode} and {@link WildFlyNode} share: a server process answering HTTP and WebSocket on one
 * loopback port at context root {@code /}, its readiness and the admin endpoints the tests read.
 */
abstract class NodeProcess implements AutoCloseable {

    final String id;
    final int port;
    final URI http;
    final URI ws;
    final Path dir;
    final Path log;

    NodeProcess(String id, int port, Path dir, Path log) {
        this.id = id;
        this.port = port;
        this.http = URI.create("http://127.0.0.1:" + port + "/");
        this.ws = URI.create("ws://127.0.0.1:" + port + "/ws");
        this.dir = dir;
        this.log = log;
    }

    /** The running process (may change across restarts). */
    abstract Process process();

    /** More to show when the node does not get ready (after the log's tail). */
    String moreOnFailure() {
        return "";
    }

    /** Waits until /health/ready answers 200, polling every {@code poll}; fails early if the process exits. */
    void awaitReady(Duration timeout, Duration poll, String what) throws InterruptedException {
        long start = System.nanoTime();
        boolean ready = Procs.await(timeout, poll, () -> !process().isAlive() || ready());
        if (!ready || !process().isAlive()) {
            throw new IllegalStateException(what + " " + id + " on port " + port + " not ready after "
                    + Procs.millisSince(start) + " ms (alive: " + process().isAlive() + "); log " + log + ":\n"
                    + Procs.tail(log, 60) + moreOnFailure());
        }
    }

    boolean ready() {
        return Http.get(http.resolve("health/ready")).status() == 200;
    }

    JsonObject stats() {
        Http.Answer a = Http.get(http.resolve("api/stats"));
        if (a.status() != 200) {
            throw new AssertionError(id + " GET api/stats: " + a);
        }
        return a.json();
    }

    JsonArray connections() {
        Http.Answer a = Http.get(http.resolve("api/connections"));
        if (a.status() != 200) {
            throw new AssertionError(id + " GET api/connections: " + a);
        }
        return a.jsonArray();
    }

    boolean serves(String session) {
        return connections().getValuesAs(JsonObject.class).stream()
                .anyMatch(c -> session.equals(c.getString("session", null)));
    }
}
