package dev.pulse.topic.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.topic.entity.Gap;
import dev.pulse.topic.entity.Replay;
import dev.pulse.topic.entity.TopicMessage;
import jakarta.json.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryHistoryTest {

    private long now = 1_000_000;
    private final InMemoryHistory history = new InMemoryHistory(() -> 5, () -> 60_000);

    private TopicMessage append(String topic) {
        return history.append(topic, Json.createValue(now), now++);
    }

    private static List<Long> seqs(Replay replay) {
        return replay.messages().stream().map(TopicMessage::seq).toList();
    }

    @Test
    void sequencesFromOneByExactlyOnePerTopic() {
        assertEquals(1, append("a").seq());
        assertEquals(2, append("a").seq());
        assertEquals(1, append("b").seq());
        TopicMessage third = append("a");
        assertEquals(3, third.seq());
        assertTrue(third.wire().contains("\"type\":\"message\""));
        assertTrue(third.wire().contains("\"seq\":3"));
        assertTrue(third.wire().contains("\"epoch\":\"" + third.epoch() + "\""));
    }

    @Test
    void withoutSinceOnlyTheEpochAndLastSeq() {
        append("a");
        append("a");
        Replay replay = history.since("a", null, null, now);
        assertEquals(2, replay.lastSeq());
        assertNull(replay.gap());
        assertTrue(replay.messages().isEmpty());
        assertEquals(0, history.since("new", null, null, now).lastSeq());
    }

    @Test
    void resumeReplaysExactlyWhatWasMissed() {
        for (int i = 0; i < 4; i++) {
            append("a");
        }
        String epoch = history.since("a", null, null, now).epoch();
        Replay replay = history.since("a", 2L, epoch, now);
        assertNull(replay.gap());
        assertEquals(List.of(3L, 4L), seqs(replay));
        assertEquals(List.of(), seqs(history.since("a", 4L, epoch, now)));
    }

    @Test
    void anOverflowedHistoryGivesAnExpiredGapThenWhatIsRetained() {
        for (int i = 0; i < 12; i++) {
            append("a"); // keeps 8..12
        }
        String epoch = history.since("a", null, null, now).epoch();
        Replay replay = history.since("a", 3L, epoch, now);
        assertEquals(new Gap(4L, 7L, Gap.EXPIRED), replay.gap());
        assertEquals(List.of(8L, 9L, 10L, 11L, 12L), seqs(replay));
        assertNull(history.since("a", 7L, epoch, now).gap(), "7 is the last one not retained: nothing missing");
    }

    @Test
    void messagesOlderThanTheTtlExpire() {
        append("a");
        append("a");
        String epoch = history.since("a", null, null, now).epoch();
        now += 60_001;
        Replay replay = history.since("a", 0L, epoch, now);
        assertEquals(new Gap(1L, 2L, Gap.EXPIRED), replay.gap());
        assertTrue(replay.messages().isEmpty());
        assertTrue(history.empty("a", now));
    }

    @Test
    void anotherEpochOrASinceFromTheFutureIsAReset() {
        append("a");
        append("a");
        String epoch = history.since("a", null, null, now).epoch();
        Replay other = history.since("a", 1L, "older-epoch", now);
        assertEquals(Gap.reset(), other.gap());
        assertEquals(List.of(1L, 2L), seqs(other));
        Replay future = history.since("a", 9L, epoch, now);
        assertEquals(Gap.reset(), future.gap());
        assertEquals(List.of(1L, 2L), seqs(future));
    }

    @Test
    void aDroppedTopicStartsOverInANewEpoch() {
        append("a");
        String before = history.since("a", null, null, now).epoch();
        history.drop("a");
        assertEquals(1, append("a").seq());
        assertNotEquals(before, history.since("a", null, null, now).epoch());
    }
}
