package dev.pulse.connection.boundary;

import dev.pulse.connection.control.SessionRegistry;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.Session;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.List;

/**
 * Carries what only the handshake knows (the peer's address, the query-parameter user) into the session.
 * Since WebSocket 2.1 the user properties seen here are a per-connection copy that becomes the session's.
 */
public class HandshakeConfigurator extends ServerEndpointConfig.Configurator {

    static final String REMOTE = "dev.pulse.remote";
    static final String QUERY_USER = "dev.pulse.query-user";

    @Override
    public void modifyHandshake(ServerEndpointConfig config, HandshakeRequest request, HandshakeResponse response) {
        String remote = HandshakeFilter.currentRemote();
        if (remote == null) {
            remote = firstHeader(request, "X-Forwarded-For");
        }
        if (remote != null) {
            config.getUserProperties().put(REMOTE, remote);
        }
        if (SessionRegistry.shared().settings().identityQueryParam()) {
            List<String> users = request.getParameterMap().get("user");
            if (users != null && !users.isEmpty() && Identity.USER.matcher(users.get(0)).matches()) {
                config.getUserProperties().put(QUERY_USER, users.get(0));
            }
        }
    }

    static String remote(Session session) {
        return session.getUserProperties().get(REMOTE) instanceof String remote ? remote : null;
    }

    private static String firstHeader(HandshakeRequest request, String name) {
        for (var header : request.getHeaders().entrySet()) {
            if (header.getKey().equalsIgnoreCase(name) && !header.getValue().isEmpty()) {
                return header.getValue().get(0).split(",")[0].trim();
            }
        }
        return null;
    }
}
