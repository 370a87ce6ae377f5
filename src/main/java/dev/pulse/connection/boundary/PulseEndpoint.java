package dev.pulse.connection.boundary;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.ErrorLog;
import dev.pulse.connection.control.InboundDispatcher;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.connection.entity.Connection;
import dev.pulse.protocol.ErrorCode;
import dev.pulse.protocol.Wire;
import dev.pulse.topic.boundary.TopicMessages;
import dev.pulse.topic.control.Topics;
import jakarta.websocket.CloseReason;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;

/** The WebSocket endpoint of the wire contract; it only translates container callbacks into registry calls. */
@ServerEndpoint(value = "/ws", configurator = HandshakeConfigurator.class,
        subprotocols = HandshakeConfigurator.SUBPROTOCOL)
public class PulseEndpoint {

    private static final Logger LOG = System.getLogger(PulseEndpoint.class.getName());
    private static final String CONNECTION = Connection.class.getName();
    private static final SessionRegistry REGISTRY = SessionRegistry.shared();
    private static final ErrorLog ERRORS = REGISTRY.errors();
    private static final Topics TOPICS = Topics.shared();
    private static final InboundDispatcher DISPATCHER = new InboundDispatcher(REGISTRY, ERRORS,
            new TopicMessages(REGISTRY, TOPICS).handlers());

    @OnOpen
    public void open(Session session, EndpointConfig config) throws IOException {
        PulseSettings settings = REGISTRY.settings();
        String user = Identity.user(session);
        String authFailure = Identity.authFailure(session, user, settings.guard().authRequired());
        if (authFailure != null) {
            ERRORS.record(null, ErrorCode.UNAUTHENTICATED, authFailure);
            REGISTRY.refuse(new SessionPeer(session), 4001, authFailure);
            return;
        }
        session.setMaxTextMessageBufferSize(settings.maxMessageBytes());
        session.setMaxIdleTimeout(0); // liveness is the heartbeat's job: Pings would reset an idle timeout anyway
        String remote = HandshakeConfigurator.remote(session);
        Connection connection = REGISTRY.open(new SessionPeer(session), user, remote);
        if (connection == null) { // passed the handshake's check in a race with others from its address
            ERRORS.record(null, ErrorCode.TOO_MANY_CONNECTIONS, "closed a session from " + remote + ": "
                    + settings.guard().perAddress() + " already open");
            REGISTRY.refuse(new SessionPeer(session), 1008, "too many connections");
            return;
        }
        session.getUserProperties().put(CONNECTION, connection);
        REGISTRY.send(connection, Wire.welcome(connection.id(), connection.user(), settings.heartbeatInterval(),
                settings.heartbeatTimeout(), REGISTRY.clock().millis()));
        TOPICS.attach(connection);
    }

    @OnMessage
    public void text(String text, Session session) {
        Connection connection = connection(session);
        if (connection != null) {
            REGISTRY.seen(connection);
            DISPATCHER.dispatch(connection, text);
        }
    }

    @OnMessage
    public void pong(PongMessage pong, Session session) {
        Connection connection = connection(session);
        if (connection != null) {
            REGISTRY.pong(connection, pong.getApplicationData());
        }
    }

    @OnMessage
    public void binary(ByteBuffer data, Session session) throws IOException {
        Connection connection = connection(session);
        if (connection != null) {
            ERRORS.record(connection, ErrorCode.BINARY, "binary frame of " + data.remaining() + " bytes");
        }
        session.close(new CloseReason(CloseReason.CloseCodes.CANNOT_ACCEPT, "binary frames are not accepted"));
    }

    @OnClose
    public void close(Session session, CloseReason reason) {
        Connection connection = connection(session);
        if (connection != null && reason != null && reason.getCloseCode().getCode() == 1009
                && !session.getUserProperties().containsKey(SessionPeer.CLOSED_WITH)) {
            // the container enforced setMaxTextMessageBufferSize itself (Undertow whole, Tyrus fragmented)
            ERRORS.record(connection, ErrorCode.TOO_LARGE, "message over the limit: " + reason.getReasonPhrase());
        }
        if (connection != null) {
            REGISTRY.closed(connection);
        }
    }

    @OnError
    public void error(Session session, Throwable failure) {
        // peers vanish all the time; the heartbeat or @OnClose cleans up
        LOG.log(Level.DEBUG, () -> "WebSocket error on " + session.getId() + ": " + failure);
    }

    private static Connection connection(Session session) {
        return (Connection) session.getUserProperties().get(CONNECTION);
    }
}
