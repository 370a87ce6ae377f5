package dev.pulse.monitoring.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LagTest {

    private static final long MS = 1_000_000;
    private static final long S = 1000 * MS;

    @Test
    void nothingRecordedIsNoLag() {
        Lag lag = new Lag();
        assertEquals(0, lag.recent(5 * S));
        assertEquals(0, lag.since(0, 5 * S));
    }

    @Test
    void theWorstOfEachSecondCountsFromThePingsSecondToNow() {
        Lag lag = new Lag();
        lag.late(Lag.Source.TICK, 10 * S + 100 * MS, 300 * MS);
        lag.late(Lag.Source.PROBE, 12 * S, 700 * MS);
        lag.late(Lag.Source.PROBE, 12 * S + 500 * MS, 200 * MS); // not the worst of its second
        assertEquals(700 * MS, lag.since(10 * S, 14 * S));
        assertEquals(700 * MS, lag.since(12 * S + 900 * MS, 14 * S), "the Ping's whole second counts");
        assertEquals(0, lag.since(13 * S, 14 * S));
        assertEquals(300 * MS, lag.since(9 * S, 11 * S));
        assertEquals(700 * MS, lag.recent(14 * S + 999 * MS));
        assertEquals(0, lag.recent(15 * S), "more than two seconds ago");
        assertEquals(700 * MS, lag.max());
    }

    @Test
    void pongsCountTheLeastWaitOfASecondOnceThereAreThree() {
        Lag lag = new Lag();
        lag.pong(2 * S, 2_000 * MS);
        lag.pong(2 * S + 10 * MS, 1_500 * MS); // the least of second 2: every Pong read then waited this long
        assertEquals(0, lag.since(2 * S, 3 * S), "two Pongs say more about their peers' networks than the node");
        lag.pong(2 * S + 20 * MS, 9_000 * MS); // a peer far off does not raise it
        assertEquals(1_500 * MS, lag.since(2 * S, 3 * S));
        assertEquals(1_500.0, lag.recentBySource(3 * S).get(Lag.Source.PONG));
        assertEquals(0.0, lag.recentBySource(3 * S).get(Lag.Source.GC));
        assertEquals(1_500 * MS, lag.max());
        lag.pong(2 * S + 30 * MS, 0); // one Pong read at once: the node was not behind on it
        assertEquals(0, lag.since(2 * S, 3 * S));
    }

    @Test
    void negativeAndOnTimeFiguresAreIgnored() {
        Lag lag = new Lag();
        lag.late(Lag.Source.TICK, S, -50 * MS);
        lag.late(Lag.Source.TICK, S, 0);
        lag.pong(S, -1);
        assertEquals(0, lag.recent(S));
    }

    @Test
    void slotsAreReusedAfterTheRingWrapsAndAnOldPingIsJudgedByAllItRemembers() {
        Lag lag = new Lag();
        lag.late(Lag.Source.GC, 5 * S, 900 * MS);
        long later = (5 + Lag.SLOTS) * S; // the same slot, a ring later
        lag.late(Lag.Source.GC, later, 100 * MS);
        assertEquals(100 * MS, lag.since(later - S, later));
        assertEquals(100 * MS, lag.since(0, later), "what the ring no longer holds is gone");
    }

    @Test
    void worksWithNegativeMonotonicTimes() {
        Lag lag = new Lag();
        lag.late(Lag.Source.PROBE, -3 * S - 1, 250 * MS);
        assertEquals(250 * MS, lag.since(-5 * S, -2 * S));
        assertTrue(lag.recent(-2 * S) > 0);
    }

    @Test
    void theProbeRecordsHowLateItWokeAndTheGcPauses() {
        Lag lag = new Lag();
        AtomicLong now = new AtomicLong(100 * S);
        LagProbe probe = new LagProbe(lag, now::get);
        now.addAndGet(LagProbe.PERIOD_NANOS);
        probe.look();
        assertEquals(0, lag.max(), "on time");
        now.addAndGet(LagProbe.PERIOD_NANOS + 40 * MS);
        probe.look();
        assertEquals(40 * MS, lag.since(now.get(), now.get()), "woke 40 ms late");
        assertTrue(lag.gcMillis.sum() >= 0);
    }
}
