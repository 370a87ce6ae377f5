package dev.pulse.topic.control;

import dev.pulse.connection.control.Clock;
import dev.pulse.connection.control.SessionListener;
import dev.pulse.connection.entity.Connection;
import dev.pulse.monitoring.control.StoreStats;
import dev.pulse.presence.control.Presence;
import dev.pulse.presence.entity.LeaveReason;
import dev.pulse.presence.entity.Member;
import dev.pulse.protocol.StoreUnavailableException;
import dev.pulse.protocol.Wire;
import dev.pulse.topic.entity.Replay;
import dev.pulse.topic.entity.Sequenced;
import jakarta.json.JsonArray;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Topics as this node serves them: subscriptions of its sessions, publishing through the store, and delivery
 * to local subscribers. Order comes from the data (each subscription drops what it has delivered already),
 * never from a lock held across store I/O; the in-memory store is the one exception, sequencing and queueing
 * one topic's messages under one of a few stripe locks, which is what a single node's order needs.
 */
public final class Topics implements SessionListener {

    private static final int STRIPES = 64;
    /** Tasks that remove gone sessions' subscriptions at once: enough for store I/O in parallel, not one each. */
    private static final int CLEANUP_TASKS = 4;

    private final Subscribers subscribers;
    private final TopicStore store;
    private final Presence presence;
    private final Listing listing;
    private final Delivery out;
    private final FanOut fanOut;
    private final Feeds feeds;
    private final Clock clock;
    private final Executor cleanup;
    private final long idleMillis;
    private final Object[] stripes = new Object[STRIPES];

    /**
     * @param fanOutHelpers threads that help deliver to large topics, or null
     * @param cleanup where the subscriptions of gone sessions are removed (store I/O, after every lock is released)
     * @param idleMillis how long a topic that retains nothing and has nobody is kept (in-memory store)
     */
    public Topics(Subscribers subscribers, TopicStore store, Presence presence, Delivery out, Clock clock,
            Executor fanOutHelpers, Executor cleanup, long idleMillis, StoreStats storeStats) {
        this.subscribers = subscribers;
        this.store = store;
        this.presence = presence;
        this.listing = new Listing(presence, clock);
        this.out = out;
        this.clock = clock;
        this.cleanup = new FewTasks(cleanup, CLEANUP_TASKS);
        this.fanOut = new FanOut(fanOutHelpers, out);
        this.idleMillis = idleMillis;
        this.feeds = new Feeds(store, clock::millis, storeStats);
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Object();
        }
    }

    /**
     * Subscribes a new session to {@code broadcast} and, for a named user, to {@code user:<name>}, quietly and
     * before its welcome, so whatever is published after the client saw its welcome reaches it.
     */
    public void attach(Connection connection) {
        join(connection, TopicNames.BROADCAST);
        if (connection.user() != null) {
            join(connection, TopicNames.userTopic(connection.user()));
        }
    }

    private void join(Connection connection, String topic) {
        boolean[] created = {false};
        subscribers.subscribe(topic, connection, false, false, created);
        connection.topics().add(topic);
        if (created[0]) {
            listing.addIfAvailable(connection, topic);
        }
    }

    /**
     * Subscribes and answers {@code subscribed}, then (with {@code since}) a gap if one applies and the retained
     * messages after {@code since}; live messages follow. A repeated subscribe keeps the presence flag unless
     * {@code wantsPresence} is given. Throws {@link StoreUnavailableException}, leaving nothing subscribed.
     */
    public void subscribe(Connection connection, String topic, Long since, String epoch, Boolean wantsPresence) {
        boolean[] created = {false};
        Subscription subscription = subscribers.subscribe(topic, connection, Boolean.TRUE.equals(wantsPresence), true,
                created);
        if (wantsPresence != null) {
            subscription.presence(wantsPresence);
        }
        subscription.buffering(); // a repeated subscribe: its live messages wait too from now on
        if (created[0]) {
            connection.topics().add(topic); // before the answer: whoever saw `subscribed` sees the topic listed
        }
        boolean listed = false;
        try {
            listed = created[0] && listing.add(connection, topic);
            Replay replay = store.since(topic, since, epoch, clock.millis());
            if (!store.local()) {
                feeds.seed(topic, replay.epoch(), replay.lastSeq());
            }
            JsonArray members = subscription.presence() ? listing.json(topic) : null;
            subscription.replayed(replay, since != null, Wire.subscribed(topic, replay.epoch(), replay.lastSeq(), members), out);
        } catch (StoreUnavailableException e) {
            subscription.abandon(out);
            if (created[0]) {
                connection.topics().remove(topic);
            }
            if (created[0] && subscribers.unsubscribe(topic, connection) && listed) {
                later(() -> forget(connection, topic, LeaveReason.UNSUBSCRIBED)); // listed before the store failed
            }
            throw e;
        }
        if (created[0] && connection.isGone()) { // closed meanwhile: its cleanup may have missed this topic
            drop(connection, topic, LeaveReason.CLOSED);
        }
    }

    /** Unsubscribes (idempotent) and answers {@code unsubscribed}; the user leaves at once if it was their last. */
    public void unsubscribe(Connection connection, String topic) {
        connection.topics().remove(topic);
        try {
            drop(connection, topic, LeaveReason.UNSUBSCRIBED);
        } finally {
            out.send(connection, Wire.unsubscribed(topic));
        }
    }

    /** Sequences and stores a message; returns once it is stored. Throws {@link StoreUnavailableException}. */
    public Sequenced publish(String topic, String data) {
        if (!store.local()) {
            return store.append(topic, data, clock.millis()); // the store announces it to every node, this one too
        }
        synchronized (stripes[Math.floorMod(topic.hashCode(), STRIPES)]) {
            Sequenced message = store.append(topic, data, clock.millis());
            fanOut.deliver(subscribers.of(topic), message);
            return message;
        }
    }

    /** A message the shared store announced: delivered here in seq order, holes filled from the store first. */
    public void arrived(Sequenced message) {
        if (subscribers.has(message.topic())) {
            feeds.arrived(message, m -> fanOut.deliver(subscribers.of(m.topic()), m));
        }
    }

    /** After the store's announcements may have been missed: delivers what was published meanwhile. */
    public void catchUp() {
        feeds.catchUp(m -> fanOut.deliver(subscribers.of(m.topic()), m));
    }

    /**
     * Lists every local session in the store's presence again: the store had counted this node dead (a pause
     * longer than the node timeout) and removed them, though they are still here.
     */
    public void reannounce() {
        listing.reannounce(subscribers);
    }

    public List<Member> members(String topic) {
        return presence.members(topic);
    }

    /** The members as the wire shows them: {@code [{"user","since","connections"}]}. */
    public JsonArray membersJson(String topic) {
        return listing.json(topic);
    }

    /** Topics with subscribers on this node. */
    public int size() {
        return subscribers.topics().size();
    }

    @Override
    public void gone(Connection connection, boolean evicted) {
        LeaveReason reason = evicted ? LeaveReason.EVICTED : LeaveReason.CLOSED;
        later(() -> {
            for (String topic : List.copyOf(connection.topics())) {
                drop(connection, topic, reason);
            }
        });
    }

    /** Store I/O that nobody waits for, off the caller's thread (the answer must not wait another timeout). */
    private void later(Runnable work) {
        cleanup.execute(work);
    }

    /** Ends grace periods that are over and forgets topics nobody uses; runs on its own schedule. */
    public void housekeeping() {
        long now = clock.millis();
        presence.expire(now);
        feeds.retainOnly(subscribers::has);
        store.sweep(now, idleMillis, t -> subscribers.has(t) || presence.listed(t));
    }

    private void drop(Connection connection, String topic, LeaveReason reason) {
        if (subscribers.unsubscribe(topic, connection)) {
            forget(connection, topic, reason);
        }
    }

    private void forget(Connection connection, String topic, LeaveReason reason) {
        listing.remove(connection, topic, reason);
    }
}
