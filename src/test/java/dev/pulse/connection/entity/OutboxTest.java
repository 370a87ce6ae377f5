package dev.pulse.connection.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.testing.FakePeer;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class OutboxTest {

    @Test
    void sendsInOrderOneAtATime() {
        FakePeer peer = new FakePeer().stall();
        Outbox outbox = new Outbox(peer, 10, 1000, e -> { });
        outbox.offer("a");
        outbox.offer("b");
        outbox.offer("c");
        assertEquals(1, peer.texts.size());
        assertEquals(3, outbox.depth());
        peer.pending.remove(0).accept(null);
        peer.pending.remove(0).accept(null);
        assertEquals(java.util.List.of("a", "b", "c"), peer.texts);
        assertEquals(1, outbox.depth());
    }

    @Test
    void completionsOnTheCallingThreadDoNotRecurse() {
        FakePeer peer = new FakePeer(); // completes every send inline
        Outbox outbox = new Outbox(peer, 1_000_000, Long.MAX_VALUE, e -> { });
        for (int i = 0; i < 100_000; i++) {
            assertTrue(outbox.offer("m" + i));
        }
        assertEquals(100_000, peer.texts.size());
        assertEquals(0, outbox.depth());
    }

    @Test
    void refusesPastTheMessageOrCharacterLimit() {
        FakePeer peer = new FakePeer().stall();
        Outbox byCount = new Outbox(peer, 2, 1000, e -> { });
        assertTrue(byCount.offer("x"));
        assertTrue(byCount.offer("x"));
        assertTrue(byCount.offer("x"));
        assertFalse(byCount.offer("x"));
        Outbox bySize = new Outbox(new FakePeer().stall(), 100, 10, e -> { });
        assertTrue(bySize.offer("0123456789"), "goes straight to the container");
        assertTrue(bySize.offer("0123456789"));
        assertFalse(bySize.offer("0"));
    }

    @Test
    void aFailedSendClosesTheOutboxAndReportsOnce() {
        FakePeer peer = new FakePeer().stall();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Outbox outbox = new Outbox(peer, 10, 1000, failure::set);
        outbox.offer("a");
        outbox.offer("b");
        peer.pending.remove(0).accept(new java.io.IOException("reset"));
        assertEquals("reset", failure.get().getMessage());
        assertFalse(outbox.offer("c"));
        assertEquals(1, peer.texts.size());
    }
}
