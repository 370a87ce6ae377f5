package dev.pulse.presence.control;

import dev.pulse.presence.entity.Leave;
import dev.pulse.presence.entity.Member;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/** Presence in this node's memory. */
public final class InMemoryPresence implements Presence {

    private final Map<String, Map<String, Entry>> topics = new ConcurrentHashMap<>();
    private final LongSupplier grace;

    public InMemoryPresence(LongSupplier grace) {
        this.grace = grace;
    }

    private static final class Entry {
        final long since;
        final Set<String> sessions = new HashSet<>();
        long leaveAt = -1;
        String leaveReason;

        Entry(long since) {
            this.since = since;
        }
    }

    @Override
    public synchronized boolean add(String topic, String user, String session, long now) {
        Map<String, Entry> members = topics.computeIfAbsent(topic, t -> new LinkedHashMap<>());
        Entry entry = members.get(user);
        if (entry == null) {
            entry = new Entry(now);
            members.put(user, entry);
            entry.sessions.add(session);
            return true;
        }
        entry.sessions.add(session);
        entry.leaveAt = -1; // back within the grace period: no leave, no second join
        return false;
    }

    @Override
    public synchronized Optional<Leave> remove(String topic, String user, String session, String reason, long now) {
        Map<String, Entry> members = topics.get(topic);
        Entry entry = members == null ? null : members.get(user);
        if (entry == null || !entry.sessions.remove(session) || !entry.sessions.isEmpty()) {
            return Optional.empty();
        }
        if (Leave.UNSUBSCRIBED.equals(reason) || grace.getAsLong() == 0) {
            members.remove(user);
            cleanup(topic, members);
            return Optional.of(new Leave(topic, user, now, reason));
        }
        entry.leaveAt = now + grace.getAsLong();
        entry.leaveReason = reason;
        return Optional.empty();
    }

    @Override
    public synchronized List<Leave> expire(String topic, long now) {
        Map<String, Entry> members = topics.get(topic);
        if (members == null) {
            return List.of();
        }
        List<Leave> leaves = new ArrayList<>();
        members.entrySet().removeIf(e -> {
            Entry entry = e.getValue();
            if (entry.sessions.isEmpty() && entry.leaveAt >= 0 && now >= entry.leaveAt) {
                leaves.add(new Leave(topic, e.getKey(), now, entry.leaveReason));
                return true;
            }
            return false;
        });
        cleanup(topic, members);
        return leaves;
    }

    @Override
    public synchronized List<Member> members(String topic) {
        Map<String, Entry> members = topics.get(topic);
        if (members == null) {
            return List.of();
        }
        List<Member> list = new ArrayList<>();
        members.forEach((user, e) -> list.add(new Member(user, e.since, e.sessions.size())));
        list.sort(Comparator.comparingLong(Member::since).thenComparing(Member::user));
        return list;
    }

    @Override
    public synchronized boolean empty(String topic) {
        return !topics.containsKey(topic);
    }

    private void cleanup(String topic, Map<String, Entry> members) {
        if (members.isEmpty()) {
            topics.remove(topic);
        }
    }
}
