package dev.pulse.topic.control;

import dev.pulse.protocol.Wire;
import dev.pulse.topic.entity.Gap;
import dev.pulse.topic.entity.Replay;
import dev.pulse.topic.entity.TopicMessage;
import jakarta.json.JsonValue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * History in this node's memory: per topic a ring of at most {@code pulse.history.size} messages younger than
 * {@code pulse.history.ttl}. Every topic gets a fresh random epoch when it is created, so a restart or a dropped
 * and recreated topic is recognised as a reset by resuming clients.
 */
public final class InMemoryHistory implements History {

    private final Map<String, Log> logs = new ConcurrentHashMap<>();
    private final IntSupplier size;
    private final LongSupplier ttl;

    /** Suppliers, so that settings applied at startup take effect. */
    public InMemoryHistory(IntSupplier size, LongSupplier ttl) {
        this.size = size;
        this.ttl = ttl;
    }

    private static final class Log {
        final String epoch = UUID.randomUUID().toString().substring(0, 13);
        final ArrayDeque<TopicMessage> retained = new ArrayDeque<>();
        long lastSeq;
    }

    @Override
    public TopicMessage append(String topic, JsonValue data, long now) {
        Log log = logs.computeIfAbsent(topic, t -> new Log());
        synchronized (log) {
            long seq = log.lastSeq + 1;
            String wire = Wire.message(topic, seq, log.epoch, now, data);
            TopicMessage message = new TopicMessage(topic, seq, log.epoch, now, wire);
            log.lastSeq = seq;
            log.retained.addLast(message);
            prune(log, now);
            return message;
        }
    }

    @Override
    public Replay since(String topic, Long since, String epoch, long now) {
        Log log = logs.computeIfAbsent(topic, t -> new Log());
        synchronized (log) {
            prune(log, now);
            if (since == null) {
                return new Replay(log.epoch, log.lastSeq, null, List.of());
            }
            boolean sameEpoch = epoch == null || epoch.equals(log.epoch);
            if (!sameEpoch || since > log.lastSeq) {
                return new Replay(log.epoch, log.lastSeq, Gap.reset(), new ArrayList<>(log.retained));
            }
            long oldest = log.retained.isEmpty() ? log.lastSeq + 1 : log.retained.peekFirst().seq();
            Gap gap = since + 1 < oldest ? Gap.expired(since + 1, oldest - 1) : null;
            List<TopicMessage> after = new ArrayList<>();
            for (TopicMessage m : log.retained) {
                if (m.seq() > since) {
                    after.add(m);
                }
            }
            return new Replay(log.epoch, log.lastSeq, gap, after);
        }
    }

    @Override
    public boolean empty(String topic, long now) {
        Log log = logs.get(topic);
        if (log == null) {
            return true;
        }
        synchronized (log) {
            prune(log, now);
            return log.retained.isEmpty();
        }
    }

    @Override
    public void drop(String topic) {
        logs.remove(topic);
    }

    @Override
    public int size() {
        return logs.size();
    }

    private void prune(Log log, long now) {
        int max = size.getAsInt();
        long oldestKept = now - ttl.getAsLong();
        while (!log.retained.isEmpty()
                && (log.retained.size() > max || log.retained.peekFirst().time() < oldestKept)) {
            log.retained.pollFirst();
        }
    }
}
