package dev.pulse.topic.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The topic store contract in this node's memory, and how it forgets idle topics. */
class InMemoryTopicStoreTest extends TopicStoreContract {

    private static final long IDLE = 1000;

    @Override
    protected TopicStore newStore(int size, long ttl) {
        return new InMemoryTopicStore(size, ttl);
    }

    @Override
    protected TopicStore unavailableStore() {
        return null; // nothing to reach: memory is always there
    }

    private InMemoryTopicStore memory() {
        return (InMemoryTopicStore) store();
    }

    @Test
    void aTopicThatRetainsNothingAndIsIdleIsDroppedAndStartsOverInANewEpoch() {
        store().append("a", "1", publishTime());
        String before = store().since("a", null, null, now).epoch();
        memory().sweep(now + IDLE, IDLE, topic -> false);
        assertEquals(1, memory().size(), "still retains its message");
        now += TTL + 1;
        memory().sweep(now, IDLE, topic -> false);
        assertEquals(0, memory().size(), "memory stays bounded");
        assertEquals(1, store().append("a", "2", publishTime()).seq());
        assertNotEquals(before, store().since("a", null, null, now).epoch(), "a new epoch: a reset for resumers");
    }

    @Test
    void aTopicInUseOrRecentlyActiveIsKept() {
        store().append("used", "1", publishTime());
        store().append("recent", "1", publishTime());
        now += TTL + 1;
        store().since("recent", null, null, now); // a subscriber read it just now
        memory().sweep(now + IDLE - 1, IDLE, "used"::equals);
        assertEquals(2, memory().size());
        String epoch = store().since("used", null, null, now).epoch();
        memory().sweep(now + TTL + IDLE, IDLE, "used"::equals);
        assertEquals(1, memory().size(), "only the topic in use");
        assertEquals(epoch, store().since("used", null, null, now).epoch());
        assertTrue(store().append("used", "2", publishTime()).seq() == 2, "its sequence goes on");
    }
}
