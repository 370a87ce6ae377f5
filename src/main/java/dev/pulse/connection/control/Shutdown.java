package dev.pulse.connection.control;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.entity.Connection;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Closing every session when the node stops (1001) or drains before a restart (1012 with a jittered
 * retry-after, so clients do not all come back in the same instant); sessions that open meanwhile are closed
 * the same way. Readiness is DOWN from then on.
 */
public final class Shutdown {

    private static final Logger LOG = System.getLogger(Shutdown.class.getName());

    private final SessionRegistry registry;
    private final PulseSettings settings;
    private volatile boolean active;
    private volatile boolean restarting;

    public Shutdown(SessionRegistry registry, PulseSettings settings) {
        this.registry = registry;
        this.settings = settings;
    }

    public boolean active() {
        return active;
    }

    /** 1001, or with {@code pulse.shutdown.restart} 1012 with a jittered retry-after. Idempotent. */
    public void shutdown() {
        closeAll(settings.shutdownRestart(), "shutting down");
    }

    /**
     * Drains this node before a restart: every session, and every one that connects from now on, is closed with
     * 1012. For servers whose container closes sessions itself before the application hears of a shutdown.
     */
    public int drain() {
        return closeAll(true, "draining");
    }

    /** A session that opened while the node was already stopping: closed like the others. */
    public void opened(Connection connection) {
        if (active && registry.remove(connection, this::close)) {
            registry.closedByServer(connection);
        }
    }

    private int closeAll(boolean restart, String why) {
        synchronized (this) {
            if (active) {
                return 0;
            }
            restarting = restart;
            active = true;
        }
        // every session closed first, then the cleanups: at undeploy a cleanup may fail (classes no longer load),
        // and it must not keep the sessions after it from their close code
        List<Connection> closed = new ArrayList<>();
        for (Connection connection : registry.connections()) {
            if (registry.remove(connection, this::close)) {
                closed.add(connection);
            }
        }
        closed.forEach(registry::closedByServer);
        int count = closed.size();
        LOG.log(Level.INFO, () -> "Pulse " + why + ": closed " + count + " sessions with " + (restart ? "1012" : "1001"));
        return count;
    }

    private void close(Connection connection) {
        if (restarting) {
            long jitter = settings.shutdownRetryJitter() == 0 ? 0
                    : ThreadLocalRandom.current().nextLong(settings.shutdownRetryJitter() + 1);
            registry.closeQuietly(connection, 1012, "retry-after=" + (settings.shutdownRetryAfter() + jitter));
        } else {
            registry.closeQuietly(connection, 1001, "server shutting down");
        }
    }
}
