package dev.pulse.connection.control;


import dev.pulse.config.Guard;
import dev.pulse.config.PulseSettings;
import dev.pulse.connection.entity.Connection;
import dev.pulse.connection.entity.EvictionReason;
import dev.pulse.monitoring.control.Lag;
import dev.pulse.monitoring.control.Stats;
import dev.pulse.testing.FakeClock;
import dev.pulse.testing.FakePeer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SessionRegistryTest {

    private FakeClock clock;
    private SessionRegistry registry;
    private Stats stats;
    private Arrivals arrivals;
    private AddressLimits addresses;
    private Refusals refusals;
    private Shutdown shutdown;

    @BeforeEach
    void setUp() {
        clock = new FakeClock();
        use(PulseSettings.defaults());
    }

    /** A fresh registry with these settings (settings are fixed for a registry's life). */
    private void use(PulseSettings settings) {
        stats = new Stats();
        addresses = new AddressLimits();
        registry = new SessionRegistry(settings, clock, stats, addresses);
        arrivals = new Arrivals(clock, stats, new Lag());
        refusals = new Refusals(clock);
        shutdown = new Shutdown(registry, settings);
    }

    private void configure(boolean restart, int maxQueued) {
        use(PulseSettings.builder().queue(maxQueued, 1 << 20).shutdown(restart, 1000, 4000).build());
    }

    @Test
    void opensFindsAndForgetsSessions() {
        Connection a = registry.open(new FakePeer(), "alice", "127.0.0.1:5000");
        Connection b = registry.open(new FakePeer(), null, null);
        assertEquals(2, registry.size());
        assertEquals("alice", registry.find(a.id()).orElseThrow().user());
        assertEquals(clock.millis(), a.openedAt());
        registry.closed(a, 1000);
        assertTrue(registry.find(a.id()).isEmpty());
        assertTrue(registry.find(b.id()).isPresent());
        assertEquals(2, stats.opened.sum());
    }

    @Test
    void countsOpenSessionsPerClientAddressInEveryFormARemoteTakes() {
        Connection direct = registry.open(new FakePeer(), null, "203.0.113.9:5000");
        registry.open(new FakePeer(), null, "203.0.113.9"); // behind a trusted proxy: no port
        registry.open(new FakePeer(), null, "0:0:0:0:0:0:0:1:6000");
        registry.open(new FakePeer(), null, "[2001:db8::5]");
        assertEquals(2, addresses.from("203.0.113.9"));
        assertEquals(1, addresses.from("0:0:0:0:0:0:0:1"));
        assertEquals(1, addresses.from("2001:db8::5"));
        registry.closed(direct, 1000);
        assertEquals(1, addresses.from("203.0.113.9"));
    }

    @Test
    void thePerAddressLimitHoldsEvenForOpensThatRaceEachOther() throws Exception {
        use(PulseSettings.builder().guard(Guard.defaults().withLimits(50, 100)).build());
        var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        var start = new java.util.concurrent.CountDownLatch(1);
        var opened = new java.util.concurrent.ConcurrentLinkedQueue<Connection>();
        var done = new ArrayList<java.util.concurrent.Future<?>>();
        for (int t = 0; t < 8; t++) {
            done.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < 100; i++) {
                    Connection c = registry.open(new FakePeer(), null, "198.51.100.3:" + (1000 + i));
                    if (c != null) {
                        opened.add(c);
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (var f : done) {
            f.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(50, opened.size(), "exactly the limit admitted out of 800");
        assertEquals(50, addresses.from("198.51.100.3"));
        assertNull(registry.open(new FakePeer(), null, "198.51.100.3:9"), "one more is refused");
        assertTrue(registry.open(new FakePeer(), null, "198.51.100.4:9") != null, "another address is not");
        registry.closed(opened.poll(), 1000);
        assertTrue(registry.open(new FakePeer(), null, "198.51.100.3:9") != null, "room again after a close");
        assertEquals(51, registry.size());
    }

    @Test
    void aPongRecordsRoundTripTimeAndLastSeen() throws Exception {
        FakePeer peer = new FakePeer();
        Connection c = registry.open(peer, null, null);
        assertEquals(null, c.rttMillis());
        c.ping(clock.nanos());
        clock.advanceMillis(7);
        arrivals.pong(c, peer.lastPing());
        assertEquals(7.0, c.rttMillis());
        assertEquals(clock.millis(), c.lastSeenAt());
        assertEquals(7.0, stats.rtt.percentiles(clock.millis(), 60_000).max());
    }

    @Test
    void aPongWithAForeignPayloadStillCountsAsAlive() {
        Connection c = registry.open(new FakePeer(), null, null);
        clock.advanceMillis(50);
        arrivals.pong(c, java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertEquals(null, c.rttMillis());
        assertEquals(clock.millis(), c.lastSeenAt());
    }

    @Test
    void droppingClosesWithTheReasonsCodeAndCountsOnce() {
        FakePeer peer = new FakePeer();
        Connection c = registry.open(peer, null, null);
        registry.drop(c, EvictionReason.HEARTBEAT, null);
        registry.drop(c, EvictionReason.HEARTBEAT, null);
        assertEquals(4000, peer.closeCode);
        assertEquals("heartbeat timeout", peer.closeReason);
        assertEquals(1L, stats.evictions().get("heartbeat"));
        assertEquals(0, registry.size());
    }

    /** Issue 13: a peer that vanished is not the server's error; each session ends counted once, either way. */
    @Test
    void aSendToAPeerThatIsGoneIsAnAbruptDisconnectNotAServerError() {
        FakePeer reset = new FakePeer().stall();
        Connection welcomeLost = registry.open(reset, "alice", "127.0.0.1:5000");
        registry.send(welcomeLost, "{\"type\":\"welcome\"}");
        reset.pending.get(0).accept(new java.io.IOException("Connection reset by peer"));
        FakePeer closed = new FakePeer();
        Connection closedUnderUs = registry.open(closed, null, null);
        closed.open = false; // the container closed it; its onClose has not run yet
        registry.failed(closedUnderUs, new IllegalStateException("The connection has been closed."));
        FakePeer notYetClosed = new FakePeer().stall();
        Connection closing = registry.open(notYetClosed, null, null);
        registry.send(closing, "{}");
        notYetClosed.pending.get(0).accept(new IllegalStateException("Connection is not open.")); // Tyrus, racing
        Connection readSide = registry.open(new FakePeer(), null, null);
        registry.closed(readSide, 1006);
        registry.closed(welcomeLost, 1006); // the container's own report follows: not counted again
        registry.closed(readSide, 1006);
        Connection normal = registry.open(new FakePeer(), null, null);
        registry.closed(normal, 1000);
        FakePeer binary = new FakePeer();
        Connection closedByUs = registry.open(binary, null, null);
        binary.close(1003, "binary frames are not accepted"); // the server's own close, still registered
        registry.failed(closedByUs, new java.io.IOException("Broken pipe")); // a send that was under way

        assertEquals(4L, stats.disconnects().get(SessionRegistry.ABRUPT));
        assertNull(stats.evictions().get("error"));
        assertEquals(0, registry.size());
        assertEquals(0, addresses.from("127.0.0.1"), "its address is released");

        FakePeer alive = new FakePeer().stall();
        Connection bug = registry.open(alive, null, null);
        registry.send(bug, "{}");
        alive.pending.get(0).accept(new IllegalArgumentException("a bug of ours"));
        assertEquals(1L, stats.evictions().get("error"), "a failure while the peer is there is the server's");
        assertEquals(1011, alive.closeCode);
        assertEquals(4L, stats.disconnects().get(SessionRegistry.ABRUPT));
    }

    @Test
    void aSessionDroppedBehindUnreadOutputCountsAsLingeringForAWhile() {
        use(PulseSettings.builder().queue(100_000, 1 << 20).build());
        FakePeer reader = new FakePeer();
        Connection quiet = registry.open(reader, null, null);
        registry.send(quiet, "small");
        registry.drop(quiet, EvictionReason.HEARTBEAT, null);
        assertEquals(0, registry.lingering(), "a few unread bytes do not hold a close back");
        FakePeer stuck = new FakePeer();
        Connection c = registry.open(stuck, null, null);
        for (int i = 0; i < 100; i++) {
            registry.send(c, "x".repeat(1000));
        }
        registry.drop(c, EvictionReason.HEARTBEAT, null);
        assertEquals(0, registry.size(), "out of the registry even though the close cannot complete");
        assertEquals(1, registry.lingering());
        registry.closed(c, 1000); // containers report it closed at once; the socket may stay open all the same
        assertEquals(1, registry.lingering());
        clock.advanceMillis(Lingering.FORGET_MILLIS + 1);
        registry.sweep();
        assertEquals(0, registry.lingering(), "forgotten after a quarter of an hour, so the map stays bounded");
    }

    @Test
    void muchUnacknowledgedOutputSendsOneProbePingUntilItsPongComes() throws Exception {
        use(PulseSettings.builder().queue(100_000, 10_000).build());
        FakePeer peer = new FakePeer();
        Connection c = registry.open(peer, null, null);
        for (int i = 0; i < 6; i++) {
            registry.send(c, "x".repeat(1000));
        }
        assertEquals(1, peer.pings.size(), "one probe once over half the limit, not one per message");
        assertEquals(6000, c.unacknowledged());
        arrivals.pong(c, peer.lastPing());
        assertEquals(0, c.unacknowledged(), "the Pong proves everything before the probe was read");
        for (int i = 0; i < 6; i++) {
            registry.send(c, "x".repeat(1000));
        }
        assertEquals(2, peer.pings.size());
        assertEquals(2, stats.probesSent.sum());
    }

    @Test
    void aPeerThatReadsKeepsUpWhateverItReceives() {
        use(PulseSettings.builder().queue(100_000, 10_000).build());
        FakePeer peer = new FakePeer();
        Connection c = registry.open(peer, null, null);
        for (int i = 0; i < 1000; i++) {
            assertTrue(registry.send(c, "x".repeat(1000)), "message " + i);
            if (peer.pings.size() > 0) {
                arrivals.pong(c, peer.lastPing()); // a fast reader answers every probe
                peer.pings.clear();
            }
        }
        assertEquals(1_000_000, String.join("", peer.texts).length(), "100 times the limit, nothing dropped");
        assertTrue(registry.find(c.id()).isPresent());
    }

    @Test
    void aPeerThatStopsReadingIsDroppedOnceItsUnreadOutputPassesTheLimit() {
        use(PulseSettings.builder().queue(100_000, 10_000).build());
        FakePeer peer = new FakePeer(); // the container takes every send at once, as Payara's does
        Connection c = registry.open(peer, null, null);
        int accepted = 0;
        while (registry.send(c, "x".repeat(1000))) {
            accepted++;
        }
        assertEquals(10, accepted);
        assertEquals(1008, peer.closeCode);
        assertEquals("send queue full", peer.closeReason);
        assertEquals(1L, stats.evictions().get("queue"));
    }

    @Test
    void aSessionThatCannotKeepUpIsDroppedWhenItsQueueIsFull() {
        configure(false, 3);
        FakePeer slow = new FakePeer().stall();
        Connection c = registry.open(slow, null, null);
        assertTrue(registry.send(c, "1"));
        assertTrue(registry.send(c, "2"));
        assertTrue(registry.send(c, "3"));
        assertTrue(registry.send(c, "4"), "one in flight plus three queued");
        assertFalse(registry.send(c, "5"));
        assertEquals(1008, slow.closeCode);
        assertEquals(1L, stats.evictions().get("queue"));
        assertEquals(List.of("1"), slow.texts, "only one send is handed to the container at a time");
    }

    @Test
    void shutdownClosesEverySessionWith1001() {
        configure(false, 10);
        List<FakePeer> peers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            FakePeer p = new FakePeer();
            peers.add(p);
            registry.open(p, null, null);
        }
        shutdown.shutdown();
        shutdown.shutdown();
        peers.forEach(p -> assertEquals(1001, p.closeCode));
        assertEquals(0, registry.size());
        FakePeer late = new FakePeer();
        shutdown.opened(registry.open(late, null, null));
        assertFalse(late.open, "a session opened during shutdown is closed at once");
        assertEquals(1001, late.closeCode);
    }

    @Test
    void aRefusedSessionIsClosedOnTheGivenExecutorNotInTheOpenCallback() {
        List<Runnable> later = new ArrayList<>();
        refusals.closeOn(later::add);
        FakePeer peer = new FakePeer();
        refusals.refuse(peer, 4001, "invalid token");
        assertNull(peer.closeCode, "nothing closed inside the open callback");
        later.forEach(Runnable::run);
        assertEquals(4001, peer.closeCode);
        assertEquals("invalid token", peer.closeReason);
    }

    @Test
    void aRefusedSessionIsClosedAgainOnTheTickWhileItStaysOpen() {
        FakePeer stubborn = new FakePeer();
        stubborn.closable = false; // the first close did not take
        refusals.refuse(stubborn, 4001, "invalid token");
        assertEquals(4001, stubborn.closeCode);
        assertEquals(0, registry.size(), "never registered");
        stubborn.closeCode = null;
        refusals.sweep();
        assertEquals(null, stubborn.closeCode, "not again while the first close may still be under way");
        clock.advanceMillis(1000);
        refusals.sweep();
        assertEquals(4001, stubborn.closeCode, "closed again");
        stubborn.open = false;
        stubborn.closeCode = null;
        refusals.sweep();
        assertEquals(null, stubborn.closeCode, "forgotten once closed");
    }

    @Test
    void drainingCloses1012AndTurnsAwayLateComers() {
        configure(false, 10);
        FakePeer early = new FakePeer();
        registry.open(early, null, null);
        assertEquals(1, shutdown.drain());
        assertTrue(early.closeReason.startsWith("retry-after="), "1012 even without pulse.shutdown.restart");
        assertEquals(1012, early.closeCode);
        assertTrue(shutdown.active(), "readiness turns DOWN");
        FakePeer late = new FakePeer();
        shutdown.opened(registry.open(late, null, null));
        assertEquals(1012, late.closeCode);
        shutdown.shutdown();
        assertEquals(0, shutdown.drain(), "once only");
    }

    @Test
    void restartShutdownSends1012WithAJitteredRetryAfter() {
        configure(true, 10);
        List<FakePeer> peers = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            FakePeer p = new FakePeer();
            peers.add(p);
            registry.open(p, null, null);
        }
        shutdown.shutdown();
        java.util.Set<Long> distinct = new java.util.HashSet<>();
        for (FakePeer p : peers) {
            assertEquals(1012, p.closeCode);
            assertTrue(p.closeReason.startsWith("retry-after="), p.closeReason);
            long ms = Long.parseLong(p.closeReason.substring("retry-after=".length()));
            assertTrue(ms >= 1000 && ms <= 5000, "retry-after " + ms);
            distinct.add(ms / 100);
        }
        assertTrue(distinct.size() > 20, "retry-after hints are spread, not equal: " + distinct.size());
    }
}
