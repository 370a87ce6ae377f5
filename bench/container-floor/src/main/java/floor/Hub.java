package floor;

import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.BeforeDestroyed;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import jakarta.websocket.CloseReason;
import jakarta.websocket.SendHandler;
import jakarta.websocket.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Everything the floor server holds: open sessions, topics and the heartbeat, the same job as
 * bench/peer/ws-server.mjs, written as plainly as the Jakarta WebSocket API allows. Every send is asynchronous
 * and fire-and-forget; there is no queue, no limit and no history.
 */
@ApplicationScoped
public class Hub {

    static final long INTERVAL = setting("PULSE_HEARTBEAT_INTERVAL", 1000);
    static final long TIMEOUT = setting("PULSE_HEARTBEAT_TIMEOUT", 2000);
    private static final SendHandler IGNORED = result -> { };
    /** Found once: every {@code Json.createX} call looks the provider up again with a ServiceLoader scan. */
    static final JsonProvider JSON = JsonProvider.provider();

    /** One open session: when something last came from it, and its first Ping unanswered since (0: none). */
    static final class Peer {
        final Session session;
        final Set<String> topics = ConcurrentHashMap.newKeySet();
        volatile long lastSeen = System.currentTimeMillis();
        volatile long pingedAt;

        Peer(Session session) {
            this.session = session;
        }

        void alive() {
            lastSeen = System.currentTimeMillis();
            pingedAt = 0;
        }
    }

    record Topic(String epoch, AtomicLong seq, Set<Peer> subscribers) {
    }

    final Map<String, Peer> sessions = new ConcurrentHashMap<>();
    private final Map<String, Topic> topics = new ConcurrentHashMap<>();
    final LongAdder opened = new LongAdder();
    final LongAdder evictions = new LongAdder();
    final AtomicLong ticks = new AtomicLong();
    final AtomicLong ticksSkipped = new AtomicLong();
    volatile long lastTickAt;
    volatile long lastTickMillis;
    volatile long maxTickMillis;
    private final long[] lates = new long[3];
    private long expected;
    private volatile boolean stopped;
    private volatile ScheduledFuture<?> timer;

    @Resource
    ManagedScheduledExecutorService scheduler;

    void start(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        expected = System.currentTimeMillis() + INTERVAL;
        timer = scheduler.schedule(this::tick, INTERVAL, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes @BeforeDestroyed(ApplicationScoped.class) Object ignored) {
        stopped = true;
        if (timer != null) {
            timer.cancel(false);
        }
    }

    Peer open(Session session) {
        session.setMaxIdleTimeout(-1); // Tyrus (Payara 7) schedules no idle task per frame for a negative timeout
        Peer peer = new Peer(session);
        sessions.put(session.getId(), peer);
        opened.increment();
        send(peer, JSON.createObjectBuilder().add("type", "welcome").add("session", UUID.randomUUID().toString())
                .add("user", JsonValue.NULL)
                .add("heartbeat", JSON.createObjectBuilder().add("interval", INTERVAL).add("timeout", TIMEOUT))
                .add("time", System.currentTimeMillis()).build().toString());
        return peer;
    }

    void drop(Session session) {
        Peer peer = sessions.remove(session.getId());
        if (peer != null) {
            for (String name : peer.topics) {
                Topic topic = topics.get(name);
                if (topic != null) {
                    topic.subscribers().remove(peer);
                }
            }
        }
    }

    void subscribe(Peer peer, String name) {
        Topic topic = topic(name);
        topic.subscribers().add(peer);
        peer.topics.add(name);
        send(peer, JSON.createObjectBuilder().add("type", "subscribed").add("topic", name)
                .add("epoch", topic.epoch()).add("seq", topic.seq().get()).build().toString());
    }

    /** Numbers the message, encodes it once and hands the same text to every subscriber's async send. */
    long publish(String name, JsonValue data) {
        Topic topic = topic(name);
        long seq;
        String frame;
        synchronized (topic) { // seq order is send order
            seq = topic.seq().incrementAndGet();
            frame = JSON.createObjectBuilder().add("type", "message").add("topic", name).add("seq", seq)
                    .add("epoch", topic.epoch()).add("time", System.currentTimeMillis()).add("data", data).build()
                    .toString();
            ClassLoader app = jdkContext();
            try {
                for (Peer peer : topic.subscribers()) {
                    peer.session.getAsyncRemote().sendText(frame, IGNORED);
                }
            } finally {
                Thread.currentThread().setContextClassLoader(app);
            }
        }
        return seq;
    }

    private Topic topic(String name) {
        return topics.computeIfAbsent(name, n -> new Topic(UUID.randomUUID().toString().substring(0, 13),
                new AtomicLong(), ConcurrentHashMap.newKeySet()));
    }

    private void send(Peer peer, String text) {
        ClassLoader app = jdkContext();
        try {
            peer.session.getAsyncRemote().sendText(text, IGNORED);
        } finally {
            Thread.currentThread().setContextClassLoader(app);
        }
    }

    /**
     * Pings every session; closes with 4000 one whose first unanswered Ping is a timeout old: ws-server.mjs's rule.
     * Ticks on a fixed schedule; one that overran the next start skips it, as the reference and Pulse do.
     */
    void tick() {
        long now = System.currentTimeMillis();
        synchronized (lates) {
            lates[(int) (ticks.get() % lates.length)] = Math.max(0, now - expected);
        }
        ticks.incrementAndGet();
        lastTickAt = now;
        ByteBuffer payload = ByteBuffer.allocate(8).putLong(0, System.nanoTime());
        ClassLoader app = jdkContext();
        try {
            for (Peer peer : sessions.values()) {
                long pinged = peer.pingedAt;
                if (pinged != 0 && now - pinged >= TIMEOUT - INTERVAL / 2 && now - peer.lastSeen >= TIMEOUT) {
                    evictions.increment();
                    drop(peer.session);
                    close(peer.session);
                    continue;
                }
                try {
                    peer.session.getAsyncRemote().sendPing(payload.duplicate());
                } catch (IOException | RuntimeException e) {
                    continue; // closing: its @OnClose drops it
                }
                if (pinged == 0) {
                    peer.pingedAt = now;
                }
            }
        } finally {
            Thread.currentThread().setContextClassLoader(app);
            long end = System.currentTimeMillis();
            lastTickMillis = end - now;
            maxTickMillis = Math.max(maxTickMillis, end - now);
            expected += INTERVAL;
            while (expected <= end) {
                expected += INTERVAL;
                ticksSkipped.incrementAndGet();
            }
            if (!stopped) {
                timer = scheduler.schedule(this::tick, expected - end, TimeUnit.MILLISECONDS);
            }
        }
    }

    long lagMillis() {
        synchronized (lates) {
            return Math.max(lates[0], Math.max(lates[1], lates[2]));
        }
    }

    private static void close(Session session) {
        try {
            session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(4000), "heartbeat timeout"));
        } catch (IOException | RuntimeException e) {
            // already closing
        }
    }

    /** Payara scans the context class loader's jars for every task Tyrus schedules: the JDK's loader makes it short. */
    private static ClassLoader jdkContext() {
        ClassLoader app = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(ClassLoader.getPlatformClassLoader());
        return app;
    }

    private static long setting(String name, long fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : Long.parseLong(value.trim());
    }

    JsonObject stats() {
        return JSON.createObjectBuilder().add("node", "container-floor").add("connections", sessions.size())
                .add("opened", opened.sum()).add("evictions", JSON.createObjectBuilder().add("heartbeat", evictions.sum()))
                .add("heartbeat", JSON.createObjectBuilder().add("interval", INTERVAL).add("timeout", TIMEOUT)
                        .add("ticks", ticks.get()).add("ticksSkipped", ticksSkipped.get()).add("lastTickAt", lastTickAt)
                        .add("lastTickMillis", lastTickMillis).add("maxTickMillis", maxTickMillis))
                .add("lag", JSON.createObjectBuilder().add("ms", lagMillis()))
                .add("time", System.currentTimeMillis()).build();
    }
}
