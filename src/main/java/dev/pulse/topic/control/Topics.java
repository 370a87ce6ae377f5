package dev.pulse.topic.control;

import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.connection.entity.Connection;
import dev.pulse.presence.control.InMemoryPresence;
import dev.pulse.presence.control.Presence;
import dev.pulse.presence.entity.Leave;
import dev.pulse.presence.entity.Member;
import dev.pulse.protocol.Wire;
import dev.pulse.topic.entity.Replay;
import dev.pulse.topic.entity.TopicMessage;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * Every topic of this node: its subscribers, its history and its presence. Work on one topic is serialized by
 * that topic's lock, so a subscriber's replay and the live messages published meanwhile can neither interleave
 * nor be lost, and every subscriber gets a topic's messages in seq order. Sends only queue (never block), so
 * one slow subscriber cannot hold up the others.
 */
public final class Topics implements SessionRegistry.Listener {

    private static final Topics SHARED = new Topics(SessionRegistry.shared());
    /** How deep the current thread is in topic locks: cleanups of gone sessions wait until it is out. */
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private final SessionRegistry registry;
    private final History history;
    private final Presence presence;
    private final Map<String, Topic> topics = new ConcurrentHashMap<>();
    private final Queue<Object[]> gone = new ConcurrentLinkedQueue<>();
    /** Managed threads that help deliver to many subscribers; null: the publishing thread does it alone. */
    private volatile Executor fanOut;

    /** Below this many subscribers one thread delivers faster than handing work to others. */
    static final int PARALLEL_FAN_OUT_MIN = 2000;

    private static final class Topic {
        final String name;
        final Map<Connection, Subscription> subscribers = new ConcurrentHashMap<>();
        long lastActive;
        boolean dead;

        Topic(String name) {
            this.name = name;
        }
    }

    private static final class Subscription {
        volatile boolean presence;

        Subscription(boolean presence) {
            this.presence = presence;
        }
    }

    public Topics(SessionRegistry registry) {
        this(registry, new InMemoryHistory(() -> registry.settings().historySize(),
                () -> registry.settings().historyTtl()), new InMemoryPresence(() -> registry.settings().presenceGrace()));
    }

    public Topics(SessionRegistry registry, History history, Presence presence) {
        this.registry = registry;
        this.history = history;
        this.presence = presence;
        registry.listen(this);
    }

    public static Topics shared() {
        return SHARED;
    }

    /** Lets publishes to large topics queue their deliveries from several threads; null turns it off. */
    public void fanOutOn(Executor executor) {
        this.fanOut = executor;
    }

    /** Subscribes a new session to {@code broadcast} and, for a named user, to {@code user:<name>}, quietly. */
    public void attach(Connection connection) {
        join(connection, TopicNames.BROADCAST);
        if (connection.user() != null) {
            join(connection, TopicNames.userTopic(connection.user()));
        }
    }

    /**
     * Subscribes and answers {@code subscribed}, then (with {@code since}) a gap if one applies and the retained
     * messages after {@code since}; live messages follow. A repeated subscribe keeps the presence flag unless
     * {@code wantsPresence} is given.
     */
    public void subscribe(Connection connection, String name, Long since, String epoch, Boolean wantsPresence) {
        locked(name, topic -> {
            if (connection.isGone()) {
                return null;
            }
            long now = registry.clock().millis();
            Subscription existing = topic.subscribers.get(connection);
            boolean withPresence = wantsPresence != null ? wantsPresence : existing != null && existing.presence;
            boolean joined = false;
            if (existing == null) {
                topic.subscribers.put(connection, new Subscription(withPresence));
                connection.topics().add(name);
                joined = connection.user() != null && presence.add(name, connection.user(), connection.id(), now);
            } else {
                existing.presence = withPresence;
            }
            topic.lastActive = now;
            Replay replay = history.since(name, since, epoch, now);
            registry.send(connection, Wire.subscribed(name, replay.epoch(), replay.lastSeq(),
                    withPresence ? membersJson(name) : null));
            if (replay.gap() != null) {
                registry.send(connection, Wire.gap(name, replay.gap().from(), replay.gap().to(),
                        replay.gap().reason()));
            }
            for (TopicMessage message : replay.messages()) {
                if (registry.sendReplay(connection, message.wire())) {
                    registry.stats().messagesOut.increment();
                }
            }
            if (joined) {
                announce(topic, Wire.join(name, connection.user(), now), connection.user());
            }
            return null;
        });
    }

    /** Unsubscribes (idempotent) and answers {@code unsubscribed}; the user leaves at once if it was their last. */
    public void unsubscribe(Connection connection, String name) {
        locked(name, topic -> {
            if (topic.subscribers.remove(connection) != null) {
                connection.topics().remove(name);
                topic.lastActive = registry.clock().millis();
                leave(topic, connection, Leave.UNSUBSCRIBED);
            }
            registry.send(connection, Wire.unsubscribed(name));
            return null;
        });
    }

    /** Sequences, stores and queues a message for every subscriber; returns once it is stored, not delivered. */
    public TopicMessage publish(String name, JsonValue data) {
        return locked(name, topic -> {
            long now = registry.clock().millis();
            TopicMessage message = history.append(name, data, now);
            topic.lastActive = now;
            deliverAll(List.copyOf(topic.subscribers.keySet()), message.wire());
            return message;
        });
    }

    public List<Member> members(String name) {
        return locked(name, topic -> presence.members(name));
    }

    /** The members as the wire shows them: {@code [{"user","since","connections"}]}. */
    public JsonArray membersJson(String name) {
        JsonArrayBuilder array = Wire.builders().createArrayBuilder();
        for (Member m : presence.members(name)) {
            array.add(Wire.object().add("user", m.user()).add("since", m.since()).add("connections", m.connections()));
        }
        return array.build();
    }

    /** Number of topics this node holds state for. */
    public int size() {
        return topics.size();
    }

    @Override
    public void gone(Connection connection, boolean evicted) {
        gone.add(new Object[] {connection, evicted ? Leave.EVICTED : Leave.CLOSED});
        if (DEPTH.get()[0] == 0) {
            cleanUp();
        }
    }

    /** Ends the grace periods that are over and drops topics nobody uses any more. */
    @Override
    public void tick() {
        cleanUp();
        long now = registry.clock().millis();
        long idle = registry.settings().topicIdle();
        for (Topic topic : topics.values()) {
            synchronized (topic) {
                for (Leave leave : presence.expire(topic.name, now)) {
                    announce(topic, Wire.leave(leave.topic(), leave.user(), leave.time(), leave.reason()), leave.user());
                }
                if (topic.subscribers.isEmpty() && now - topic.lastActive >= idle && history.empty(topic.name, now)
                        && presence.empty(topic.name)) {
                    topic.dead = true;
                    topics.remove(topic.name, topic);
                    history.drop(topic.name);
                }
            }
        }
    }

    /** Forgets every topic; for tests that share the static instance. */
    public void reset() {
        for (String name : topics.keySet()) {
            history.drop(name);
        }
        topics.clear();
        gone.clear();
    }

    private void join(Connection connection, String name) {
        locked(name, topic -> {
            if (!connection.isGone() && topic.subscribers.putIfAbsent(connection, new Subscription(false)) == null) {
                connection.topics().add(name);
                long now = registry.clock().millis();
                topic.lastActive = now;
                if (connection.user() != null && presence.add(name, connection.user(), connection.id(), now)) {
                    announce(topic, Wire.join(name, connection.user(), now), connection.user());
                }
            }
            return null;
        });
    }

    private void cleanUp() {
        Object[] next;
        while ((next = gone.poll()) != null) {
            Connection connection = (Connection) next[0];
            String reason = (String) next[1];
            for (String name : List.copyOf(connection.topics())) {
                locked(name, topic -> {
                    if (topic.subscribers.remove(connection) != null) {
                        topic.lastActive = registry.clock().millis();
                        leave(topic, connection, reason);
                    }
                    return null;
                });
            }
            connection.topics().clear();
        }
    }

    private void leave(Topic topic, Connection connection, String reason) {
        if (connection.user() == null) {
            return;
        }
        Optional<Leave> leave = presence.remove(topic.name, connection.user(), connection.id(), reason,
                registry.clock().millis());
        leave.ifPresent(l -> announce(topic, Wire.leave(l.topic(), l.user(), l.time(), l.reason()), l.user()));
    }

    /** Sends a presence event to the subscribers that asked for presence, except the sessions of its user. */
    private void announce(Topic topic, String event, String aboutUser) {
        topic.subscribers.forEach((subscriber, subscription) -> {
            if (subscription.presence && !Objects.equals(subscriber.user(), aboutUser)) {
                registry.send(subscriber, event);
            }
        });
    }

    /**
     * Queues one message for every subscriber. Each subscriber is in exactly one slice and every slice is done
     * before the topic's lock is released, so each still gets the topic's messages in seq order. Queueing costs
     * the container's send path per subscriber (tens of microseconds on Payara); 10,000 of them on one thread
     * took half a second, which is what the fan-out p99 measured.
     */
    private void deliverAll(List<Connection> subscribers, String wire) {
        Executor executor = fanOut;
        int slices = executor == null || subscribers.size() < PARALLEL_FAN_OUT_MIN ? 1
                : Math.min(4, Math.max(2, Runtime.getRuntime().availableProcessors()));
        List<CompletableFuture<Void>> helpers = new ArrayList<>();
        int size = subscribers.size();
        for (int i = 1; i < slices; i++) {
            List<Connection> slice = subscribers.subList(size * i / slices, size * (i + 1) / slices);
            try {
                helpers.add(CompletableFuture.runAsync(() -> deliverSlice(slice, wire), executor));
            } catch (RejectedExecutionException e) {
                deliverSlice(slice, wire); // no managed thread to spare: this one does it
            }
        }
        deliverSlice(subscribers.subList(0, size / slices), wire);
        for (CompletableFuture<Void> helper : helpers) {
            helper.join();
        }
    }

    private void deliverSlice(List<Connection> slice, String wire) {
        int[] depth = DEPTH.get();
        depth[0]++; // a helper works for a thread holding the topic's lock: cleanups wait for that thread
        try {
            for (Connection subscriber : slice) {
                deliver(subscriber, wire);
            }
        } finally {
            depth[0]--;
        }
    }

    private void deliver(Connection connection, String wire) {
        if (registry.send(connection, wire)) {
            registry.stats().messagesOut.increment();
        }
    }

    private <T> T locked(String name, Function<Topic, T> action) {
        int[] depth = DEPTH.get();
        try {
            for (;;) {
                Topic topic = topics.computeIfAbsent(name, Topic::new);
                synchronized (topic) {
                    if (topic.dead) {
                        continue;
                    }
                    depth[0]++;
                    try {
                        return action.apply(topic);
                    } finally {
                        depth[0]--;
                    }
                }
            }
        } finally {
            if (depth[0] == 0 && !gone.isEmpty()) {
                cleanUp();
            }
        }
    }
}
