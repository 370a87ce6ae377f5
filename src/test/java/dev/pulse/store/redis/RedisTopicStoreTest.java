package dev.pulse.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pulse.config.StoreSettings;
import dev.pulse.protocol.StoreUnavailableException;
import dev.pulse.testing.RedisServer;
import dev.pulse.topic.control.TopicStore;
import dev.pulse.topic.control.TopicStoreContract;
import dev.pulse.topic.entity.Gap;
import dev.pulse.topic.entity.Replay;
import dev.pulse.topic.entity.Sequenced;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The topic store contract in a real Redis, and what only a shared store does: several nodes, one sequence. */
class RedisTopicStoreTest extends TopicStoreContract {

    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private final List<AutoCloseable> resources = new ArrayList<>();
    private RedisLink link;

    @BeforeEach
    void emptyRedis() throws Exception {
        REDIS.flushAll();
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    /** A node's connections to Redis, as RedisStore opens them (without the announcements' listener). */
    private RedisLink connect(String uri) {
        RedisLink opened = new RedisLink(StoreSettings.redis(uri, "node-test", 10_000));
        resources.add(opened);
        opened.connect(new RedisPubSubAdapter<>() { });
        return opened;
    }

    @Override
    protected TopicStore newStore(int size, long ttl) {
        if (link == null) {
            link = connect(REDIS.uri());
        }
        return new RedisTopicStore(link, size, ttl);
    }

    /** Connected to a Redis that then went away. */
    @Override
    protected TopicStore unavailableStore() throws Exception {
        RedisServer doomed = new RedisServer().start();
        resources.add(doomed::stop);
        RedisTopicStore store = new RedisTopicStore(connect(doomed.uri()), SIZE, TTL);
        store.since("a", null, null, now); // it did work
        doomed.stop();
        return store;
    }

    @Test
    void nodesShareOneSequenceAndEpochPerTopic() {
        TopicStore a = newStore(SIZE, TTL);
        TopicStore b = new RedisTopicStore(connect(REDIS.uri()), SIZE, TTL);
        String epoch = b.since("room", null, null, now).epoch();
        Sequenced first = a.append("room", "1", publishTime());
        Sequenced second = b.append("room", "2", publishTime());
        assertEquals(List.of(1L, 2L), List.of(first.seq(), second.seq()));
        assertEquals(epoch, first.epoch(), "the epoch one node answered before anything was published");
        assertEquals(epoch, second.epoch());
        Replay replay = a.since("room", 0L, epoch, now);
        assertNull(replay.gap());
        assertEquals(List.of("1", "2"), replay.messages().stream().map(Sequenced::data).toList());
    }

    @Test
    void aLostTailMovesTheTopicToANewEpochOnce() {
        store().append("a", "1", publishTime());
        String epoch = store().since("a", null, null, now).epoch();
        store().lostTail("a", epoch, 1); // nothing lost: seq 1 is there
        assertEquals(epoch, store().since("a", null, null, now).epoch());
        store().lostTail("a", "another-epoch", 5); // about an epoch the topic is no longer in
        assertEquals(epoch, store().since("a", null, null, now).epoch());
        store().lostTail("a", epoch, 3); // a node delivered seqs 2 and 3, which the store forgot
        Replay after = store().since("a", 1L, epoch, now);
        assertNotEquals(epoch, after.epoch(), "seqs 2 and 3 are never given out again in this epoch");
        assertEquals(Gap.reset(), after.gap());
        assertEquals(0, after.lastSeq());
        Sequenced next = store().append("a", "2", publishTime());
        assertEquals(after.epoch(), next.epoch());
        assertEquals(1, next.seq());
    }

    /** A publish Redis would run after its caller gave up is refused, and not carried out later. */
    @Test
    void aPublishThatWouldRunLateIsRefusedAndNotSequenced() {
        long late = System.currentTimeMillis() - RedisLink.COMMAND_TIMEOUT.toMillis();
        assertThrows(StoreUnavailableException.class, () -> store().append("a", "1", late));
        assertEquals(0, store().since("a", null, null, now).lastSeq());
        assertEquals(1, store().append("a", "2", publishTime()).seq());
    }
}
