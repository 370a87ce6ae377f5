package dev.pulse.connection.boundary;

import dev.pulse.connection.entity.Peer;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/** A {@link Peer} over a Jakarta WebSocket session, using only the calls that return at once. */
final class SessionPeer implements Peer {

    /** The code Pulse itself closed the session with (a container may close it on its own, e.g. with 1009). */
    static final String CLOSED_WITH = "dev.pulse.closed-with";

    private final Session session;

    SessionPeer(Session session) {
        this.session = session;
    }

    @Override
    public boolean isOpen() {
        return session.isOpen();
    }

    @Override
    public void ping(ByteBuffer payload) throws IOException {
        ClassLoader app = jdkContext();
        try {
            session.getAsyncRemote().sendPing(payload);
        } finally {
            Thread.currentThread().setContextClassLoader(app);
        }
    }

    @Override
    public void sendText(String text, Consumer<Throwable> done) {
        ClassLoader app = jdkContext();
        try {
            session.getAsyncRemote().sendText(text, result -> done.accept(result.isOK() ? null : result.getException()));
        } finally {
            Thread.currentThread().setContextClassLoader(app);
        }
    }

    /**
     * Tyrus reschedules an idle-timeout task on every send, and Payara's managed scheduler runs a ServiceLoader
     * scan of the context class loader's jars for each task: with the JDK's loader as context that scan is
     * short (bench: most of the CPU of 10,000 Pings a second went there). Returns the loader to restore.
     */
    private static ClassLoader jdkContext() {
        Thread thread = Thread.currentThread();
        ClassLoader app = thread.getContextClassLoader();
        thread.setContextClassLoader(ClassLoader.getPlatformClassLoader());
        return app;
    }

    @Override
    public int closedWith() {
        return session.getUserProperties().get(CLOSED_WITH) instanceof Integer code ? code : 0;
    }

    @Override
    public void close(int code, String reason) {
        session.getUserProperties().put(CLOSED_WITH, code);
        try {
            session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code), reason));
        } catch (IOException | RuntimeException e) {
            // the registry counts a socket that stays open as lingering
        }
    }
}
