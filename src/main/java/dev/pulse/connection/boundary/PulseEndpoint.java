package dev.pulse.connection.boundary;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.Admission;
import dev.pulse.connection.control.Arrivals;
import dev.pulse.connection.control.Clock;
import dev.pulse.connection.control.ErrorLog;
import dev.pulse.connection.control.InboundDispatcher;
import dev.pulse.connection.control.PeerGone;
import dev.pulse.connection.control.Refusals;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.connection.control.Shutdown;
import dev.pulse.connection.entity.Connection;
import dev.pulse.connection.entity.EvictionReason;
import dev.pulse.identity.entity.AuthFailure;
import dev.pulse.monitoring.control.Stats;
import dev.pulse.protocol.ErrorCode;
import dev.pulse.protocol.Wire;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * The WebSocket endpoint of the wire contract ({@code /ws}); it only translates container callbacks into calls
 * on the registry and the dispatcher. One instance serves every session; {@link EndpointRegistration} adds it.
 */
public final class PulseEndpoint extends Endpoint {

    private static final Logger LOG = System.getLogger(PulseEndpoint.class.getName());
    private static final String CONNECTION = Connection.class.getName();

    private final SessionRegistry registry;
    private final Arrivals arrivals;
    private final PulseSettings settings;
    private final Clock clock;
    private final Stats stats;
    private final Refusals refusals;
    private final Shutdown shutdown;
    private final Admission admission;
    private final ErrorLog errors;
    private final RefusedFrames refusedFrames;
    private final InboundDispatcher dispatcher;
    private final Consumer<Connection> attach;

    /** @param attach subscribes a new session to its implicit topics, before its welcome */
    public PulseEndpoint(SessionRegistry registry, Arrivals arrivals, PulseSettings settings, Clock clock, Stats stats, Refusals refusals,
            Shutdown shutdown, Admission admission, ErrorLog errors, InboundDispatcher dispatcher,
            Consumer<Connection> attach) {
        this.registry = registry;
        this.arrivals = arrivals;
        this.settings = settings;
        this.clock = clock;
        this.stats = stats;
        this.refusals = refusals;
        this.shutdown = shutdown;
        this.admission = admission;
        this.errors = errors;
        this.refusedFrames = new RefusedFrames(errors);
        this.dispatcher = dispatcher;
        this.attach = attach;
    }

    @Override
    public void onOpen(Session session, EndpointConfig config) {
        try {
            open(session);
        } catch (RuntimeException | Error e) {
            rethrowFatal(e);
            openFailed(session, e);
        }
    }

    private void open(Session session) {
        Admission.Decision decision = admission.decide(); // first: a saturated node spends nothing more on a refusal
        if (!decision.admitted()) {
            refusals.refuse(new SessionPeer(session), Admission.TRY_AGAIN_LATER, decision.refusal());
            return;
        }
        String user = Identity.user(session);
        AuthFailure authFailure = Identity.authFailure(session, user, settings.guard().authRequired());
        if (authFailure != null) {
            stats.rejected(authFailure.wire());
            errors.record(null, ErrorCode.UNAUTHENTICATED, authFailure.reason());
            refusals.refuse(new SessionPeer(session), 4001, authFailure.reason());
            return;
        }
        session.setMaxTextMessageBufferSize(settings.maxMessageBytes());
        // Liveness is the heartbeat's job. Negative rather than 0 (both mean "never"): Tyrus 2.2 (Payara 7) then
        // schedules no idle-timeout task per frame, each of which costs Payara a ServiceLoader scan (bench/README.md)
        session.setMaxIdleTimeout(-1);
        String remote = HandshakeConfigurator.remote(session);
        Connection connection = registry.open(new SessionPeer(session), user, remote, decision.at());
        if (connection == null) { // passed the handshake's check in a race with others from its address
            errors.record(null, ErrorCode.TOO_MANY_CONNECTIONS, "closed a session from " + remote + ": "
                    + settings.guard().perAddress() + " already open");
            refusals.refuse(new SessionPeer(session), 1008, "too many connections");
            return;
        }
        session.getUserProperties().put(CONNECTION, connection);
        session.addMessageHandler(String.class, (MessageHandler.Whole<String>) text -> guarded(connection, () -> {
            arrivals.seen(connection);
            connection.liveness().handling(true);
            try {
                dispatcher.dispatch(connection, text);
            } finally {
                connection.liveness().handling(false);
                arrivals.seen(connection); // frames that waited behind this one were the peer's too
            }
        }));
        session.addMessageHandler(PongMessage.class, (MessageHandler.Whole<PongMessage>) pong -> guarded(connection,
                () -> arrivals.pong(connection, pong.getApplicationData())));
        session.addMessageHandler(ByteBuffer.class, (MessageHandler.Whole<ByteBuffer>) data -> guarded(connection,
                () -> binary(connection, data)));
        attach.accept(connection);
        registry.send(connection, Wire.welcome(connection.id(), connection.user(), settings.heartbeatInterval(),
                settings.heartbeatTimeout(), clock.millis()));
        connection.liveness().seen(clock.nanos()); // the handshake ends here, with its welcome queued
        shutdown.opened(connection); // opened while the node stops: closed like the others
    }

    /**
     * A session whose open failed (a bug, or a collaborator that failed) gets no welcome: it is closed with 1011,
     * a little after the open callback as refused sessions are, and counted in {@code evictions.error}.
     */
    private void openFailed(Session session, Throwable failure) {
        Connection connection = connection(session);
        if (connection != null) {
            registry.drop(connection, EvictionReason.ERROR, failure,
                    c -> refusals.refuse(c.peer(), EvictionReason.ERROR.code(), EvictionReason.ERROR.reason()));
            return;
        }
        stats.evicted(EvictionReason.ERROR.key());
        LOG.log(Level.WARNING, "Failed to open session " + session.getId(), failure);
        refusals.refuse(new SessionPeer(session), EvictionReason.ERROR.code(), EvictionReason.ERROR.reason());
    }

    /**
     * Runs a message handler; a failure of the server's own is answered with error {@code internal} (the session
     * stays open, as after any error), or, when even that answer fails, by dropping the session with 1011.
     */
    private void guarded(Connection connection, Runnable handler) {
        try {
            handler.run();
        } catch (RuntimeException | Error e) {
            rethrowFatal(e);
            LOG.log(Level.WARNING, "Failed to handle a frame of session " + connection.id(), e);
            try {
                errors.record(connection, ErrorCode.INTERNAL, "the server failed to handle a frame: " + e);
                registry.send(connection, Wire.error(ErrorCode.INTERNAL, "the server failed to handle this message",
                        null));
            } catch (RuntimeException | Error answering) {
                rethrowFatal(answering);
                registry.drop(connection, EvictionReason.ERROR, answering);
            }
        }
    }

    private void binary(Connection connection, ByteBuffer data) {
        try {
            errors.record(connection, ErrorCode.BINARY, "binary frame of " + data.remaining() + " bytes");
        } finally { // the answer to a binary frame is the close, whatever happened before it
            connection.peer().close(CloseReason.CloseCodes.CANNOT_ACCEPT.getCode(), "binary frames are not accepted");
        }
    }

    @Override
    public void onClose(Session session, CloseReason reason) {
        Connection connection = connection(session);
        if (connection == null) {
            return;
        }
        int code = refusedFrames.code(session, reason);
        try {
            refusedFrames.closed(connection, session, code, reason);
        } finally { // whatever failed above, the session is forgotten
            try {
                registry.closed(connection, code);
            } catch (RuntimeException | Error e) {
                rethrowFatal(e);
                stats.error(ErrorCode.INTERNAL.wire());
                LOG.log(Level.WARNING, "Cleanup of closed session " + connection.id() + " failed", e);
            }
        }
    }

    /**
     * The container reports a failure. An I/O failure (a peer that went away) or one on a session already closed
     * is logged at FINE only: the container closes the session itself and onClose counts it with its code (1006:
     * an abrupt disconnect). Taking it for a disconnect here lost WildFly's 1009 closes from errors.too_large in
     * BadInputIT; the heartbeat evicts what a container leaves open. Anything else on a session still open is a failure nobody
     * answered yet: logged, counted under {@code errors.internal} and answered with error {@code internal}.
     */
    @Override
    public void onError(Session session, Throwable failure) {
        Connection connection = connection(session);
        if (connection != null && !session.isOpen()) {
            refusedFrames.failed(session, failure);
        }
        if (connection == null || !session.isOpen() || PeerGone.socketFailed(failure)) {
            LOG.log(Level.DEBUG, () -> "WebSocket error on " + session.getId() + ": " + failure);
            return;
        }
        guarded(connection, () -> {
            throw new IllegalStateException("the container reported a failure", failure);
        });
    }

    /** Errors a JVM cannot go on after are not answered here (the stack overflow of one frame is). */
    private static void rethrowFatal(Throwable e) {
        if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
            throw (VirtualMachineError) e;
        }
    }

    private static Connection connection(Session session) {
        return (Connection) session.getUserProperties().get(CONNECTION);
    }
}
