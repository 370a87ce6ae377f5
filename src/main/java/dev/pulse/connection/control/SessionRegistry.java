package dev.pulse.connection.control;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.entity.Connection;
import dev.pulse.connection.entity.EvictionReason;
import dev.pulse.connection.entity.Liveness;
import dev.pulse.connection.entity.Outbox;
import dev.pulse.connection.entity.Peer;
import dev.pulse.connection.entity.RateLimiter;
import dev.pulse.monitoring.control.Stats;
import dev.pulse.protocol.ErrorCode;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Every open session of this node, shared by the endpoint, the heartbeat timer and the REST resources; one
 * instance per application, built by the composition root.
 */
public final class SessionRegistry {

    private static final Logger LOG = System.getLogger(SessionRegistry.class.getName());
    /** The close code a container reports for a connection that ended without a close frame. */
    private static final int ABNORMAL = 1006;
    /** The key of /api/stats {@code disconnects} for sessions whose peer went without a closing handshake. */
    public static final String ABRUPT = "abrupt";

    private final Clock clock;
    private final Stats stats;
    private final Map<String, Connection> open = new ConcurrentHashMap<>();
    private final Lingering lingering = new Lingering();
    private final AddressLimits addresses;
    private final List<SessionListener> listeners = new CopyOnWriteArrayList<>();
    private final PulseSettings settings;

    public SessionRegistry(PulseSettings settings, Clock clock, Stats stats, AddressLimits addresses) {
        this.addresses = addresses;
        this.settings = settings;
        this.clock = clock;
        this.stats = stats;
    }

    public void listen(SessionListener listener) {
        listeners.add(listener);
    }

    /**
     * Registers a new session; its first Ping is spread at random over the first interval. Null when its address
     * already has {@code pulse.limits.per-address} sessions open: the handshake's check is not atomic with this,
     * so handshakes racing each other end here.
     */
    public Connection open(Peer peer, String user, String remote) {
        return open(peer, user, remote, clock.millis());
    }

    /** Registers a new session that the node took at {@code openedAt} (epoch ms: when it was admitted). */
    public Connection open(Peer peer, String user, String remote, long openedAt) {
        PulseSettings s = settings;
        if (remote != null && !addresses.admit(remote, s.guard().perAddress())) {
            return null;
        }
        long interval = s.heartbeatInterval() * 1_000_000;
        Liveness liveness = new Liveness(clock.nanos(), ThreadLocalRandom.current().nextLong(interval));
        Connection connection = new Connection(SessionIds.next(), peer, user, remote, openedAt, liveness);
        connection.attach(new Outbox(peer, s.maxQueuedMessages(), s.maxQueuedBytes(),
                failure -> failed(connection, failure)));
        connection.limit(new RateLimiter(s.guard().messagesPerSecond(), clock.nanos()));
        open.put(connection.id(), connection);
        stats.opened.increment();
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

    /** Queues a text frame; a session that cannot keep up is dropped rather than allowed to grow without bound. */
    public boolean send(Connection connection, String text) {
        long limit = settings.maxQueuedBytes();
        connection.offer(text.length());
        long unread = connection.unreadCounted();
        if (unread > limit / 2 && unread <= limit && connection.probe(clock.nanos())) {
            stats.probesSent.increment();
        }
        return queue(connection, text, unread <= limit);
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
        return queue(connection, text, true);
    }

    private boolean queue(Connection connection, String text, boolean fits) {
        if (fits && connection.outbox().offer(text)) {
            return true;
        }
        if (open.containsKey(connection.id())) {
            drop(connection, EvictionReason.QUEUE, null);
        }
        return false;
    }

    /**
     * The container reported the session closed: forget it everywhere. {@code code} 1006 (no close frame: the
     * peer's TCP connection ended or was reset) counts as an abrupt disconnect, unless the server had closed it.
     */
    public void closed(Connection connection, int code) {
        boolean wasOpen = open.remove(connection.id()) != null;
        connection.outbox().close();
        if (wasOpen) { // else the server removed it and announces it itself
            if (code == ABNORMAL) {
                gone(connection, "ended without a close frame (1006)");
            }
            announceGone(connection, false);
        }
    }

    /**
     * A send or a Ping to the session failed. A peer that is gone ({@link PeerGone}) is an abrupt disconnect;
     * anything else is the server's own failure: dropped with 1011, counted in evictions and logged at WARNING.
     */
    public void failed(Connection connection, Throwable failure) {
        if (!PeerGone.after(connection, failure)) {
            drop(connection, EvictionReason.ERROR, failure);
        } else if (open.remove(connection.id()) != null) {
            gone(connection, failure.toString());
            closeQuietly(connection, EvictionReason.ERROR.code(), "connection lost");
            announceGone(connection, false);
        }
    }

    /** Counted, and logged at FINE only: peers vanish all the time. One the server had closed itself is not counted. */
    private void gone(Connection connection, String how) {
        if (connection.peer().closedWith() == 0) {
            stats.disconnected(ABRUPT);
        }
        LOG.log(Level.DEBUG, () -> "Session " + connection.id() + " (" + connection.remote() + ") is gone: " + how);
    }

    /**
     * Drops a session: out of the registry at once, then closed with the reason's code. The close may never
     * complete for a peer that stopped reading; such sockets are tracked as lingering until they go.
     */
    public void drop(Connection connection, EvictionReason reason, Throwable cause) {
        drop(connection, reason, cause, c -> closeQuietly(c, reason.code(), reason.reason()));
    }

    /**
     * As {@link #drop(Connection, EvictionReason, Throwable)}, closed by {@code close} (e.g. a session whose open
     * failed, closed a little after its open callback as refused ones are). A server error is logged with its
     * stack trace: it is a bug.
     */
    public void drop(Connection connection, EvictionReason reason, Throwable cause, Consumer<Connection> close) {
        if (open.remove(connection.id()) == null) {
            return;
        }
        stats.evicted(reason.key());
        long idleMillis = (clock.nanos() - connection.liveness().lastSeen()) / 1_000_000;
        String message = "Dropped session " + connection.id() + " (user " + connection.user() + ", "
                + connection.remote() + "): " + reason.reason() + ", last frame " + idleMillis + " ms ago"
                + (cause == null ? "" : ", " + cause);
        if (reason == EvictionReason.ERROR) {
            LOG.log(Level.WARNING, message, cause);
        } else {
            LOG.log(Level.INFO, message);
        }
        connection.outbox().close();
        close.accept(connection);
        announceGone(connection, true);
    }

    /** Housekeeping on every heartbeat tick: forgets long-lingering sessions. */
    public void sweep() {
        lingering.forgetOld(clock.millis());
    }

    /** Sessions dropped in the last 15 minutes whose sockets may still be open behind unread output. */
    public int lingering() {
        return lingering.count();
    }

    /**
     * Takes a session out of the registry and closes it with {@code close}; false if it was gone. The listeners
     * hear of it from {@link #closedByServer}, so that a shutdown closes every session before any cleanup runs.
     */
    public boolean remove(Connection connection, Consumer<Connection> close) {
        if (open.remove(connection.id()) == null) {
            return false;
        }
        close.accept(connection);
        return true;
    }

    /** Tells the listeners that a session {@link #remove}d here is gone. */
    public void closedByServer(Connection connection) {
        announceGone(connection, false);
    }

    private void announceGone(Connection connection, boolean evicted) {
        if (!connection.markGone()) {
            return;
        }
        if (connection.remote() != null) {
            addresses.release(connection.remote());
        }
        for (SessionListener listener : listeners) {
            try {
                listener.gone(connection, evicted);
            } catch (RuntimeException | LinkageError e) { // at undeploy, classes may no longer load
                stats.error(ErrorCode.INTERNAL.wire());
                LOG.log(Level.WARNING, "Cleanup of session " + connection.id() + " failed", e);
            }
        }
    }

    /** Closes with a code, never throwing; the close of a peer behind unread output is tracked as lingering. */
    void closeQuietly(Connection connection, int code, String reason) {
        lingering.closing(connection, clock.millis());
        connection.outbox().close();
        try {
            connection.peer().close(code, reason);
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, () -> "Close of " + connection.id() + " failed: " + e);
        }
    }
}
