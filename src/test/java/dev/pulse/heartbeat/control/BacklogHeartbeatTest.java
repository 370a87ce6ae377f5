package dev.pulse.heartbeat.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.config.Overload;
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
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The node falls behind on its inbound frames (a backlog injected on a fake clock: Pongs wait in a queue that is read
 * slower than they arrive): peers that answer every Ping are not evicted, because their Pongs wait in the node's
 * own queue, while silent peers still are, within interval + timeout + tick + the lag the node measured.
 */
class BacklogHeartbeatTest {

    private static final long STEP = 10; // ms of simulated time per step
    private static final int HEALTHY = 50;
    private static final int SILENT = 5;

    /** What one run did. */
    private record Run(int healthyEvicted, int silentEvicted, List<Long> silentOverBound, long maxLagMs,
            long spared, long postponed) {
    }

    private record Pong(long arrival, Connection connection, ByteBuffer payload) {
    }

    /**
     * Simulates 40 s: Pongs arrive 2 ms after their Ping; from 8 s to 8 s + {@code slowFor} the node reads
     * {@code slowRate} of them a second, else all that arrived. Silent peers stop answering at {@code silentAt}.
     */
    private static Run run(long allowanceMillis, int slowRate, long slowFor, long silentAt) {
        FakeClock clock = new FakeClock();
        PulseSettings settings = PulseSettings.builder().heartbeat(1000, 2000)
                .overload(Overload.defaults().withAllowance(allowanceMillis)).build().validate();
        Stats stats = new Stats();
        Lag lag = new Lag();
        SessionRegistry registry = new SessionRegistry(settings, clock, stats, new AddressLimits());
        Arrivals arrivals = new Arrivals(clock, stats, lag);
        Heartbeat heartbeat = new Heartbeat(registry, settings, clock, stats, lag, new Refusals(clock), Pacer.NONE);
        Map<Connection, FakePeer> healthy = new HashMap<>();
        Map<Connection, FakePeer> silent = new HashMap<>();
        for (int i = 0; i < HEALTHY + SILENT; i++) {
            FakePeer peer = new FakePeer();
            Connection c = registry.open(peer, null, null);
            (i < HEALTHY ? healthy : silent).put(c, peer);
        }
        Map<Connection, Integer> answered = new HashMap<>();
        Map<Connection, Long> lastFrame = new HashMap<>();
        ArrayDeque<Pong> inbound = new ArrayDeque<>();
        long start = clock.nowMillis();
        long silentFrom = start + silentAt;
        Set<Connection> judged = new HashSet<>();
        TreeMap<Long, Long> lagAtTick = new TreeMap<>();
        double budget = 0;
        List<Long> overBound = new ArrayList<>();
        long maxLag = 0;
        for (long t = 0; t <= 40_000; t += STEP) {
            clock.advanceMillis(STEP);
            long now = clock.nowMillis();
            if (t % 1000 == 0) {
                heartbeat.tick();
                lagAtTick.put(now, lag.recent(clock.nanos()) / 1_000_000);
                for (var e : silent.entrySet()) {
                    if (!e.getValue().open && judged.add(e.getKey())) {
                        long last = lastFrame.getOrDefault(e.getKey(), start);
                        long reported = lagAtTick.subMap(last, true, now, true).values().stream()
                                .mapToLong(Long::longValue).max().orElse(0); // as the node reported it meanwhile
                        long after = now - last;
                        if (after < 2000 || after > 1000 + 2000 + 1000 + Math.min(allowanceMillis, reported)) {
                            overBound.add(after);
                        }
                    }
                }
            }
            for (Map<Connection, FakePeer> group : List.of(healthy, silent)) {
                for (var e : group.entrySet()) {
                    FakePeer peer = e.getValue();
                    int seen = answered.getOrDefault(e.getKey(), 0);
                    boolean answers = group == healthy || now < silentFrom;
                    if (peer.open && peer.pings.size() > seen) {
                        answered.put(e.getKey(), peer.pings.size());
                        if (answers) {
                            inbound.add(new Pong(now + 2, e.getKey(), peer.lastPing()));
                        }
                    }
                }
            }
            boolean slow = t >= 8_000 && t < 8_000 + slowFor;
            budget = slow ? budget + slowRate * STEP / 1000.0 : Double.MAX_VALUE;
            while (!inbound.isEmpty() && inbound.peek().arrival() <= now && budget >= 1) {
                Pong p = inbound.poll();
                budget--;
                if (registry.find(p.connection().id()).isPresent()) {
                    arrivals.pong(p.connection(), p.payload());
                    if (silent.containsKey(p.connection())) {
                        lastFrame.put(p.connection(), now);
                    }
                }
            }
            if (!slow) {
                budget = 0;
            }
            maxLag = Math.max(maxLag, lag.recent(clock.nanos()) / 1_000_000);
        }
        int healthyEvicted = (int) healthy.values().stream().filter(p -> !p.open).count();
        int silentEvicted = (int) silent.values().stream().filter(p -> !p.open && p.closeCode == 4000).count();
        return new Run(healthyEvicted, silentEvicted, overBound, maxLag, stats.spared.sum(), stats.postponed.sum());
    }

    @Test
    void withoutTheAllowanceTheBacklogEvictsHealthyPeers() {
        Run run = run(0, 20, 2_500, 15_000);
        assertTrue(run.healthyEvicted() > 0, "the scenario is a real backlog: " + run);
    }

    @Test
    void aBackloggedNodeSparesHealthyPeersAndStillEvictsSilentOnesWithinTheExtendedBound() {
        for (long silentAt : new long[] {7_000, 9_000, 15_000}) { // before, during and after the backlog
            check(run(2000, 20, 2_500, silentAt));
        }
    }

    private static void check(Run run) {
        assertEquals(0, run.healthyEvicted(), run.toString());
        assertEquals(SILENT, run.silentEvicted(), run.toString());
        assertEquals(List.of(), run.silentOverBound(), "silent peers evicted outside [timeout, bound]: " + run);
        assertTrue(run.maxLagMs() >= 1000, "the node saw its own lag: " + run);
        assertTrue(run.spared() > 0 && run.postponed() > 0, run.toString());
    }

    @Test
    void aLateOrWaitingTickIsTheNodesOwnLag() {
        FakeClock clock = new FakeClock();
        Stats stats = new Stats();
        Lag lag = new Lag();
        PulseSettings settings = PulseSettings.builder().heartbeat(1000, 2000).build();
        SessionRegistry registry = new SessionRegistry(settings, clock, stats, new AddressLimits());
        Arrivals arrivals = new Arrivals(clock, stats, lag);
        Heartbeat heartbeat = new Heartbeat(registry, settings, clock, stats, lag, new Refusals(clock), Pacer.NONE);
        heartbeat.tick();
        clock.advanceMillis(1000);
        heartbeat.tick();
        assertEquals(0, lag.recent(clock.nanos()), "on time");
        clock.advanceMillis(3000); // two ticks skipped
        heartbeat.tick();
        assertEquals(2000, lag.recent(clock.nanos()) / 1_000_000);
        clock.advanceMillis(5000);
        long firedAt = clock.nanos();
        clock.advanceMillis(700); // waited for a managed thread
        heartbeat.tick(firedAt);
        assertEquals(4700, lag.since(clock.nanos(), clock.nanos()) / 1_000_000, "late by 4.7 s, 0.7 s of it waiting");
    }

    @Test
    void aNodeFrozenForSecondsDoesNotEvictPeersWhosePongsWaitUnread() {
        FakeClock clock = new FakeClock();
        Stats stats = new Stats();
        PulseSettings settings = PulseSettings.builder().heartbeat(1000, 2000).build();
        Lag lag = new Lag();
        SessionRegistry registry = new SessionRegistry(settings, clock, stats, new AddressLimits());
        Arrivals arrivals = new Arrivals(clock, stats, lag);
        Heartbeat heartbeat = new Heartbeat(registry, settings, clock, stats, lag, new Refusals(clock), Pacer.NONE);
        List<FakePeer> peers = new ArrayList<>();
        List<Connection> connections = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            FakePeer peer = new FakePeer();
            peers.add(peer);
            connections.add(registry.open(peer, null, null));
        }
        for (int t = 0; t < 5; t++) { // all answer at once for a while
            clock.advanceMillis(1000);
            heartbeat.tick();
            for (int i = 0; i < peers.size(); i++) {
                if (!peers.get(i).pings.isEmpty()) {
                    arrivals.pong(connections.get(i), peers.get(i).lastPing());
                }
            }
        }
        clock.advanceMillis(1000);
        heartbeat.tick(); // Pings out; the answers arrive, then the JVM stops (a long GC pause, a paused VM)
        clock.advanceMillis(3000);
        heartbeat.tick(); // the first tick after the freeze runs before the Pongs that waited are read
        assertEquals(0, stats.evictions().size(), "nobody evicted for the node's own freeze");
        assertEquals(10, stats.postponed.sum());
        for (int i = 0; i < peers.size(); i++) {
            arrivals.pong(connections.get(i), peers.get(i).pings.get(peers.get(i).pings.size() - 1));
        }
        assertEquals(10, stats.spared.sum());
        assertTrue(peers.stream().allMatch(p -> p.open));
    }
}
