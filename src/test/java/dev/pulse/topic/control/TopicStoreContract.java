package dev.pulse.topic.control;


import dev.pulse.protocol.StoreUnavailableException;
import dev.pulse.topic.entity.Gap;
import dev.pulse.topic.entity.GapReason;
import dev.pulse.topic.entity.Replay;
import dev.pulse.topic.entity.Sequenced;
import jakarta.json.Json;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What every {@link TopicStore} must do, whichever keeps the topics (this node's memory, Redis): sequencing,
 * the replay rules of the wire contract (gaps by size and by age, resets), a stable epoch, unique seqs under
 * concurrent publishers, and failures as {@link StoreUnavailableException}. A store runs it by extending it.
 *
 * <p>Publishes are stamped no earlier than the real clock and time only moves forward from there, so that a store
 * that checks deadlines against its own clock (Redis refuses a publish its caller has given up on) sees every
 * publish as on time.
 */
public abstract class TopicStoreContract {

    protected static final int SIZE = 5;
    protected static final long TTL = 60_000;

    /** A store with nothing in it, retaining at most {@code size} messages per topic for {@code ttl} ms. */
    protected abstract TopicStore newStore(int size, long ttl);

    /**
     * A store that cannot reach what keeps its topics (the store process is gone), or null if this kind of
     * store cannot be unavailable.
     */
    protected abstract TopicStore unavailableStore() throws Exception;

    /** The time of the test: moved on by the tests, never behind the real clock when something is published. */
    protected long now = System.currentTimeMillis();
    private TopicStore store;

    /** The time to publish at: now, or the real time if that is later; every publish a ms after the last. */
    protected long publishTime() {
        now = Math.max(now, System.currentTimeMillis());
        return now++;
    }

    protected TopicStore store() {
        if (store == null) {
            store = newStore(SIZE, TTL);
        }
        return store;
    }

    private Sequenced append(String topic) {
        long time = publishTime();
        return store().append(topic, "{\"n\":" + time + "}", time);
    }

    private static List<Long> seqs(Replay replay) {
        return replay.messages().stream().map(Sequenced::seq).toList();
    }

    private String epoch(String topic) {
        return store().since(topic, null, null, now).epoch();
    }

    @Test
    void sequencesFromOneByExactlyOnePerTopic() {
        assertEquals(1, append("a").seq());
        assertEquals(2, append("a").seq());
        assertEquals(1, append("b").seq());
        Sequenced third = append("a");
        assertEquals(3, third.seq());
        assertEquals("a", third.topic());
        assertEquals(epoch("a"), third.epoch());
        var wire = Json.createReader(new StringReader(third.wire())).readObject();
        assertEquals("message", wire.getString("type"));
        assertEquals("a", wire.getString("topic"));
        assertEquals(3, wire.getInt("seq"));
        assertEquals(third.epoch(), wire.getString("epoch"));
        assertEquals(third.time(), wire.getJsonNumber("time").longValue());
        assertEquals(third.time(), wire.getJsonObject("data").getJsonNumber("n").longValue());
    }

    @Test
    void withoutSinceOnlyTheEpochAndLastSeq() {
        append("a");
        append("a");
        Replay replay = store().since("a", null, null, now);
        assertEquals(2, replay.lastSeq());
        assertNull(replay.gap());
        assertTrue(replay.messages().isEmpty());
        Replay fresh = store().since("new", null, null, now);
        assertEquals(0, fresh.lastSeq(), "a topic nobody published to yet");
        assertNotNull(fresh.epoch());
    }

    @Test
    void resumeReplaysExactlyWhatWasMissedWithItsDataAsPublished() {
        for (int i = 0; i < 4; i++) {
            append("a");
        }
        store().append("a", "{\"text\":\"h\\u00e9 \\\"quoted\\\" | pipe\",\"list\":[1,null,true]}", publishTime());
        String epoch = epoch("a");
        Replay replay = store().since("a", 2L, epoch, now);
        assertNull(replay.gap());
        assertEquals(5, replay.lastSeq());
        assertEquals(epoch, replay.epoch());
        assertEquals(List.of(3L, 4L, 5L), seqs(replay));
        assertTrue(replay.messages().stream().allMatch(m -> m.epoch().equals(epoch) && m.topic().equals("a")));
        assertEquals("{\"text\":\"h\\u00e9 \\\"quoted\\\" | pipe\",\"list\":[1,null,true]}",
                replay.messages().get(2).data(), "data comes back as the JSON text it was published as");
        assertEquals(List.of(), seqs(store().since("a", 5L, epoch, now)), "nothing missed");
        assertNull(store().since("a", 5L, epoch, now).gap());
    }

    @Test
    void anOverflowedHistoryGivesAnExpiredGapThenWhatIsRetained() {
        for (int i = 0; i < 12; i++) {
            append("a"); // size 5: keeps 8..12
        }
        String epoch = epoch("a");
        Replay replay = store().since("a", 3L, epoch, now);
        assertEquals(new Gap(4L, 7L, GapReason.EXPIRED), replay.gap());
        assertEquals(List.of(8L, 9L, 10L, 11L, 12L), seqs(replay));
        assertNull(store().since("a", 7L, epoch, now).gap(), "7 is the last one not retained: nothing missing");
        assertEquals(List.of(8L, 9L, 10L, 11L, 12L), seqs(store().since("a", 0L, epoch, now)));
    }

    @Test
    void messagesOlderThanTheTtlExpire() {
        append("a");
        append("a");
        String epoch = epoch("a");
        now += TTL / 2;
        append("a");
        now += TTL / 2 + 1; // the first two are past the ttl, the third is not
        Replay replay = store().since("a", 0L, epoch, now);
        assertEquals(new Gap(1L, 2L, GapReason.EXPIRED), replay.gap());
        assertEquals(List.of(3L), seqs(replay));
        now += TTL;
        Replay none = store().since("a", 0L, epoch, now);
        assertEquals(new Gap(1L, 3L, GapReason.EXPIRED), none.gap());
        assertTrue(none.messages().isEmpty());
        assertEquals(3, none.lastSeq());
    }

    @Test
    void anotherEpochOrASinceFromTheFutureIsAReset() {
        append("a");
        append("a");
        String epoch = epoch("a");
        Replay other = store().since("a", 1L, "older-epoch", now);
        assertEquals(Gap.reset(), other.gap());
        assertEquals(epoch, other.epoch());
        assertEquals(List.of(1L, 2L), seqs(other), "everything retained follows a reset");
        Replay future = store().since("a", 9L, epoch, now);
        assertEquals(Gap.reset(), future.gap());
        assertEquals(List.of(1L, 2L), seqs(future));
        Replay unknownTopic = store().since("b", 3L, null, now);
        assertEquals(Gap.reset(), unknownTopic.gap(), "a topic without messages has no seq 3");
        assertTrue(unknownTopic.messages().isEmpty());
    }

    @Test
    void theEpochOfATopicStaysTheSameAndTopicsHaveTheirOwn() {
        String before = epoch("a");
        Sequenced first = append("a");
        assertEquals(before, first.epoch(), "the epoch a subscriber saw before the first publish");
        for (int i = 0; i < 20; i++) {
            append("a"); // well past the retained size
        }
        now += TTL + 1; // and past the ttl
        assertEquals(before, epoch("a"));
        assertEquals(before, append("a").epoch());
        assertEquals(before, store().since("a", 0L, before, now).epoch());
        append("b");
        assertTrue(!epoch("b").isEmpty());
    }

    /** Publishers on several threads (several nodes, for a shared store): each seq once, none skipped. */
    @Test
    void concurrentPublishersGetUniqueContiguousSeqs() throws Exception {
        TopicStore big = newStore(1000, TTL);
        int threads = 4;
        int each = 100;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<Long>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    go.await();
                    List<Long> seqs = new ArrayList<>();
                    for (int i = 0; i < each; i++) {
                        seqs.add(big.append("race", "{\"t\":" + thread + ",\"i\":" + i + "}",
                                System.currentTimeMillis()).seq());
                    }
                    return seqs;
                }));
            }
            go.countDown();
            List<Long> all = new ArrayList<>();
            for (Future<List<Long>> result : results) {
                List<Long> seqs = result.get(30, TimeUnit.SECONDS);
                for (int i = 1; i < seqs.size(); i++) {
                    assertTrue(seqs.get(i) > seqs.get(i - 1), "one publisher's seqs grow: " + seqs);
                }
                all.addAll(seqs);
            }
            Collections.sort(all);
            List<Long> expected = new ArrayList<>();
            for (long seq = 1; seq <= threads * each; seq++) {
                expected.add(seq);
            }
            assertEquals(expected, all);
            now = System.currentTimeMillis();
            Replay replay = big.since("race", 0L, null, now);
            assertEquals(threads * each, replay.lastSeq());
            assertEquals(expected, seqs(replay), "retained in seq order");
        } finally {
            pool.shutdownNow();
        }
    }

    /** Whatever cannot reach the store says so, as one exception that callers answer with {@code unavailable}. */
    @Test
    void aStoreThatCannotBeReachedThrowsStoreUnavailable() throws Exception {
        TopicStore unavailable = unavailableStore();
        assumeTrue(unavailable != null, "this store keeps everything in this node's memory: it cannot be unreachable");
        assertThrows(StoreUnavailableException.class, () -> unavailable.append("a", "1", publishTime()));
        assertThrows(StoreUnavailableException.class, () -> unavailable.since("a", null, null, now));
        assertThrows(StoreUnavailableException.class, () -> unavailable.since("a", 1L, "e", now));
    }
}
