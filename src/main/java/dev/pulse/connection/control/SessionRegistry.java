package dev.pulse.connection.control;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.entity.Connection;
import dev.pulse.connection.entity.EvictionReason;
import dev.pulse.connection.entity.Liveness;
import dev.pulse.connection.entity.Outbox;
import dev.pulse.connection.entity.Peer;
import dev.pulse.connection.entity.RateLimiter;
import dev.pulse.monitoring.control.Stats;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Every open session of this node, shared by the endpoint, the heartbeat timer and the REST resources; one
 * instance per application, built by the composition root.
 */
public final class SessionRegistry {

    private static final Logger LOG = System.getLogger(SessionRegistry.class.getName());
    /** Unread output beyond which a close frame is stuck behind data the peer does not read. */
    static final long LINGER_UNREAD_CHARS = 64 * 1024;
    /** How long a session dropped behind unread output counts as lingering. */
    static final long FORGET_LINGERING_MILLIS = 15 * 60_000;

    private final Clock clock;
    private final Stats stats;
    private final ErrorLog errorLog;
    private final Map<String, Connection> open = new ConcurrentHashMap<>();
    /** Sessions dropped behind unread output (their sockets may stay open), with the epoch ms of the drop. */
    private final Map<Connection, Long> lingering = new ConcurrentHashMap<>();
    /** Open sessions per client address, for pulse.limits.per-address. */
    private final Map<String, java.util.concurrent.atomic.AtomicInteger> perAddress = new ConcurrentHashMap<>();
    /** Handshakes refused right after the upgrade (4001), closed again on each tick while still open. */
    private final Map<Peer, String[]> refused = new ConcurrentHashMap<>();
    /** Where the first close of a refused handshake runs; at once unless the container's threads are given. */
    private volatile Executor refusalCloser = Runnable::run;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final PulseSettings settings;
    private volatile boolean shuttingDown;
    private volatile boolean restarting;

    /** What other features need to hear about sessions: when one is gone, and every heartbeat tick. */
    public interface Listener {

        /** Called once per session, when it closed ({@code evicted} false) or the server dropped it. */
        default void gone(Connection connection, boolean evicted) {
        }

    }

    public SessionRegistry(PulseSettings settings, Clock clock, Stats stats, ErrorLog errorLog) {
        this.settings = settings;
        this.clock = clock;
        this.stats = stats;
        this.errorLog = errorLog;
    }

    public void listen(Listener listener) {
        listeners.add(listener);
    }

    public Clock clock() {
        return clock;
    }

    public Stats stats() {
        return stats;
    }

    /** Counts client errors and logs them without flooding; one per registry so the flood limit is global. */
    public ErrorLog errors() {
        return errorLog;
    }

    public PulseSettings settings() {
        return settings;
    }

    public boolean shuttingDown() {
        return shuttingDown;
    }

    /**
     * Registers a new session; its first Ping is spread at random over the first interval. Null when its address
     * already has {@code pulse.limits.per-address} sessions open: the handshake's check is not atomic with this,
     * so handshakes racing each other end here.
     */
    public Connection open(Peer peer, String user, String remote) {
        PulseSettings s = settings;
        if (remote != null && !countIn(address(remote), s.guard().perAddress())) {
            return null;
        }
        long interval = s.heartbeatInterval() * 1_000_000;
        Liveness liveness = new Liveness(clock.nanos(), ThreadLocalRandom.current().nextLong(interval));
        Connection connection = new Connection(UUID.randomUUID().toString(), peer, user, remote, clock.millis(),
                liveness);
        connection.attach(new Outbox(peer, s.maxQueuedMessages(), s.maxQueuedBytes(),
                failure -> drop(connection, EvictionReason.ERROR, failure)));
        connection.limit(new RateLimiter(s.guard().messagesPerSecond(), clock.nanos()));
        open.put(connection.id(), connection);
        stats.opened.increment();
        if (shuttingDown && open.remove(connection.id()) != null) {
            closeForShutdown(connection);
            announceGone(connection, false);
        }
        return connection;
    }

    public Optional<Connection> find(String id) {
        return Optional.ofNullable(open.get(id));
    }

    public Collection<Connection> connections() {
        return open.values();
    }

    public int size() {
        return open.size();
    }

    /** Records that a frame arrived: any frame proves the peer alive. */
    public void seen(Connection connection) {
        connection.seen(clock.nanos(), clock.millis());
    }

    /** Records a Pong: alive, and its round-trip time if the payload is one of our Pings. */
    public void pong(Connection connection, ByteBuffer payload) {
        long now = clock.nanos();
        connection.seen(now, clock.millis());
        stats.pongsReceived.increment();
        long read = Connection.pingOffered(payload);
        if (read >= 0) {
            connection.acknowledge(read);
        }
        long sentAt = Connection.pingTime(payload);
        if (sentAt >= 0 && now - sentAt >= 0 && now - sentAt < 3_600_000_000_000L) {
            connection.rtt(now - sentAt);
            stats.rtt.record(now - sentAt, clock.millis());
        }
    }

    /** Queues a text frame; a session that cannot keep up is dropped rather than allowed to grow without bound. */
    public boolean send(Connection connection, String text) {
        long limit = settings.maxQueuedBytes();
        connection.offer(text.length());
        long unread = connection.unreadCounted();
        if (unread > limit / 2 && unread <= limit && connection.probe(clock.nanos())) {
            stats.probesSent.increment();
        }
        if (unread <= limit && connection.outbox().offer(text)) {
            return true;
        }
        if (open.containsKey(connection.id())) {
            drop(connection, EvictionReason.QUEUE, null);
        }
        return false;
    }

    /**
     * Queues replayed history for a resuming session: bounded by the history size, so it does not count against
     * the unread limit until the peer had a round trip to acknowledge it (a probe Ping asks at once).
     */
    public boolean sendReplay(Connection connection, String text) {
        if (connection.offerExempt(text.length()) > settings.maxQueuedBytes() / 2
                && connection.probe(clock.nanos())) {
            stats.probesSent.increment();
        }
        if (connection.outbox().offer(text)) {
            return true;
        }
        if (open.containsKey(connection.id())) {
            drop(connection, EvictionReason.QUEUE, null);
        }
        return false;
    }

    /** The container reported the session closed: forget it everywhere. */
    public void closed(Connection connection) {
        boolean wasOpen = open.remove(connection.id()) != null;
        connection.outbox().close();
        if (wasOpen) { // else drop() removed it and announces it as evicted itself
            announceGone(connection, false);
        }
    }

    /**
     * Drops a session: out of the registry at once, then closed with the reason's code. The close may never
     * complete for a peer that stopped reading; such sockets are tracked as lingering until they go.
     */
    public void drop(Connection connection, EvictionReason reason, Throwable cause) {
        if (open.remove(connection.id()) == null) {
            return;
        }
        stats.evicted(reason.key());
        long idleMillis = (clock.nanos() - connection.liveness().lastSeen()) / 1_000_000;
        LOG.log(reason == EvictionReason.ERROR ? Level.WARNING : Level.INFO,
                () -> "Dropped session " + connection.id() + " (user " + connection.user() + ", " + connection.remote()
                        + "): " + reason.reason() + ", last frame " + idleMillis + " ms ago"
                        + (cause == null ? "" : ", " + cause));
        closeQuietly(connection, reason.code(), reason.reason());
        announceGone(connection, true);
    }

    /**
     * Closes a session that must not be served (an invalid token: 4001) without registering it. The close runs
     * on {@link #closeRefusalsOn}: a close from inside the container's open callback races Payara's upgrade,
     * which then loses the close frame (seen in CI: the client read no close, or end of stream, while Payara
     * logged NPEs finishing the upgrade response). Should a close still not take, the heartbeat tick closes
     * the session again while it stays open, from a second on, for up to 10 s.
     */
    public void refuse(Peer peer, int code, String reason) {
        refused.put(peer, new String[] {String.valueOf(code), reason, String.valueOf(clock.millis())});
        try {
            refusalCloser.execute(() -> peer.close(code, reason));
        } catch (RejectedExecutionException e) {
            peer.close(code, reason);
        }
    }

    /** Runs the first close of each refused handshake there, typically a little after the open callback. */
    public void closeRefusalsOn(Executor executor) {
        this.refusalCloser = executor;
    }

    /** Housekeeping on every heartbeat tick: closes refused sessions again, forgets long-lingering ones. */
    public void sweep() {
        long now = clock.millis();
        refused.entrySet().removeIf(e -> {
            String[] r = e.getValue();
            long age = now - Long.parseLong(r[2]);
            if (!e.getKey().isOpen() || age > 10_000) {
                return true;
            }
            if (age >= 1_000) { // the first close has had its time; a second one sooner would race it
                e.getKey().close(Integer.parseInt(r[0]), r[1]);
            }
            return false;
        });
        lingering.values().removeIf(droppedAt -> now - droppedAt > FORGET_LINGERING_MILLIS);
    }

    /**
     * Sessions dropped in the last 15 minutes while more than 64 K characters sent to them were unread: their
     * close frame waits behind that data, so their TCP sockets may stay open (the portable WebSocket API cannot
     * abort a socket, and containers report such sessions closed at once) until the peer reads or the OS gives up.
     */
    public int lingering() {
        return lingering.size();
    }

    /**
     * Closes every session because the server stops: 1001, or with {@code pulse.shutdown.restart} 1012 with a
     * jittered retry-after hint so that clients do not all come back in the same instant. Idempotent.
     */
    public void shutdown() {
        closeAll(settings.shutdownRestart(), "shutting down");
    }

    /**
     * Drains this node before a restart: every session, and every one that connects from now on, is closed
     * with 1012 and a jittered retry-after, and readiness turns DOWN so a load balancer stops sending clients.
     * For servers whose container closes sessions itself before the application hears of a shutdown (WildFly).
     */
    public int drain() {
        return closeAll(true, "draining");
    }

    private int closeAll(boolean restart, String why) {
        synchronized (this) {
            if (shuttingDown) {
                return 0;
            }
            shuttingDown = true;
            restarting = restart;
        }
        int count = 0;
        for (Connection connection : open.values()) {
            if (open.remove(connection.id()) != null) {
                closeForShutdown(connection);
                announceGone(connection, false);
                count++;
            }
        }
        int closed = count;
        LOG.log(Level.INFO, () -> "Pulse " + why + ": closed " + closed + " sessions with " + (restart ? "1012" : "1001"));
        return closed;
    }

    private void closeForShutdown(Connection connection) {
        PulseSettings s = settings;
        if (restarting) {
            long jitter = s.shutdownRetryJitter() == 0 ? 0 : ThreadLocalRandom.current().nextLong(s.shutdownRetryJitter() + 1);
            closeQuietly(connection, 1012, "retry-after=" + (s.shutdownRetryAfter() + jitter));
        } else {
            closeQuietly(connection, 1001, "server shutting down");
        }
    }

    /** Counts one more session from {@code address} unless {@code limit} (0: none) are open from it already. */
    private boolean countIn(String address, int limit) {
        boolean[] counted = {false};
        perAddress.compute(address, (a, count) -> { // atomic per address, as the decrement when one goes
            var n = count == null ? new java.util.concurrent.atomic.AtomicInteger() : count;
            if (limit <= 0 || n.get() < limit) {
                n.incrementAndGet();
                counted[0] = true;
            }
            return n.get() == 0 ? null : n;
        });
        return counted[0];
    }

    /** Open sessions from one client address (without port). */
    public int connectionsFrom(String address) {
        var count = perAddress.get(address);
        return count == null ? 0 : count.get();
    }

    /** The address part of a remote: "a.b.c.d:port", "v6:port" (as servlets give it), "a.b.c.d" or "[v6]". */
    public static String address(String remote) {
        if (remote.startsWith("[")) {
            int end = remote.indexOf(']');
            return end > 0 ? remote.substring(1, end) : remote;
        }
        int colon = remote.lastIndexOf(':');
        return colon > 0 ? remote.substring(0, colon) : remote;
    }

    private void announceGone(Connection connection, boolean evicted) {
        if (!connection.markGone()) {
            return;
        }
        if (connection.remote() != null) {
            perAddress.computeIfPresent(address(connection.remote()), (a, n) -> n.decrementAndGet() <= 0 ? null : n);
        }
        for (Listener listener : listeners) {
            try {
                listener.gone(connection, evicted);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Cleanup of session " + connection.id() + " failed", e);
            }
        }
    }

    private void closeQuietly(Connection connection, int code, String reason) {
        if (connection.unacknowledged() > LINGER_UNREAD_CHARS) {
            lingering.put(connection, clock.millis());
        }
        connection.outbox().close();
        try {
            connection.peer().close(code, reason);
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, () -> "Close of " + connection.id() + " failed: " + e);
        }
    }
}
