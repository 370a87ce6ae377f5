package dev.pulse.topic.control;

import dev.pulse.connection.entity.Connection;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** This node's subscriptions, by topic; a topic without local subscribers has no entry. */
public final class Subscribers {

    private final Map<String, Members> byTopic = new ConcurrentHashMap<>();

    /**
     * The session's subscription to the topic, created if it had none ({@code created[0]} tells which), waiting for
     * its replay if {@code replaying}.
     */
    Subscription subscribe(String topic, Connection connection, boolean presence, boolean replaying, boolean[] created) {
        for (;;) {
            Members members = byTopic.computeIfAbsent(topic, t -> new Members());
            if (!members.reserve()) {
                byTopic.remove(topic, members); // retired as it emptied: the next round makes a new one
                continue;
            }
            Subscription existing = members.subscriptions.get(connection);
            if (existing == null) {
                Subscription made = new Subscription(connection, topic, presence, replaying);
                existing = members.subscriptions.putIfAbsent(connection, made);
                if (existing == null) {
                    created[0] = true;
                    return made;
                }
            }
            release(topic, members);
            return existing;
        }
    }

    /** Removes the session's subscription; true if it had one. */
    boolean unsubscribe(String topic, Connection connection) {
        Members members = byTopic.get(topic);
        if (members == null || members.subscriptions.remove(connection) == null) {
            return false;
        }
        release(topic, members);
        return true;
    }

    private void release(String topic, Members members) {
        if (members.release() && members.retire()) {
            byTopic.remove(topic, members);
        }
    }

    Subscription find(String topic, Connection connection) {
        Members members = byTopic.get(topic);
        return members == null ? null : members.subscriptions.get(connection);
    }

    /** A snapshot of the topic's subscriptions. */
    List<Subscription> of(String topic) {
        Members members = byTopic.get(topic);
        return members == null ? List.of() : List.copyOf(members.subscriptions.values());
    }

    Collection<Subscription> live(String topic) {
        Members members = byTopic.get(topic);
        return members == null ? List.of() : members.subscriptions.values();
    }

    boolean has(String topic) {
        return byTopic.containsKey(topic);
    }

    Set<String> topics() {
        return byTopic.keySet();
    }
}
