package dev.pulse.topic.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.AddressLimits;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.connection.entity.Connection;
import dev.pulse.monitoring.control.Stats;
import dev.pulse.testing.FakeClock;
import dev.pulse.testing.FakePeer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class SubscribersTest {

    private final SessionRegistry registry = new SessionRegistry(PulseSettings.builder().build(), new FakeClock(),
            new Stats(), new AddressLimits());

    private List<Connection> connections(int n) {
        List<Connection> result = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            result.add(registry.open(new FakePeer(), null, null));
        }
        return result;
    }

    @Test
    void aSessionHasOneSubscriptionPerTopicAndAnEmptyTopicIsForgotten() {
        Subscribers subscribers = new Subscribers();
        Connection c = connections(1).get(0);
        boolean[] created = {false};
        Subscription first = subscribers.subscribe("t", c, false, false, created);
        assertTrue(created[0]);
        boolean[] again = {false};
        assertSame(first, subscribers.subscribe("t", c, true, false, again));
        assertFalse(again[0]);
        assertTrue(subscribers.has("t"));
        assertTrue(subscribers.unsubscribe("t", c));
        assertFalse(subscribers.unsubscribe("t", c));
        assertFalse(subscribers.has("t"));
        assertEquals(0, subscribers.topics().size());
        assertTrue(subscribers.subscribe("t", c, false, false, new boolean[1]) != first, "a new one after leaving");
    }

    /** Sessions joining while others leave, the topic emptying and refilling: no join is lost to a retired topic. */
    @Test
    void joinsRacingTheTopicsRetirementAreNeverLost() throws Exception {
        int threads = 4;
        int rounds = 2000;
        Subscribers subscribers = new Subscribers();
        List<Connection> all = connections(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CyclicBarrier start = new CyclicBarrier(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (Connection c : all) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int r = 0; r < rounds; r++) {
                        boolean[] created = {false};
                        Subscription s = subscribers.subscribe("broadcast", c, false, false, created);
                        assertTrue(created[0], "each round joins anew");
                        assertSame(s, subscribers.find("broadcast", c), "the join is in the topic's live instance");
                        assertTrue(subscribers.live("broadcast").contains(s));
                        assertTrue(subscribers.unsubscribe("broadcast", c));
                    }
                    subscribers.subscribe("broadcast", c, false, false, new boolean[1]);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(threads, subscribers.of("broadcast").size());
        all.forEach(c -> subscribers.unsubscribe("broadcast", c));
        assertFalse(subscribers.has("broadcast"));
    }
}
