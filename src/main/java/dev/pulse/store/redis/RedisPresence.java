package dev.pulse.store.redis;

import dev.pulse.presence.control.Presence;
import dev.pulse.presence.entity.LeaveReason;
import dev.pulse.presence.entity.Member;
import io.lettuce.core.Range;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.ZAddArgs;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Presence in Redis, one user listed once however many sessions on however many nodes. Joins and leaves are
 * published by the scripts that make them, so every node hears each exactly once (the grace period ends on
 * whichever node gets there first; the script decides atomically).
 */
final class RedisPresence implements Presence {

    /** How long a node that claimed a topic's due leaves has to announce them before another node may. */
    static final long CLAIM_LEASE_MILLIS = 5000;

    private final RedisLink link;
    private final String node;
    private final long grace;
    private final Script add = Script.load("presence-add", ScriptOutputType.INTEGER);
    private final Script remove = Script.load("presence-remove", ScriptOutputType.INTEGER);
    private final Script expire = Script.load("presence-expire", ScriptOutputType.INTEGER);
    private final Script nodeGone = Script.load("presence-node-gone", ScriptOutputType.INTEGER);
    private final Script members = Script.load("presence-members", ScriptOutputType.MULTI);
    private final Script claim = Script.load("leaving-claim", ScriptOutputType.INTEGER);
    private final Script release = Script.load("leaving-release", ScriptOutputType.INTEGER);

    RedisPresence(RedisLink link, String node, long grace) {
        this.link = link;
        this.node = node;
        this.grace = grace;
    }

    @Override
    public void add(String topic, String user, String session, long now) {
        link.call(r -> {
            r.sadd(Keys.nodeTopics(node), topic);
            return add.run(r, Keys.presence(topic), topic, user, node, session, String.valueOf(now), Keys.CHANNEL);
        });
    }

    @Override
    public void remove(String topic, String user, String session, LeaveReason reason, long now) {
        long leaveAt = reason == LeaveReason.UNSUBSCRIBED || grace == 0 ? 0 : now + grace;
        Long result = link.call(r -> remove.run(r, Keys.presence(topic), topic, user, node, session,
                String.valueOf(now), Keys.CHANNEL, reason.wire(), String.valueOf(leaveAt)));
        if (result != null && result > 0) {
            schedule(topic, result);
        }
    }

    /** Ends the grace periods that are over, in every topic, whichever node's users they were. */
    @Override
    public void expire(long now) {
        List<String> due = link.call(r -> r.zrangebyscore(Keys.LEAVING, Range.create(Double.NEGATIVE_INFINITY, now)));
        for (String topic : due) {
            long lease = now + CLAIM_LEASE_MILLIS;
            String[] leaving = {Keys.LEAVING};
            Long claimed = link.call(r -> claim.run(r, leaving, topic, String.valueOf(now), String.valueOf(lease)));
            if (claimed == null || claimed == 0) {
                continue; // another node has it
            }
            Long next = link.call(r -> expire.run(r, Keys.presence(topic), topic, String.valueOf(now), Keys.CHANNEL));
            if (next != null && next >= 0) {
                schedule(topic, next);
            } else {
                link.call(r -> release.run(r, leaving, topic, String.valueOf(lease)));
            }
        }
    }

    /** A dead node's sessions go; its users leave as evicted at {@code leaveAt} unless they have other sessions. */
    void nodeGone(String deadNode, long leaveAt) {
        List<String> topics = new ArrayList<>(link.call(r -> r.smembers(Keys.nodeTopics(deadNode))));
        for (String topic : topics) {
            Long at = link.call(r -> nodeGone.run(r, Keys.presence(topic), deadNode, topic, String.valueOf(leaveAt)));
            if (at != null && at >= 0) {
                schedule(topic, at);
            }
        }
        link.call(r -> r.del(Keys.nodeTopics(deadNode)));
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<Member> members(String topic) {
        List<Object> result = link.call(r -> members.run(r, Keys.presence(topic)));
        List<Object> since = (List<Object>) result.get(0);
        List<Object> counts = (List<Object>) result.get(1);
        Map<String, Integer> connections = new HashMap<>();
        for (int i = 0; i + 1 < counts.size(); i += 2) {
            connections.put((String) counts.get(i), Integer.parseInt((String) counts.get(i + 1)));
        }
        List<Member> list = new ArrayList<>();
        for (int i = 0; i + 1 < since.size(); i += 2) {
            String user = (String) since.get(i);
            list.add(new Member(user, Long.parseLong((String) since.get(i + 1)),
                    Math.max(0, connections.getOrDefault(user, 0))));
        }
        list.sort(Comparator.comparingLong(Member::since).thenComparing(Member::user));
        return list;
    }

    @Override
    public boolean listed(String topic) {
        return false; // nothing of a topic is kept on this node for presence
    }

    private void schedule(String topic, long leaveAt) {
        link.call(r -> r.zadd(Keys.LEAVING, ZAddArgs.Builder.lt(), ScoredValue.just((double) leaveAt, topic)));
    }
}
