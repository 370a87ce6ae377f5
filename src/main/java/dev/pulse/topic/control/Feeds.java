package dev.pulse.topic.control;

import dev.pulse.monitoring.control.StoreStats;
import dev.pulse.protocol.StoreUnavailableException;
import dev.pulse.topic.entity.Replay;
import dev.pulse.topic.entity.Sequenced;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Puts the messages a shared store announces into seq order per topic on this node: each topic with local
 * subscribers remembers the last seq it delivered; a message at or below it is dropped, a message past a hole
 * first has the hole filled from the store (whatever the store no longer retains, each subscription reports
 * as a gap when it sees the jump). The store's announcements are lossy (pub/sub); the store is not.
 */
final class Feeds {

    private static final Logger LOG = System.getLogger(Feeds.class.getName());

    private final TopicStore store;
    private final LongSupplier clock;
    private final Map<String, Feed> feeds = new ConcurrentHashMap<>();
    private final StoreStats stats;

    private static final class Feed {
        String epoch;
        long last;
    }

    Feeds(TopicStore store, LongSupplier clock, StoreStats stats) {
        this.store = store;
        this.clock = clock;
        this.stats = stats;
    }

    /** A subscription read the store up to {@code lastSeq}: a feed that knew nothing starts there. */
    void seed(String topic, String epoch, long lastSeq) {
        Feed feed = feeds.computeIfAbsent(topic, t -> new Feed());
        synchronized (feed) {
            if (feed.epoch == null) {
                feed.epoch = epoch;
                feed.last = lastSeq;
            }
        }
    }

    /** Delivers the message, after what it skipped; callers hand one topic's messages over one at a time. */
    void arrived(Sequenced message, Consumer<Sequenced> deliver) {
        Feed feed = feeds.computeIfAbsent(message.topic(), t -> new Feed());
        synchronized (feed) {
            boolean sameEpoch = message.epoch().equals(feed.epoch);
            if (sameEpoch && message.seq() <= feed.last) {
                return;
            }
            long after = sameEpoch ? feed.last : feed.epoch == null ? message.seq() - 1 : 0;
            if (message.seq() > after + 1) {
                fill(feed, message.topic(), message.epoch(), after, message.seq(), deliver);
            }
            emit(feed, message, deliver);
        }
    }

    /** Reads, for every topic with a feed, what the store has past the last seq delivered (after a reconnect). */
    void catchUp(Consumer<Sequenced> deliver) {
        for (Map.Entry<String, Feed> entry : feeds.entrySet()) {
            Feed feed = entry.getValue();
            synchronized (feed) {
                if (feed.epoch != null) {
                    fill(feed, entry.getKey(), feed.epoch, feed.last, Long.MAX_VALUE, deliver);
                }
            }
        }
    }

    /** Forgets the feeds of topics that no longer have local subscribers. */
    void retainOnly(java.util.function.Predicate<String> subscribed) {
        feeds.keySet().removeIf(topic -> !subscribed.test(topic));
    }

    private void fill(Feed feed, String topic, String epoch, long after, long before, Consumer<Sequenced> deliver) {
        Replay replay;
        stats.catchUpReads.increment();
        try {
            replay = store.since(topic, after, epoch, clock.getAsLong());
        } catch (StoreUnavailableException e) {
            LOG.log(Level.DEBUG, () -> "Could not fill " + topic + " after " + after + ": " + e.getMessage());
            return; // each subscription reports the hole as a gap when the next message jumps it
        }
        if (replay.gap() != null && replay.gap().from() == null && replay.epoch().equals(feed.epoch)
                && replay.lastSeq() < feed.last) {
            store.lostTail(topic, epoch, feed.last); // the store forgot seqs we delivered: a new epoch, not reuse
        }
        int filled = 0;
        for (Sequenced m : replay.messages()) {
            if (m.seq() < before && (!m.epoch().equals(feed.epoch) || m.seq() > feed.last)) {
                emit(feed, m, deliver);
                filled++;
            }
        }
        if (filled > 0) {
            stats.caughtUp.add(filled);
        }
    }

    private static void emit(Feed feed, Sequenced message, Consumer<Sequenced> deliver) {
        feed.epoch = message.epoch();
        feed.last = message.seq();
        deliver.accept(message);
    }
}
