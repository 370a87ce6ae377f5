package dev.pulse.connection.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.config.Overload;
import dev.pulse.monitoring.control.Lag;
import dev.pulse.monitoring.control.Stats;
import dev.pulse.testing.FakeClock;
import dev.pulse.testing.Windows;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The slow start after a node's start, on a fake clock: its windows, its doubling, its end and its retry-afters. */
class RampTest {

    private final FakeClock clock = new FakeClock();

    private Ramp ramp(int start) {
        return new Ramp(start, clock, bound -> 0);
    }

    /** Admits as many as the ramp takes now; returns how many. */
    private static int fill(Ramp ramp) {
        int taken = 0;
        while (ramp.decide().admitted()) {
            taken++;
            if (taken > 100_000) {
                break; // the ramp is over
            }
        }
        return taken;
    }

    @Test
    void takesRampStartInAny100MsFromTheFirstSession() {
        Ramp ramp = ramp(3);
        clock.advanceMillis(5000); // a node that started long ago: the ramp starts with its first session
        assertEquals(3, fill(ramp));
        clock.advanceMillis(119);
        assertFalse(ramp.decide().admitted(), "the first three are held for 100 ms and 20 of margin");
        clock.advanceMillis(1);
        assertEquals(3, fill(ramp));
        clock.advanceMillis(50);
        assertFalse(ramp.decide().admitted());
        assertEquals(3, ramp.perWindow());
        assertTrue(ramp.active());
    }

    @Test
    void anAdmissionCarriesTheMomentOfItsDecisionAsTheSessionsOpenedAt() {
        Ramp ramp = ramp(3);
        long first = clock.millis();
        List<Long> openedAt = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            openedAt.add(ramp.decide().at());
        }
        clock.advanceMillis(120);
        openedAt.add(ramp.decide().at());
        // a session whose open is slow after its decision (a cold node's first) still counts where it was decided
        clock.advanceMillis(500);
        assertEquals(List.of(first, first, first, first + 120), openedAt);
        assertEquals(3, Windows.busiest(openedAt, 100));
        Ramp.Verdict refused = fullRamp().decide();
        assertFalse(refused.admitted());
        assertEquals(clock.millis(), refused.at());
    }

    private Ramp fullRamp() {
        Ramp ramp = ramp(3);
        fill(ramp);
        return ramp;
    }

    @Test
    void doublesAfterASecondOfFullWindows() {
        Ramp ramp = ramp(3);
        for (int window = 0; window < 9; window++) {
            assertEquals(3, ramp.perWindow());
            assertEquals(3, fill(ramp), "window " + window);
            clock.advanceMillis(120);
        }
        assertEquals(6, fill(ramp), "the 30th taken at 3 doubles it at once");
        assertEquals(6, ramp.perWindow());
        clock.advanceMillis(120);
        assertEquals(6, fill(ramp));
    }

    @Test
    void aFewSessionsAtATimeDoNotGrowItFasterThanTheyCome() {
        Ramp ramp = ramp(3);
        for (int i = 0; i < 29; i++) { // one every 50 ms for 1.45 s: never a full window
            assertTrue(ramp.decide().admitted(), "session " + i);
            clock.advanceMillis(50);
        }
        assertEquals(3, ramp.perWindow(), "29 sessions: still 3 per 100 ms for whatever comes next");
    }

    @Test
    void holdsWhileTheNodeIsBehind() {
        Lag lag = new Lag();
        Ramp ramp = ramp(3);
        Stats stats = new Stats();
        Admission admission = new Admission(Overload.defaults().withAdmission(500, 1000, 0), lag, clock, stats, ramp);
        assertTrue(admission.decide().admitted());
        for (int window = 0; window < 30; window++) {
            clock.advanceMillis(100);
            lag.late(Lag.Source.PROBE, clock.nanos(), 2_000_000_000L);
            for (int i = 0; i < 10; i++) {
                assertEquals("retry-after=1000", admission.decide().refusal(),
                        "behind: refused by the lag, not the ramp");
            }
        }
        assertEquals(300, stats.refused.sum());
        assertEquals(0, stats.rampRefused.sum());
        assertEquals(3, ramp.perWindow(), "nothing taken while behind: the ramp held");
        clock.advanceMillis(5000); // the lag is forgotten
        assertFalse(admission.shedding());
        for (int i = 0; i < 3; i++) {
            assertTrue(admission.decide().admitted());
        }
        assertTrue(admission.decide().refusal().startsWith("retry-after="));
        assertEquals(1, stats.rampRefused.sum());
    }

    @Test
    void isOverForGoodOnceBeyondTheCap() {
        Ramp ramp = ramp(3);
        int windows = 0;
        while (ramp.active()) {
            fill(ramp);
            clock.advanceMillis(120);
            windows++;
        }
        assertEquals(0, ramp.perWindow());
        // 3 → 6 → … → 1536: nine doublings of ten full windows each
        assertEquals(9 * Ramp.WINDOWS_PER_DOUBLING, windows);
        for (int i = 0; i < 5000; i++) {
            assertTrue(ramp.decide().admitted());
        }
    }

    @Test
    void isOverAMinuteAfterItsStartWhateverItReached() {
        Ramp ramp = ramp(3);
        assertTrue(ramp.decide().admitted());
        clock.advanceMillis(59_999);
        assertEquals(3, fill(ramp));
        assertFalse(ramp.decide().admitted());
        clock.advanceMillis(1);
        assertTrue(ramp.decide().admitted());
        assertFalse(ramp.active());
    }

    @Test
    void theRefusedAreGivenMomentsOfTheirOwn() {
        Ramp ramp = ramp(3);
        for (int i = 0; i < 3; i++) {
            assertTrue(ramp.decide().admitted());
        }
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 17; i++) {
            waits.add(ramp.decide().retryAfter());
        }
        assertEquals(120, waits.get(0), "the first when the oldest admission is no longer held");
        for (int i = 1; i < waits.size(); i++) {
            long gap = waits.get(i) - waits.get(i - 1);
            assertTrue(gap >= 41 && gap <= 42, "125 ms / 3 apart: " + waits);
        }
    }

    @Test
    void twentySimultaneousClientsAreSpreadAtMostRampStartTo100MsAndAllInWithinASecond() {
        List<Long> admitted = storm(20, 0, new Random(1), new Stats());
        assertEquals(20, admitted.size());
        assertTrue(Windows.busiest(admitted, 100) <= 3, "at most 3 in any 100 ms: " + admitted);
        assertTrue(admitted.get(19) <= 1000, "all in within a second: " + admitted);
    }

    @Test
    void clientsThatComeBackALittleEarlyOrLateAreStillPaced() {
        for (long seed = 0; seed < 20; seed++) {
            Stats stats = new Stats();
            List<Long> admitted = storm(20, 15, new Random(seed), stats);
            assertEquals(20, admitted.size());
            assertTrue(Windows.busiest(admitted, 100) <= 3, "seed " + seed + ": " + admitted);
            assertTrue(admitted.get(19) <= 1500, "seed " + seed + ": " + admitted);
        }
    }

    @Test
    void aLargeStormComesInAtTheDoublingRate() {
        Stats stats = new Stats();
        List<Long> admitted = storm(10_000, 0, new Random(2), stats);
        assertEquals(10_000, admitted.size());
        // 30, 60, 120 … taken per 1.25 s: 10,000 within nine levels
        assertTrue(admitted.get(admitted.size() - 1) <= 12_000, "last in after " + admitted.get(admitted.size() - 1));
        assertTrue(stats.rampRefused.sum() < 10_000 * 1.05, "most refused once: " + stats.rampRefused.sum());
    }

    /**
     * {@code clients} that all arrive at once and come back when told, each {@code noise} ms early or late at random;
     * returns when each was admitted, in ms after the storm began, in order.
     */
    private List<Long> storm(int clients, int noise, Random random, Stats stats) {
        Ramp ramp = new Ramp(3, clock, bound -> bound <= 0 ? 0 : (long) (random.nextDouble() * bound));
        Admission admission = new Admission(Overload.defaults(), new Lag(), clock, stats, ramp);
        long begin = clock.nowMillis();
        long beginAt = clock.millis(); // the admissions' openedAt is wall-clock time
        PriorityQueue<Long> arrivals = new PriorityQueue<>();
        for (int i = 0; i < clients; i++) {
            arrivals.add(begin);
        }
        List<Long> admitted = new ArrayList<>();
        while (!arrivals.isEmpty()) {
            long at = arrivals.poll();
            clock.advanceMillis(Math.max(0, at - clock.nowMillis()));
            Admission.Decision decision = admission.decide();
            String refusal = decision.refusal();
            if (decision.admitted()) {
                admitted.add(decision.at() - beginAt);
            } else {
                long wait = Long.parseLong(refusal.substring("retry-after=".length()));
                long late = noise == 0 ? 0 : random.nextLong(2 * noise + 1) - noise;
                arrivals.add(clock.nowMillis() + Math.max(1, wait + late));
            }
        }
        return admitted;
    }
}
