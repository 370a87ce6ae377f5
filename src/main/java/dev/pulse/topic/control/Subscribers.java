package dev.pulse.topic.control;

import dev.pulse.connection.entity.Connection;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** This node's subscriptions, by topic; a topic without local subscribers has no entry. */
public final class Subscribers {

    private final Map<String, Map<Connection, Subscription>> byTopic = new ConcurrentHashMap<>();

    /**
     * The session's subscription to the topic, created if it had none ({@code created[0]} tells which), waiting for
     * its replay if {@code replaying}.
     */
    Subscription subscribe(String topic, Connection connection, boolean presence, boolean replaying, boolean[] created) {
        Subscription[] result = new Subscription[1];
        byTopic.compute(topic, (t, subscriptions) -> {
            Map<Connection, Subscription> map = subscriptions == null ? new ConcurrentHashMap<>() : subscriptions;
            result[0] = map.get(connection);
            if (result[0] == null) {
                result[0] = new Subscription(connection, topic, presence, replaying);
                map.put(connection, result[0]);
                created[0] = true;
            }
            return map;
        });
        return result[0];
    }

    /** Removes the session's subscription; true if it had one. */
    boolean unsubscribe(String topic, Connection connection) {
        boolean[] removed = {false};
        byTopic.computeIfPresent(topic, (t, subscriptions) -> {
            removed[0] = subscriptions.remove(connection) != null;
            return subscriptions.isEmpty() ? null : subscriptions;
        });
        return removed[0];
    }

    Subscription find(String topic, Connection connection) {
        Map<Connection, Subscription> subscriptions = byTopic.get(topic);
        return subscriptions == null ? null : subscriptions.get(connection);
    }

    /** A snapshot of the topic's subscriptions. */
    List<Subscription> of(String topic) {
        Map<Connection, Subscription> subscriptions = byTopic.get(topic);
        return subscriptions == null ? List.of() : List.copyOf(subscriptions.values());
    }

    Collection<Subscription> live(String topic) {
        Map<Connection, Subscription> subscriptions = byTopic.get(topic);
        return subscriptions == null ? List.of() : subscriptions.values();
    }

    boolean has(String topic) {
        return byTopic.containsKey(topic);
    }

    Set<String> topics() {
        return byTopic.keySet();
    }
}
