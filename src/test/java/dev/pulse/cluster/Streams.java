package dev.pulse.cluster;

import dev.pulse.cluster.Peer.Received;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Reading and checking one topic's stream as a subscriber received it. */
final class Streams {

    private Streams() {
    }

    static Predicate<Received> message(String topic) {
        return r -> "message".equals(r.type()) && topic.equals(r.topic());
    }

    static Predicate<Received> messageOrGap(String topic) {
        return r -> ("message".equals(r.type()) || "gap".equals(r.type())) && topic.equals(r.topic());
    }

    /**
     * Reads the peer's messages and gaps of the topic (skipping anything else) up to and including the message with
     * {@code lastSeq}; fails after the timeout, listing what came.
     */
    static List<Received> until(Peer p, String topic, long lastSeq, Duration timeout) throws InterruptedException {
        List<Received> seen = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (;;) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            Received r = left <= 0 ? null : p.poll(Duration.ofMillis(left));
            if (r == null) {
                throw new AssertionError(p.label + ": message " + lastSeq + " of " + topic + " not within "
                        + timeout.toMillis() + " ms; got seqs " + seqs(seen) + (p.closed() ? " (closed)" : ""));
            }
            if (messageOrGap(topic).test(r)) {
                seen.add(r);
                if ("message".equals(r.type()) && r.seq() == lastSeq) {
                    return seen;
                }
            }
        }
    }

    static List<Long> seqs(List<Received> stream) {
        return stream.stream().map(r -> "gap".equals(r.type()) ? -1L : r.seq()).toList();
    }

    static List<Long> range(long from, long to) {
        List<Long> l = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            l.add(i);
        }
        return l;
    }

    static Long number(JsonObject o, String key) {
        return o.get(key) instanceof JsonNumber n ? n.longValue() : null;
    }

    /**
     * Every place in the stream where a subscriber would lose something silently or see it twice: after the
     * subscribe's answer ({@code epoch}, {@code seq}), each message must be the next seq of the same epoch, or be
     * preceded (since the previous message) by an {@code expired} gap naming exactly the seqs skipped, or by a
     * {@code reset} gap when the epoch changes. Returns the violations (empty when none).
     */
    static List<String> holes(List<Received> all, String topic, String epoch, long seq) {
        List<String> problems = new ArrayList<>();
        String cur = epoch;
        long last = seq;
        JsonObject gap = null;
        for (Received r : all) {
            if (!messageOrGap(topic).test(r)) {
                continue;
            }
            if ("gap".equals(r.type())) {
                gap = r.json();
                continue;
            }
            boolean reset = gap != null && "reset".equals(gap.getString("reason", null));
            if (!r.epoch().equals(cur)) {
                if (!reset) {
                    problems.add("epoch " + cur + " -> " + r.epoch() + " at seq " + r.seq() + " without a reset gap");
                }
            } else if (r.seq() <= last) {
                if (!reset) {
                    problems.add("seq " + r.seq() + " again or out of order after " + last);
                }
            } else if (r.seq() > last + 1) {
                boolean named = gap != null && "expired".equals(gap.getString("reason", null))
                        && Long.valueOf(last + 1).equals(number(gap, "from")) && Long.valueOf(r.seq() - 1).equals(number(gap, "to"));
                if (!named && !reset) {
                    problems.add("silent hole: " + (last + 1) + ".." + (r.seq() - 1) + " before seq " + r.seq()
                            + (gap == null ? " (no gap)" : " (gap was " + gap + ")"));
                }
            }
            cur = r.epoch();
            last = r.seq();
            gap = null;
        }
        return problems;
    }
}
