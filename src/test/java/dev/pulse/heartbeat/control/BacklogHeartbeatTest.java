package dev.pulse.heartbeat.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.config.PulseSettings;
import dev.pulse.heartbeat.control.BacklogSimulation.Reading;
import dev.pulse.heartbeat.control.BacklogSimulation.Run;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The node falls behind on its inbound frames (a backlog injected on a fake clock: Pongs are read slower than they
 * arrive, from one queue or from the sockets in turns): peers that answer every Ping are not evicted, because their Pongs wait in the node's
 * own queue, while silent peers still are, within interval + timeout + tick + the lag the node measured.
 */
class BacklogHeartbeatTest {

    @ParameterizedTest
    @EnumSource(Reading.class)
    void withoutTheAllowanceTheBacklogEvictsHealthyPeers(Reading reading) {
        Run run = BacklogSimulation.run(reading, 0, 20, 2_500, 15_000);
        assertTrue(run.healthyEvicted() > 0, "the scenario is a real backlog: " + run);
    }

    @ParameterizedTest
    @EnumSource(Reading.class)
    void aBackloggedNodeSparesHealthyPeersAndStillEvictsSilentOnesWithinTheExtendedBound(Reading reading) {
        for (long silentAt : new long[] {7_000, 9_000, 15_000}) { // before, during and after the backlog
            check(BacklogSimulation.run(reading, 2000, 20, 2_500, silentAt));
        }
    }

    private static void check(Run run) {
        assertEquals(0, run.healthyEvicted(), run.toString());
        assertEquals(BacklogSimulation.SILENT, run.silentEvicted(), run.toString());
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
