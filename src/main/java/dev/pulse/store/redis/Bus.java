package dev.pulse.store.redis;

import dev.pulse.monitoring.control.StoreStats;
import dev.pulse.presence.control.PresenceListener;
import dev.pulse.presence.entity.LeaveReason;
import dev.pulse.presence.entity.PresenceEvent;
import dev.pulse.topic.control.Topics;
import dev.pulse.topic.entity.Sequenced;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * This node's one subscription: decodes each announcement once ({@code m|topic|seq|epoch|time|data},
 * {@code j|topic|user|time}, {@code l|topic|user|time|reason}, {@code p|node|n}) and hands it to the topic's
 * lane, never doing the work on Redis's event loop.
 */
final class Bus extends RedisPubSubAdapter<String, String> {

    private final String node;
    private final SerialLanes lanes;
    private final PresenceListener presence;
    private final StoreStats stats;
    private final LongSupplier clock;
    private final LongConsumer probeBack;
    private final Runnable subscribed;
    private volatile Topics topics;

    Bus(String node, SerialLanes lanes, PresenceListener presence, StoreStats stats, LongSupplier clock,
            LongConsumer probeBack, Runnable subscribed) {
        this.node = node;
        this.lanes = lanes;
        this.presence = presence;
        this.stats = stats;
        this.clock = clock;
        this.probeBack = probeBack;
        this.subscribed = subscribed;
    }

    void deliverTo(Topics target) {
        this.topics = target;
    }

    @Override
    public void subscribed(String channel, long count) {
        subscribed.run(); // also after Lettuce resubscribed by itself: what was missed meanwhile is read back
    }

    @Override
    public void message(String channel, String text) {
        if (text.length() < 2 || text.charAt(1) != '|') {
            return;
        }
        switch (text.charAt(0)) {
            case 'm' -> message(text);
            case 'j', 'l' -> presence(text);
            case 'p' -> probe(text);
            default -> {
            }
        }
    }

    private void message(String text) {
        String[] head = text.split("\\|", 6);
        if (head.length < 6) {
            return;
        }
        Sequenced message = new Sequenced(head[1], Long.parseLong(head[2]), head[3], Long.parseLong(head[4]), head[5]);
        long now = clock.getAsLong();
        stats.lag.record(Math.max(0, now - message.time()) * 1_000_000, now);
        Topics target = topics;
        if (target != null) {
            lanes.execute(message.topic(), () -> target.arrived(message));
        }
    }

    private void presence(String text) {
        String[] parts = text.split("\\|", 5);
        if (parts.length < 4) {
            return;
        }
        PresenceEvent event = parts[0].equals("j")
                ? PresenceEvent.join(parts[1], parts[2], Long.parseLong(parts[3]))
                : new PresenceEvent(parts[1], parts[2], Long.parseLong(parts[3]), false,
                        LeaveReason.fromWire(parts.length > 4 ? parts[4] : null));
        lanes.execute(event.topic(), () -> presence.presence(event));
    }

    private void probe(String text) {
        String[] parts = text.split("\\|", 3);
        if (parts.length == 3 && parts[1].equals(node)) {
            probeBack.accept(Long.parseLong(parts[2]));
        }
    }
}
