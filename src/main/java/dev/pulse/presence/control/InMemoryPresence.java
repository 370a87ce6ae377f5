package dev.pulse.presence.control;

import dev.pulse.presence.entity.Leave;
import dev.pulse.presence.entity.LeaveReason;
import dev.pulse.presence.entity.Member;
import dev.pulse.presence.entity.PresenceEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Presence in this node's memory; events are told after the lock is released. */
public final class InMemoryPresence implements Presence {

    private final Map<String, Map<String, Entry>> topics = new LinkedHashMap<>();
    private final long grace;
    private final PresenceListener listener;

    public InMemoryPresence(long grace, PresenceListener listener) {
        this.grace = grace;
        this.listener = listener;
    }

    private static final class Entry {
        final long since;
        final Set<String> sessions = new HashSet<>();
        long leaveAt = -1;
        LeaveReason leaveReason;

        Entry(long since) {
            this.since = since;
        }
    }

    @Override
    public void add(String topic, String user, String session, long now) {
        boolean joined;
        synchronized (this) {
            Map<String, Entry> members = topics.computeIfAbsent(topic, t -> new LinkedHashMap<>());
            Entry entry = members.get(user);
            joined = entry == null;
            if (joined) {
                entry = new Entry(now);
                members.put(user, entry);
            }
            entry.sessions.add(session);
            entry.leaveAt = -1; // back within the grace period: no leave, no second join
        }
        if (joined) {
            listener.presence(PresenceEvent.join(topic, user, now));
        }
    }

    @Override
    public void remove(String topic, String user, String session, LeaveReason reason, long now) {
        synchronized (this) {
            Map<String, Entry> members = topics.get(topic);
            Entry entry = members == null ? null : members.get(user);
            if (entry == null || !entry.sessions.remove(session) || !entry.sessions.isEmpty()) {
                return;
            }
            if (reason != LeaveReason.UNSUBSCRIBED && grace > 0) {
                entry.leaveAt = now + grace;
                entry.leaveReason = reason;
                return;
            }
            members.remove(user);
            if (members.isEmpty()) {
                topics.remove(topic);
            }
        }
        listener.presence(PresenceEvent.leave(new Leave(topic, user, now, reason)));
    }

    @Override
    public void expire(long now) {
        List<Leave> leaves = new ArrayList<>();
        synchronized (this) {
            topics.entrySet().removeIf(t -> {
                t.getValue().entrySet().removeIf(e -> {
                    Entry entry = e.getValue();
                    if (entry.sessions.isEmpty() && entry.leaveAt >= 0 && now >= entry.leaveAt) {
                        leaves.add(new Leave(t.getKey(), e.getKey(), now, entry.leaveReason));
                        return true;
                    }
                    return false;
                });
                return t.getValue().isEmpty();
            });
        }
        leaves.forEach(l -> listener.presence(PresenceEvent.leave(l)));
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
    public synchronized boolean listed(String topic) {
        return topics.containsKey(topic);
    }
}
