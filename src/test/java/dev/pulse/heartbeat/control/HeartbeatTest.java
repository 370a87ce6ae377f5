package dev.pulse.heartbeat.control;


import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.AddressLimits;
import dev.pulse.connection.control.Arrivals;
import dev.pulse.connection.control.Refusals;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.connection.entity.Connection;
import dev.pulse.monitoring.control.Lag;
import dev.pulse.monitoring.control.Stats;
import dev.pulse.testing.FakeClock;
import dev.pulse.testing.FakePeer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeartbeatTest {

    private static final long TICK = PulseSettings.TICK_MILLIS;

    private FakeClock clock;
    private SessionRegistry registry;
    private Stats stats;
    private Arrivals arrivals;
    private PulseSettings settings;
    private final Lag lag = new Lag();
    private Heartbeat heartbeat;

    @BeforeEach
    void setUp() {
        clock = new FakeClock();
        use(settings(1000, 2000));
    }

    /** A fresh registry and heartbeat with these settings, on the same clock. */
    private void use(PulseSettings settings) {
        stats = new Stats();
        this.settings = settings;
        registry = new SessionRegistry(settings, clock, stats, new AddressLimits());
        arrivals = new Arrivals(clock, stats, lag);
        heartbeat = new Heartbeat(registry, settings, clock, stats, lag, new Refusals(clock), Pacer.NONE);
    }

    private static PulseSettings settings(long interval, long timeout) {
        return PulseSettings.builder().heartbeat(interval, timeout).build();
    }

    /** Advances to the next tick and runs it. */
    private void tick() {
        clock.advanceMillis(TICK);
        heartbeat.tick();
    }

    private void pong(FakePeer peer, Connection connection) {
        arrivals.pong(connection, peer.lastPing());
    }

    @Test
    void pingsEveryIntervalWithTheSendTimeInThePayload() {
        use(settings(3000, 2000));
        FakePeer peer = new FakePeer();
        Connection c = registry.open(peer, "alice", null);
        List<Long> pingedAt = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            int before = peer.pings.size();
            tick();
            if (peer.pings.size() > before) {
                pingedAt.add(clock.nowMillis());
                assertEquals(clock.nanos(), Connection.pingTime(peer.lastPing()));
                pong(peer, c);
            }
        }
        assertTrue(pingedAt.size() >= 9, "pinged " + pingedAt.size() + " times in 30 s at a 3 s interval");
        for (int i = 1; i < pingedAt.size(); i++) {
            long gap = pingedAt.get(i) - pingedAt.get(i - 1);
            assertTrue(gap >= 3000 - TICK / 2 && gap <= 3000 + TICK / 2, "gap " + gap);
        }
        assertTrue(registry.find(c.id()).isPresent());
    }

    @Test
    void aPeerThatAnswersIsNeverEvicted() {
        FakePeer peer = new FakePeer();
        Connection c = registry.open(peer, null, null);
        for (int i = 0; i < 100; i++) {
            int before = peer.pings.size();
            tick();
            if (peer.pings.size() > before) {
                clock.advanceMillis(5);
                pong(peer, c);
            }
        }
        assertTrue(peer.open);
        assertEquals(100, stats.pongsReceived.sum(), "one ping per tick at interval = tick");
        assertEquals(5.0, c.rttMillis());
        assertEquals(0, stats.evictions().size());
    }

    @Test
    void anyInboundFrameCountsAsAlive() {
        FakePeer peer = new FakePeer();
        Connection c = registry.open(peer, null, null);
        for (int i = 0; i < 20; i++) {
            tick();
            arrivals.seen(c); // a text message instead of a Pong
        }
        assertTrue(peer.open);
        assertNull(peer.closeCode);
    }

    @Test
    void aSilentPeerIsEvictedWith4000WithinTheBound() {
        FakePeer healthy = new FakePeer();
        Connection ok = registry.open(healthy, null, null);
        FakePeer silent = new FakePeer();
        Connection gone = registry.open(silent, null, null);
        long lastFrame = clock.nowMillis();
        while (silent.open && clock.nowMillis() - lastFrame < 60_000) {
            int before = healthy.pings.size();
            tick();
            if (healthy.pings.size() > before) {
                pong(healthy, ok);
            }
        }
        long evictedAfter = clock.nowMillis() - lastFrame;
        assertEquals(4000, silent.closeCode);
        assertEquals("heartbeat timeout", silent.closeReason);
        assertTrue(evictedAfter >= 2000 && evictedAfter <= 1000 + 2000 + TICK, "evicted after " + evictedAfter);
        assertTrue(registry.find(gone.id()).isEmpty());
        assertTrue(registry.find(ok.id()).isPresent());
        assertTrue(healthy.open);
        assertEquals(1L, stats.evictions().get("heartbeat"));
    }

    /** Random intervals, timeouts and moments of silence: the contract's bounds hold for every one. */
    @Test
    void evictionBoundsHoldForRandomTimings() {
        Random random = new Random(42);
        for (int run = 0; run < 300; run++) {
            long interval = 1000 + random.nextInt(30) * 500L;
            long timeout = 500 + random.nextInt(40) * 250L;
            setUp();
            use(settings(interval, timeout));
            clock.advanceMillis(random.nextInt(1000)); // ticks are not aligned to anything
            FakePeer peer = new FakePeer();
            Connection c = registry.open(peer, null, null);
            long silenceAt = random.nextInt(60_000);
            long lastFrame = clock.nowMillis();
            long start = clock.nowMillis();
            while (peer.open && clock.nowMillis() - start < 200_000) {
                int before = peer.pings.size();
                tick();
                if (clock.nowMillis() - start < silenceAt) {
                    if (peer.pings.size() > before) {
                        pong(peer, c);
                        lastFrame = clock.nowMillis();
                    }
                }
            }
            long after = clock.nowMillis() - lastFrame;
            assertEquals(4000, peer.closeCode, "run " + run);
            assertTrue(after >= timeout, "run " + run + ": evicted " + after + " ms after the last frame, timeout "
                    + timeout);
            assertTrue(after <= interval + timeout + TICK, "run " + run + ": evicted " + after
                    + " ms after the last frame, bound " + (interval + timeout + TICK));
        }
    }

    @Test
    void aBrokenPeerIsDroppedAndTheOthersStillGetTheirPing() {
        FakePeer broken = new FakePeer();
        broken.failPings = true;
        List<FakePeer> healthy = new ArrayList<>();
        registry.open(broken, null, null);
        for (int i = 0; i < 10; i++) {
            FakePeer p = new FakePeer();
            healthy.add(p);
            registry.open(p, null, null);
        }
        tick();
        tick();
        assertEquals(1011, broken.closeCode);
        assertEquals(10, registry.size());
        healthy.forEach(p -> assertFalse(p.pings.isEmpty()));
        // a Ping that fails with "broken pipe": the peer went away, not a failure of the server (issue 13)
        assertEquals(1L, stats.disconnects().get("abrupt"));
        assertEquals(null, stats.evictions().get("error"));
    }

    @Test
    void firstPingsOfSessionsOpenedTogetherAreSpreadOverTheInterval() {
        use(settings(25_000, 20_000));
        List<FakePeer> peers = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            FakePeer p = new FakePeer();
            peers.add(p);
            registry.open(p, null, null);
        }
        int busiest = 0;
        for (int t = 0; t < 25; t++) {
            long before = stats.pingsSent.sum();
            tick();
            busiest = Math.max(busiest, (int) (stats.pingsSent.sum() - before));
        }
        assertEquals(1000, stats.pingsSent.sum(), "every session pinged once in the first interval");
        assertTrue(busiest < 120, "at most " + busiest + " of 1000 pings in one tick");
        peers.forEach(p -> assertEquals(1, p.pings.size()));
    }

    /** A tick over many sessions takes time; the sessions at its end must not slip to every other tick. */
    @Test
    void aSlowTickStillPingsEverySessionEveryInterval() {
        int[] pings = new int[800];
        for (int i = 0; i < pings.length; i++) {
            int index = i;
            registry.open(new dev.pulse.connection.entity.Peer() {
                @Override
                public boolean isOpen() {
                    return true;
                }

                @Override
                public void ping(java.nio.ByteBuffer payload) {
                    pings[index]++;
                    clock.advanceMillis(1); // 800 sessions: the loop takes 800 ms of the 1000 ms tick
                    arrivals.pong(registry.connections().stream().filter(c -> c.peer() == this).findFirst()
                            .orElseThrow(), payload);
                }

                @Override
                public void sendText(String text, java.util.function.Consumer<Throwable> done) {
                    done.accept(null);
                }

                @Override
                public void close(int code, String reason) {
                }

                @Override
                public int closedWith() {
                    return 0;
                }
            }, null, null);
        }
        tick(); // first pings are spread over the first interval
        java.util.Arrays.fill(pings, 0);
        long start = clock.nowMillis();
        for (int t = 0; t < 10; t++) {
            clock.advanceMillis(TICK - (clock.nowMillis() - start) % TICK); // the timer fires on the second
            heartbeat.tick();
        }
        for (int i = 0; i < pings.length; i++) {
            assertTrue(pings[i] >= 9, "session " + i + " got " + pings[i] + " pings in 10 ticks");
        }
    }

    /** Pings spread over 700 ms of the tick: evictions are decided and done before the first pause. */
    @Test
    void aPacedTickSpreadsItsPingsAndEvictsBeforeAnyPause() {
        List<Long> pauses = new ArrayList<>();
        heartbeat = new Heartbeat(registry, settings, clock, stats, lag, new Refusals(clock), new Pacer(clock, 700, nanos -> {
            pauses.add(nanos);
            clock.advanceMillis(nanos / 1_000_000);
        }));
        List<FakePeer> peers = new ArrayList<>();
        List<Connection> connections = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            FakePeer peer = new FakePeer();
            peers.add(peer);
            connections.add(registry.open(peer, null, null));
        }
        FakePeer silent = peers.get(500);
        long[] closedAt = {-1};
        long lastFrame = clock.nowMillis();
        for (int t = 0; t < 8 && closedAt[0] < 0; t++) {
            clock.advanceMillis(TICK - (clock.nowMillis() - lastFrame) % TICK); // the timer fires on the second
            long tickStart = clock.nowMillis();
            heartbeat.tick();
            if (!silent.open) {
                closedAt[0] = tickStart;
                // evicted at the tick's start, not after the pauses that came before its turn
                assertTrue(clock.nowMillis() - tickStart >= 500, "the tick's pings were spread");
            }
            for (int i = 0; i < peers.size(); i++) {
                if (i != 500 && !peers.get(i).pings.isEmpty()) {
                    arrivals.pong(connections.get(i), peers.get(i).pings.get(peers.get(i).pings.size() - 1));
                }
            }
        }
        assertEquals(4000, silent.closeCode);
        assertTrue(closedAt[0] - lastFrame <= 1000 + 2000 + TICK, "evicted after " + (closedAt[0] - lastFrame));
        assertTrue(pauses.size() >= 3, "paused between batches: " + pauses);
        assertTrue(pauses.stream().allMatch(n -> n > 0 && n <= 700_000_000L), "pauses " + pauses);
        assertTrue(peers.stream().filter(p -> p != silent).allMatch(p -> p.open), "no healthy peer closed");
    }

    @Test
    void aPacerNeverWaitsWhenBehindScheduleOrBetweenBatches() {
        List<Long> pauses = new ArrayList<>();
        Pacer pacer = new Pacer(clock, 700, pauses::add);
        long start = clock.nanos();
        pacer.before(0, 1000, start);
        pacer.before(Pacer.BATCH - 1, 1000, start);
        assertTrue(pauses.isEmpty());
        pacer.before(Pacer.BATCH, 1000, start);
        assertEquals(List.of(175_000_000L), pauses, "a quarter of the way: a quarter of 700 ms");
        clock.advanceMillis(600);
        pacer.before(2 * Pacer.BATCH, 1000, start); // due at 350 ms, it is 600 ms: behind, no wait
        assertEquals(1, pauses.size());
    }

    @Test
    void aClosedSessionLeavesNoTraceInTheTick() {
        FakePeer peer = new FakePeer();
        Connection c = registry.open(peer, null, null);
        registry.closed(c, 1000);
        tick();
        assertTrue(peer.pings.isEmpty());
        assertNotNull(stats);
        assertEquals(0, registry.size());
    }
}
