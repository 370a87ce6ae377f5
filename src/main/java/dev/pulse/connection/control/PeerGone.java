package dev.pulse.connection.control;

import dev.pulse.connection.entity.Connection;
import java.io.IOException;

/**
 * Tells a peer that went away (its TCP connection reset or ended: an abrupt disconnect, which happens all the time)
 * from a failure of the server's own, which is a bug to answer with 1011 and log with its stack trace.
 */
public final class PeerGone {

    private PeerGone() {
    }

    /**
     * A send or Ping failed: the peer is gone if the container already closed the session, the socket failed, or
     * the container refused the send as on a closed session (IllegalStateException, as the API specifies for a
     * closed session; Tyrus throws it while its connection is closed but the session not yet: "Connection is not
     * open.", seen under load when a client resets during a fan-out).
     */
    static boolean after(Connection connection, Throwable failure) {
        return !connection.peer().isOpen() || failure instanceof IllegalStateException || socketFailed(failure);
    }

    /** An I/O error anywhere in the failure's causes: broken pipe, reset, closed channel, end of stream. */
    public static boolean socketFailed(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException) {
                return true;
            }
        }
        return false;
    }
}
