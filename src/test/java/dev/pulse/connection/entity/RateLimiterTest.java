package dev.pulse.connection.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pulse.connection.entity.RateLimiter.Verdict;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

    private static final long MS = 1_000_000L;

    @Test
    void aFullBucketTakesTwiceTheRateAtOnce() {
        RateLimiter limiter = new RateLimiter(10, 0);
        for (int i = 0; i < 20; i++) {
            assertEquals(Verdict.ACCEPT, limiter.take(0), "message " + i);
        }
        assertEquals(Verdict.DROP_AND_TELL, limiter.take(0));
    }

    @Test
    void refillsAtTheRate() {
        RateLimiter limiter = new RateLimiter(10, 0);
        for (int i = 0; i < 20; i++) {
            limiter.take(0);
        }
        assertEquals(Verdict.DROP_AND_TELL, limiter.take(0));
        assertEquals(Verdict.ACCEPT, limiter.take(100 * MS), "one token after 100 ms at 10/s");
        assertEquals(Verdict.DROP_SILENTLY, limiter.take(100 * MS), "told at most once a second");
    }

    @Test
    void aSustainedRateJustBelowTheLimitIsNeverDropped() {
        RateLimiter limiter = new RateLimiter(50, 0);
        for (long t = 0; t < 60_000; t += 21) { // ~47.6 messages a second for a minute
            assertEquals(Verdict.ACCEPT, limiter.take(t * MS));
        }
    }

    @Test
    void moreThanTheRateDroppedWithinTenSecondsIsAFlood() {
        RateLimiter limiter = new RateLimiter(10, 0);
        for (int i = 0; i < 20; i++) {
            limiter.take(0);
        }
        List<Verdict> verdicts = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            verdicts.add(limiter.take(i * MS));
        }
        assertEquals(Verdict.DROP_AND_TELL, verdicts.get(0));
        assertEquals(Verdict.DROP_SILENTLY, verdicts.get(9));
        assertEquals(Verdict.FLOOD, verdicts.get(10), "the 11th drop within 10 s");
        assertEquals(Verdict.DROP_SILENTLY, limiter.take(11 * MS), "one flood per session: it is being closed");
    }

    @Test
    void dropsSpreadOverMoreThanTenSecondsAreNoFlood() {
        RateLimiter limiter = new RateLimiter(2, 0);
        long t = 0;
        for (int i = 0; i < 4; i++) {
            limiter.take(t);
        }
        for (int i = 0; i < 20; i++) {
            t += 6000 * MS; // 6 s later: a full bucket again (4), use it, then one drop: never 3 drops in 10 s
            for (int k = 0; k < 4; k++) {
                assertEquals(Verdict.ACCEPT, limiter.take(t));
            }
            Verdict v = limiter.take(t);
            assertEquals(Verdict.DROP_AND_TELL, v, "round " + i);
        }
    }
}
