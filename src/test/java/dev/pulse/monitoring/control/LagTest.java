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
    void pongsCountTheWaitTheSlowestTwentiethReachedOnceThereAreThree() {
        Lag lag = new Lag();
        lag.pong(2 * S, 2_000 * MS);
        lag.pong(2 * S + 10 * MS, 1_500 * MS);
        assertEquals(0, lag.since(2 * S, 3 * S), "two Pongs say more about their peers' networks than the node");
        lag.pong(2 * S + 20 * MS, 9_000 * MS);
        assertEquals(1_500 * MS, lag.since(2 * S, 3 * S), 0.16 * 1_500 * MS, "three Pongs waited 1.5 s or more");
        assertEquals(lag.since(2 * S, 3 * S) / 1e6, lag.recentBySource(3 * S).get(Lag.Source.PONG));
        assertEquals(0.0, lag.recentBySource(3 * S).get(Lag.Source.GC));
        assertEquals(lag.since(2 * S, 3 * S), lag.max());
    }

    @Test
    void aNodeThatReadsItsSocketsInTurnsIsSeenBehindThoughSomePongsAreReadAtOnce() {
        Lag lag = new Lag();
        for (int i = 0; i < 500; i++) { // a turn of 2 s over 500 sockets: waits spread evenly from 0 to 2 s
            lag.pong(4 * S + i * MS, i * 4 * MS);
        }
        long seen = lag.since(4 * S, 5 * S);
        assertTrue(seen >= 1_600 * MS && seen <= 1_900 * MS, "about the turn's length: " + seen / MS + " ms");
    }

    @Test
    void aFewPeersOnBadNetworksAreNotTheNodesLag() {
        Lag lag = new Lag();
        for (int i = 0; i < 500; i++) {
            lag.pong(4 * S + i * MS, i < 20 ? 3_000 * MS : 2 * MS); // 4 % of them waited 3 s
        }
        assertTrue(lag.since(4 * S, 5 * S) <= 2 * MS, lag.since(4 * S, 5 * S) + " ns");
    }

    @Test
    void aSecondsPongFigureCountsTowardsTheMaximumThoughNobodyAskedForIt() {
        Lag lag = new Lag();
        for (int i = 0; i < 3; i++) {
            lag.pong(7 * S + i * MS, 2_000 * MS);
        }
        lag.pong(8 * S, 0); // the next second: the one before is complete
        for (int i = 0; i < 100; i++) {
            lag.pong((7 + Lag.SLOTS) * S + i * MS, 0); // a ring later: second 7's slot holds another second now
        }
        assertEquals(2_000 * MS, lag.max(), 0.16 * 2_000 * MS);
    }

    @Test
    void waitsAreCountedInBucketsAQuarterOctaveWide() {
        assertEquals(0, Lag.bucket(999_999));
        assertEquals(1, Lag.bucket(1_000_000));
        assertEquals(1_000_000, Lag.floor(1));
        for (long ms : new long[] {1, 3, 17, 250, 1_999, 2_000, 9_000, 60_000}) {
            long floor = Lag.floor(Lag.bucket(ms * MS));
            assertTrue(floor <= ms * MS && floor > ms * MS * 0.84, ms + " ms counted as " + floor + " ns");
        }
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
