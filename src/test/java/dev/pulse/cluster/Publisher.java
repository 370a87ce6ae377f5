package dev.pulse.cluster;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Publishes to one topic over several ways in (HTTP to a node or to nginx, WebSocket publish on a node): in
 * sequence, or with {@link #start} one thread per way, each publishing one message at a time and waiting for its
 * answer; remembers every attempt (when it started and ended, and how it was answered). Data is
 * {@code {"id":"<unique id>"}}.
 */
final class Publisher {

    /** How one publish was answered: {@code acked} (202 or ack, with its seq), {@code unavailable} or anything else. */
    record Attempt(String id, String via, long startNanos, long endNanos, String outcome, long seq, String detail) {

        boolean acked() {
            return "acked".equals(outcome);
        }

        boolean refused() {
            return "unavailable".equals(outcome);
        }

        long millis() {
            return Procs.millis(startNanos, endNanos);
        }

        @Override
        public String toString() {
            return id + " via " + via + ": " + outcome + (seq > 0 ? " seq " + seq : "") + " in " + millis() + " ms"
                    + (detail == null ? "" : " (" + detail + ")");
        }
    }

    /** One way in. */
    interface Way {
        String name();

        Attempt publish(String topic, String id);
    }

    static Way http(String name, URI base) {
        return new Way() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Attempt publish(String topic, String id) {
                Http.Answer a = Http.post(base.resolve("api/topics/" + topic + "/messages"),
                        Json.createObjectBuilder().add("id", id).build().toString());
                if (a.status() == 202) {
                    JsonObject o = a.json();
                    if (!topic.equals(o.getString("topic", null))) {
                        return new Attempt(id, name, a.startNanos(), a.endNanos(), "wrong topic", -1, a.body());
                    }
                    return new Attempt(id, name, a.startNanos(), a.endNanos(), "acked", o.getJsonNumber("seq").longValue(), null);
                }
                String code = null;
                try {
                    code = a.json().getString("code", null);
                } catch (RuntimeException e) {
                    // not JSON
                }
                String outcome = a.status() == 503 && "unavailable".equals(code) ? "unavailable" : "HTTP " + a.status();
                return new Attempt(id, name, a.startNanos(), a.endNanos(), outcome, -1, a.body());
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    static Way ws(String name, Peer peer) {
        return new Way() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Attempt publish(String topic, String id) {
                long start = System.nanoTime();
                try {
                    long seq = peer.publish(topic, id, Duration.ofSeconds(10));
                    long end = System.nanoTime();
                    if (seq > 0) {
                        return new Attempt(id, name, start, end, "acked", seq, null);
                    }
                    JsonObject e = peer.lastError;
                    String code = e.getString("code", "?");
                    return new Attempt(id, name, start, end, "unavailable".equals(code) ? "unavailable" : "error " + code, -1,
                            e.toString());
                } catch (Exception | AssertionError e) {
                    return new Attempt(id, name, start, System.nanoTime(), "no answer", -1, String.valueOf(e));
                }
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    private final String topic;
    private final String prefix;
    private final List<Way> ways;
    private final Duration pause;
    private final List<Attempt> attempts = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger counter = new AtomicInteger();
    private volatile boolean running;
    private List<Thread> threads;

    Publisher(String topic, String prefix, Duration pause, List<Way> ways) {
        this.topic = topic;
        this.prefix = prefix;
        this.ways = ways;
        this.pause = pause;
    }

    /** One publish by the way {@code i % ways}, recorded (also usable without the loop). */
    Attempt once(int i) {
        Way way = ways.get(Math.floorMod(i, ways.size()));
        Attempt a = way.publish(topic, prefix + "-" + counter.incrementAndGet());
        attempts.add(a);
        return a;
    }

    /** Starts one thread per way, each publishing, waiting for the answer, then pausing, until {@link #stop}. */
    synchronized void start() {
        running = true;
        threads = new ArrayList<>();
        for (int w = 0; w < ways.size(); w++) {
            int way = w;
            Thread t = new Thread(() -> {
                while (running) {
                    once(way);
                    try {
                        Thread.sleep(pause.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "publisher-" + topic + "-" + ways.get(w).name());
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
    }

    /** Stops the threads after the publishes in progress (which are still recorded). */
    synchronized void stop() throws InterruptedException {
        running = false;
        if (threads != null) {
            for (Thread t : threads) {
                t.join(30_000);
            }
        }
    }

    List<Attempt> attempts() {
        synchronized (attempts) {
            return new ArrayList<>(attempts);
        }
    }

    long acked() {
        return attempts().stream().filter(Attempt::acked).count();
    }
}
