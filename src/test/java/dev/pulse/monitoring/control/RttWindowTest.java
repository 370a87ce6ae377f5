package dev.pulse.monitoring.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class RttWindowTest {

    @Test
    void noSamplesGivesNulls() {
        RttWindow.Percentiles p = new RttWindow().percentiles(1000, 60_000);
        assertNull(p.p50());
        assertNull(p.p99());
        assertNull(p.max());
    }

    @Test
    void percentilesOfTheSamplesInTheWindow() {
        RttWindow w = new RttWindow();
        for (int ms = 1; ms <= 100; ms++) {
            w.record(ms * 1_000_000L, 10_000);
        }
        RttWindow.Percentiles p = w.percentiles(10_000, 60_000);
        assertEquals(50.0, p.p50());
        assertEquals(99.0, p.p99());
        assertEquals(100.0, p.max());
        assertEquals(100, p.samples());
    }

    @Test
    void samplesOlderThanTheWindowAreIgnored() {
        RttWindow w = new RttWindow();
        w.record(500_000_000L, 0);
        w.record(2_000_000L, 59_000);
        RttWindow.Percentiles p = w.percentiles(61_000, 60_000);
        assertEquals(2.0, p.max());
        assertEquals(1, p.samples());
    }
}
