package dev.pulse.connection.entity;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/** The far end of one connection, as Pulse needs it: nothing here may block the calling thread. */
public interface Peer {

    boolean isOpen();

    /** Sends a Ping frame; throws when the peer is gone. */
    void ping(ByteBuffer payload) throws Exception;

    /** Starts sending one text frame and calls {@code done} with null or the failure when it completes. */
    void sendText(String text, Consumer<Throwable> done);

    /** Starts the closing handshake; never throws (a peer that cannot be closed lingers). */
    void close(int code, String reason);

    /** The code the server closed it with, 0 while the server has not closed it. */
    int closedWith();
}
