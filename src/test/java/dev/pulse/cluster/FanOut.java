package dev.pulse.cluster;

import static dev.pulse.cluster.CrossNodeChecks.ONE_SECOND;
import static dev.pulse.cluster.CrossNodeChecks.SLACK;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pulse.cluster.Peer.Received;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The fan-out check {@link TwoNodesIT} and {@link WildFlyPayaraIT} share: publishes to one topic over named ways
 * (e.g. {@code http-a}, {@code ws-b}: the letter after the last dash names the node, any longer name none), each one
 * timed and its seq kept, then every subscriber's stream checked: every seq once, in order, with the data published
 * as it, and the time from each publish's ack to its arrival.
 */
final class FanOut {

    /** Publishes {@code id} over {@code way}, returns its seq. */
    interface Way {
        long publish(String way, String id) throws Exception;
    }

    /** What the subscribers' streams showed: ms from ack (all, and from the other node) and from the start. */
    record Result(List<Long> latencies, List<Long> crossNode, List<Long> fromStart, List<String> late) {
    }

    final String topic;
    private final Way way;
    private final Map<String, Long> started = new ConcurrentHashMap<>();
    private final Map<String, Long> acked = new ConcurrentHashMap<>();
    private final Map<String, Long> seqOf = new ConcurrentHashMap<>();
    private final Map<String, String> publishedOn = new ConcurrentHashMap<>();

    FanOut(String topic, Way way) {
        this.topic = topic;
        this.way = way;
    }

    long publish(String how, String id) throws Exception {
        started.put(id, System.nanoTime());
        long seq = way.publish(how, id);
        acked.put(id, System.nanoTime());
        seqOf.put(id, seq);
        publishedOn.put(id, how.charAt(how.length() - 2) == '-' ? how.substring(how.length() - 1) : "?");
        return seq;
    }

    /** {@code perWay} publishes over each of {@code ways}, all ways at once. */
    void concurrently(List<String> ways, int perWay) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(ways.size());
        try {
            List<Future<?>> running = new ArrayList<>();
            for (String how : ways) {
                running.add(pool.submit(() -> {
                    for (int i = 0; i < perWay; i++) {
                        publish(how, "c-" + how + "-" + i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Checks the seqs given (1..last, each once) and every subscriber's stream; {@code nodeOf} by peer label. */
    Result check(List<Peer> subs, Map<String, String> nodeOf, String epoch, long last, Duration timeout, String what)
            throws InterruptedException {
        assertEquals(Streams.range(1, last), seqOf.values().stream().sorted().toList(),
                "every publish got its own seq, 1.." + last + ", with " + what + " publishing at once");
        Map<Long, String> idOf = new HashMap<>();
        seqOf.forEach((id, seq) -> idOf.put(seq, id));
        Result result = new Result(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (Peer s : subs) {
            List<Received> got = Streams.until(s, topic, last, timeout);
            assertEquals(Streams.range(1, last), Streams.seqs(got),
                    s.label + " (node " + nodeOf.get(s.label) + "): every seq once, in order, no gap");
            for (Received r : got) {
                assertEquals(epoch, r.epoch(), s.label + ": " + r);
                assertEquals(idOf.get(r.seq()), r.dataId(), s.label + ": the data published as seq " + r.seq());
                result.fromStart().add(Procs.millis(started.get(r.dataId()), r.nanos()));
                long ms = Procs.millis(acked.get(r.dataId()), r.nanos());
                result.latencies().add(ms);
                if (!nodeOf.get(s.label).equals(publishedOn.get(r.dataId()))) {
                    result.crossNode().add(ms);
                }
                if (ms > ONE_SECOND + SLACK) {
                    result.late().add(s.label + " got " + r.dataId() + " (seq " + r.seq() + ") " + ms + " ms after its ack, "
                            + Procs.millis(started.get(r.dataId()), r.nanos()) + " ms after the publish started");
                }
            }
        }
        return result;
    }
}
