package dev.pulse.heartbeat.control;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * 40 s of a node with 50 peers that answer every Ping (2 ms later) and 5 that stop answering at {@code silentAt}, on a
 * fake clock. From 8 s to 8 s + {@code slowFor} the node reads only {@code slowRate} times a second, else all that
 * arrived; heartbeat 1 s / 2 s. How it reads is the {@link Reading}.
 */
final class BacklogSimulation {

    static final long STEP = 10; // ms of simulated time per step
    static final int HEALTHY = 50;
    static final int SILENT = 5;

    /** How a node that is behind reads its inbound frames. */
    enum Reading {
        /** One queue for all: each read takes the oldest Pong; every Pong read then waited about as long. */
        QUEUE,
        /**
         * In turns over the sockets, as a container's selector does: each read takes all that one socket holds; the
         * Pong that arrived just before its socket's turn waited nothing, the one after it a whole turn.
         */
        TURNS
    }

    /** What one run did. */
    record Run(int healthyEvicted, int silentEvicted, List<Long> silentOverBound, long maxLagMs, long spared,
            long postponed) {
    }

    private record Pong(long arrival, ByteBuffer payload) {
    }

    private final FakeClock clock = new FakeClock();
    private final Lag lag = new Lag();
    private final Stats stats = new Stats();
    private final Map<Connection, FakePeer> healthy = new LinkedHashMap<>();
    private final Map<Connection, FakePeer> silent = new LinkedHashMap<>();
    private final Map<Connection, ArrayDeque<Pong>> inbound = new LinkedHashMap<>();
    private final Map<Connection, Long> lastFrame = new HashMap<>();
    private final Arrivals arrivals = new Arrivals(clock, stats, lag);
    private final SessionRegistry registry;
    private final Heartbeat heartbeat;
    private final long allowance;
    private int turn;

    private BacklogSimulation(long allowanceMillis) {
        PulseSettings settings = PulseSettings.builder().heartbeat(1000, 2000)
                .overload(Overload.defaults().withAllowance(allowanceMillis)).build().validate();
        this.allowance = allowanceMillis;
        registry = new SessionRegistry(settings, clock, stats, new AddressLimits());
        heartbeat = new Heartbeat(registry, settings, clock, stats, lag, new Refusals(clock), Pacer.NONE);
        for (int i = 0; i < HEALTHY + SILENT; i++) {
            FakePeer peer = new FakePeer();
            Connection c = registry.open(peer, null, null);
            (i < HEALTHY ? healthy : silent).put(c, peer);
            inbound.put(c, new ArrayDeque<>());
        }
    }

    static Run run(Reading reading, long allowanceMillis, int slowRate, long slowFor, long silentAt) {
        return new BacklogSimulation(allowanceMillis).simulate(reading, slowRate, slowFor, silentAt);
    }

    private Run simulate(Reading reading, int slowRate, long slowFor, long silentAt) {
        long start = clock.nowMillis();
        Map<Connection, Integer> answered = new HashMap<>();
        List<Connection> judged = new ArrayList<>();
        TreeMap<Long, Long> lagAtTick = new TreeMap<>();
        List<Long> overBound = new ArrayList<>();
        double budget = 0;
        long maxLag = 0;
        for (long t = 0; t <= 40_000; t += STEP) {
            clock.advanceMillis(STEP);
            long now = clock.nowMillis();
            if (t % 1000 == 0) {
                heartbeat.tick();
                lagAtTick.put(now, lag.recent(clock.nanos()) / 1_000_000);
                for (var e : silent.entrySet()) {
                    if (!e.getValue().open && !judged.contains(e.getKey())) {
                        judged.add(e.getKey());
                        long last = lastFrame.getOrDefault(e.getKey(), start);
                        long reported = lagAtTick.subMap(last, true, now, true).values().stream()
                                .mapToLong(Long::longValue).max().orElse(0); // as the node reported it meanwhile
                        long after = now - last;
                        if (after < 2000 || after > 1000 + 2000 + 1000 + Math.min(allowance, reported)) {
                            overBound.add(after);
                        }
                    }
                }
            }
            for (Map<Connection, FakePeer> group : List.of(healthy, silent)) {
                for (var e : group.entrySet()) {
                    FakePeer peer = e.getValue();
                    int seen = answered.getOrDefault(e.getKey(), 0);
                    if (peer.open && peer.pings.size() > seen) {
                        answered.put(e.getKey(), peer.pings.size());
                        if (group == healthy || now < start + silentAt) {
                            inbound.get(e.getKey()).add(new Pong(now + 2, peer.lastPing()));
                        }
                    }
                }
            }
            boolean slow = t >= 8_000 && t < 8_000 + slowFor;
            budget = slow ? budget + slowRate * STEP / 1000.0 : Double.MAX_VALUE;
            while (budget >= 1 && read(reading, now)) {
                budget--;
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

    /** One read; false when nothing had arrived. */
    private boolean read(Reading reading, long now) {
        List<Connection> order = new ArrayList<>(inbound.keySet());
        if (reading == Reading.QUEUE) {
            Connection oldest = null;
            for (Connection c : order) {
                Pong p = inbound.get(c).peek();
                if (p != null && p.arrival() <= now
                        && (oldest == null || p.arrival() < inbound.get(oldest).peek().arrival())) {
                    oldest = c;
                }
            }
            return oldest != null && deliver(oldest, 1, now);
        }
        for (int i = 0; i < order.size(); i++) {
            Connection c = order.get(turn++ % order.size());
            Pong p = inbound.get(c).peek();
            if (p != null && p.arrival() <= now) {
                return deliver(c, Integer.MAX_VALUE, now);
            }
        }
        return false;
    }

    private boolean deliver(Connection c, int most, long now) {
        ArrayDeque<Pong> pongs = inbound.get(c);
        for (int n = 0; n < most && !pongs.isEmpty() && pongs.peek().arrival() <= now; n++) {
            Pong p = pongs.poll();
            if (registry.find(c.id()).isPresent()) {
                arrivals.pong(c, p.payload());
                if (silent.containsKey(c)) {
                    lastFrame.put(c, now);
                }
            }
        }
        return true;
    }
}
