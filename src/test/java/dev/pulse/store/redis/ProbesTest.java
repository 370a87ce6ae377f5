package dev.pulse.store.redis;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProbesTest {

    private final Probes probes = new Probes(3000);

    private long send(long now) {
        long n = probes.next();
        probes.sent(n, now);
        return n;
    }

    @Test
    void probesAnsweredInTimeAreNotDeafness() {
        for (long t = 0; t < 10_000; t += 250) {
            probes.answered(send(t));
            assertFalse(probes.deaf(t + 250));
        }
    }

    @Test
    void unansweredProbesAreDeafnessOnceTheOldestIsOlderThanTheTimeout() {
        probes.answered(send(0));
        send(250);
        send(500);
        assertFalse(probes.deaf(3250), "the oldest unanswered probe was sent 3000 ms ago");
        assertTrue(probes.deaf(3251));
    }

    @Test
    void lateUpkeepIsNotDeafness() {
        probes.answered(send(0));
        // the upkeep thread did not run for 10 s (a busy machine): nothing was sent, so nothing is missing
        long n = send(10_000);
        assertFalse(probes.deaf(10_000));
        probes.answered(n);
        assertFalse(probes.deaf(10_250));
    }

    @Test
    void aLateAnswerToAnOldProbeCountsFromTheNextUnanswered() {
        long first = send(0);
        send(2000);
        probes.answered(first);
        assertFalse(probes.deaf(4500), "the probe of 2000 is 2500 ms old");
        assertTrue(probes.deaf(5001));
    }

    @Test
    void probesLostBeforeAResubscriptionDoNotCount() {
        send(0);
        send(250);
        probes.listening(1000);
        assertFalse(probes.deaf(3500));
        assertTrue(probes.deaf(4001), "still nothing back 3000 ms after subscribing again");
    }

    @Test
    void moreUnansweredProbesThanRememberedCountFromTheOldestRemembered() {
        for (int i = 0; i < 100; i++) {
            send(i * 250L);
        }
        assertTrue(probes.deaf(24_750), "the oldest probe remembered, of 9000, is 15750 ms old");
    }
}
