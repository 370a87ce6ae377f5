package dev.pulse.connection.control;

import dev.pulse.connection.entity.Connection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sessions dropped in the last 15 minutes while more than 64 K characters sent to them were unread: their
 * close frame waits behind that data, so their TCP sockets may stay open (the portable WebSocket API cannot
 * abort a socket, and containers report such sessions closed at once) until the peer reads or the OS gives up.
 */
final class Lingering {

    /** Unread output beyond which a close frame is stuck behind data the peer does not read. */
    static final long UNREAD_CHARS = 64 * 1024;
    /** How long a session dropped behind unread output counts as lingering. */
    static final long FORGET_MILLIS = 15 * 60_000;

    private final Map<Connection, Long> dropped = new ConcurrentHashMap<>();

    void closing(Connection connection, long now) {
        if (connection.unacknowledged() > UNREAD_CHARS) {
            dropped.put(connection, now);
        }
    }

    void forgetOld(long now) {
        dropped.values().removeIf(at -> now - at > FORGET_MILLIS);
    }

    int count() {
        return dropped.size();
    }
}
