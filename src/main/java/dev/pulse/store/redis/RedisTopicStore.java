package dev.pulse.store.redis;

import dev.pulse.topic.control.TopicStore;
import dev.pulse.topic.entity.Gap;
import dev.pulse.topic.entity.Replay;
import dev.pulse.topic.entity.Sequenced;
import io.lettuce.core.ScriptOutputType;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Topics in Redis: per topic a meta hash (epoch, last seq) that outlives a stream of the retained messages
 * (entry id = seq). Publishing is one script that sequences, appends and announces atomically; every node
 * answers the same epoch because the first node to need one creates it in the store.
 */
final class RedisTopicStore implements TopicStore {

    /** The meta hash lives on long after the last message, so an epoch changes only when the data is gone. */
    static final long META_TTL_MILLIS = 7L * 24 * 3600 * 1000;

    private final RedisLink link;
    private final int size;
    private final long ttl;
    private final Script publish = Script.load("publish", ScriptOutputType.MULTI);
    private final Script since = Script.load("since", ScriptOutputType.MULTI);
    private final Script lostTail = Script.load("lost-tail", ScriptOutputType.INTEGER);

    RedisTopicStore(RedisLink link, int size, long ttl) {
        this.link = link;
        this.size = size;
        this.ttl = ttl;
    }

    @Override
    public Sequenced append(String topic, String data, long now) {
        long deadline = now + RedisLink.COMMAND_TIMEOUT.toMillis() - 500; // run later than that: refused, not late
        List<Object> result = link.call(r -> publish.run(r, Keys.topic(topic), topic, data, String.valueOf(now),
                String.valueOf(Math.max(1, size)), String.valueOf(ttl), String.valueOf(deadline), newEpoch(),
                String.valueOf(Math.max(META_TTL_MILLIS, ttl)), Keys.CHANNEL));
        return new Sequenced(topic, (Long) result.get(1), (String) result.get(0), now, data);
    }

    @Override
    @SuppressWarnings("unchecked")
    public Replay since(String topic, Long after, String epoch, long now) {
        List<Object> result = link.call(r -> since.run(r, Keys.topic(topic), String.valueOf(after == null ? -1 : after),
                epoch == null ? "" : epoch, newEpoch(), String.valueOf(Math.max(META_TTL_MILLIS, ttl))));
        String current = (String) result.get(0);
        long last = (Long) result.get(1);
        if (after == null) {
            return new Replay(current, last, null, List.of());
        }
        boolean reset = (Long) result.get(2) == 1;
        List<Sequenced> retained = new ArrayList<>();
        for (Object entry : (List<Object>) result.get(3)) {
            Sequenced message = entry(topic, current, (List<Object>) entry);
            if (message != null && message.time() >= now - ttl) {
                retained.add(message);
            }
        }
        if (retained.size() > size) { // XADD's MAXLEN ~ trims whole stream nodes only: keeps more than the size
            retained = new ArrayList<>(retained.subList(retained.size() - size, retained.size()));
        }
        if (reset) {
            return new Replay(current, last, Gap.reset(), retained);
        }
        long oldest = retained.isEmpty() ? last + 1 : retained.get(0).seq();
        Gap gap = after + 1 < oldest ? Gap.expired(after + 1, oldest - 1) : null;
        return new Replay(current, last, gap, retained);
    }

    @Override
    public void lostTail(String topic, String epoch, long lastSeen) {
        link.call(r -> lostTail.run(r, Keys.topic(topic), epoch, String.valueOf(lastSeen), newEpoch()));
    }

    @Override
    public boolean local() {
        return false;
    }

    /** A stream entry {@code [id, [t, time, d, data]]}, or null if it is not one of ours. */
    @SuppressWarnings("unchecked")
    private static Sequenced entry(String topic, String epoch, List<Object> entry) {
        String id = (String) entry.get(0);
        List<Object> fields = (List<Object>) entry.get(1);
        String time = null;
        String data = null;
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            if ("t".equals(fields.get(i))) {
                time = (String) fields.get(i + 1);
            } else if ("d".equals(fields.get(i))) {
                data = (String) fields.get(i + 1);
            }
        }
        if (time == null || data == null) {
            return null;
        }
        return new Sequenced(topic, Long.parseLong(id.substring(0, id.indexOf('-'))), epoch, Long.parseLong(time), data);
    }

    private static String newEpoch() {
        return UUID.randomUUID().toString().substring(0, 13);
    }
}
