package dev.pulse.topic.control;

import dev.pulse.topic.entity.Gap;
import dev.pulse.topic.entity.Replay;
import dev.pulse.topic.entity.Sequenced;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Topics in this node's memory: per topic a ring of at most {@code pulse.history.size} messages younger than
 * {@code pulse.history.ttl}. A topic gets a fresh random epoch when it is created, so a restart or a dropped and
 * recreated topic is recognised as a reset by resuming clients.
 */
public final class InMemoryTopicStore implements TopicStore {

    private final Map<String, Log> logs = new ConcurrentHashMap<>();
    private final int size;
    private final long ttl;

    public InMemoryTopicStore(int size, long ttl) {
        this.size = size;
        this.ttl = ttl;
    }

    private static final class Log {
        final String epoch = UUID.randomUUID().toString().substring(0, 13);
        final ArrayDeque<Sequenced> retained = new ArrayDeque<>();
        long lastSeq;
        long lastActive;
        boolean dropped;
    }

    @Override
    public Sequenced append(String topic, String data, long now) {
        for (;;) {
            Log log = logs.computeIfAbsent(topic, t -> new Log());
            synchronized (log) {
                if (log.dropped) {
                    continue;
                }
                Sequenced message = new Sequenced(topic, ++log.lastSeq, log.epoch, now, data);
                log.retained.addLast(message);
                log.lastActive = now;
                prune(log, now);
                return message;
            }
        }
    }

    @Override
    public Replay since(String topic, Long since, String epoch, long now) {
        for (;;) {
            Log log = logs.computeIfAbsent(topic, t -> new Log());
            synchronized (log) {
                if (log.dropped) {
                    continue;
                }
                log.lastActive = now;
                prune(log, now);
                return replay(log, since, epoch);
            }
        }
    }

    private static Replay replay(Log log, Long since, String epoch) {
        if (since == null) {
            return new Replay(log.epoch, log.lastSeq, null, List.of());
        }
        if (epoch != null && !epoch.equals(log.epoch) || since > log.lastSeq) {
            return new Replay(log.epoch, log.lastSeq, Gap.reset(), new ArrayList<>(log.retained));
        }
        long oldest = log.retained.isEmpty() ? log.lastSeq + 1 : log.retained.peekFirst().seq();
        Gap gap = since + 1 < oldest ? Gap.expired(since + 1, oldest - 1) : null;
        List<Sequenced> after = new ArrayList<>();
        for (Sequenced m : log.retained) {
            if (m.seq() > since) {
                after.add(m);
            }
        }
        return new Replay(log.epoch, log.lastSeq, gap, after);
    }

    @Override
    public boolean local() {
        return true;
    }

    @Override
    public void sweep(long now, long idleMillis, Predicate<String> inUse) {
        for (Map.Entry<String, Log> entry : logs.entrySet()) {
            Log log = entry.getValue();
            synchronized (log) {
                prune(log, now);
                if (log.retained.isEmpty() && now - log.lastActive >= idleMillis && !inUse.test(entry.getKey())) {
                    log.dropped = true;
                    logs.remove(entry.getKey(), log);
                }
            }
        }
    }

    /** Number of topics with state. */
    public int size() {
        return logs.size();
    }

    private void prune(Log log, long now) {
        long oldestKept = now - ttl;
        while (!log.retained.isEmpty() && (log.retained.size() > size || log.retained.peekFirst().time() < oldestKept)) {
            log.retained.pollFirst();
        }
    }
}
