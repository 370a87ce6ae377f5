package dev.pulse.connection.boundary;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.Clock;
import dev.pulse.connection.control.ErrorLog;
import dev.pulse.identity.control.Tokens;
import dev.pulse.identity.entity.AuthFailure;
import dev.pulse.identity.entity.Verdict;
import dev.pulse.protocol.ErrorCode;
import dev.pulse.protocol.UserNames;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.Session;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.List;
import java.util.Map;

/**
 * The handshake: refuses foreign origins (403), and carries what only the handshake knows (the peer's address,
 * the token's or query parameter's user, a failed token) into the session. Since WebSocket 2.1 the user
 * properties seen here are a per-connection copy that becomes the session's.
 */
public class HandshakeConfigurator extends ServerEndpointConfig.Configurator {

    private final PulseSettings settings;
    private final ErrorLog errors;
    private final Clock clock;
    private final Tokens tokens;
    private final PulseEndpoint endpoint;

    public HandshakeConfigurator(PulseSettings settings, ErrorLog errors, Clock clock, Tokens tokens,
            PulseEndpoint endpoint) {
        this.settings = settings;
        this.errors = errors;
        this.clock = clock;
        this.tokens = tokens;
        this.endpoint = endpoint;
    }

    /** The subprotocol clients offer; a token may ride along as a second one, {@code bearer.<token>}. */
    public static final String SUBPROTOCOL = "pulse.v1";
    static final String BEARER = "bearer.";
    static final String REMOTE = "dev.pulse.remote";
    static final String USER = "dev.pulse.user";
    static final String AUTH_FAILURE = "dev.pulse.auth-failure";

    @Override
    public boolean checkOrigin(String origin) {
        var allowed = settings.guard().origins();
        if (origin == null || allowed.isEmpty() || allowed.contains(origin)) {
            return true;
        }
        errors.record(null, ErrorCode.ORIGIN, "handshake from origin " + origin + " refused");
        return false;
    }

    @Override
    public String getNegotiatedSubprotocol(List<String> supported, List<String> requested) {
        return requested.contains(SUBPROTOCOL) ? SUBPROTOCOL : "";
    }

    @Override
    public void modifyHandshake(ServerEndpointConfig config, HandshakeRequest request, HandshakeResponse response) {
        Map<String, Object> properties = config.getUserProperties();
        String remote = HandshakeFilter.currentRemote(); // X-Forwarded-For only as the filter trusts it
        if (remote != null) {
            properties.put(REMOTE, remote);
        }
        String inQuery = first(request.getParameterMap().get("token"));
        String token = inQuery != null ? inQuery : subprotocolToken(request);
        if (inQuery != null && !settings.guard().auth().tokenQueryParam()) {
            properties.put(AUTH_FAILURE, AuthFailure.QUERY_PARAM); // refused, not ignored: the sender must learn
        } else if (token != null) {
            Verdict verdict = tokens.verify(token, clock.millis());
            if (verdict.valid()) {
                properties.put(USER, verdict.user());
            } else {
                properties.put(AUTH_FAILURE, verdict.failure());
            }
        } else if (settings.identityQueryParam()) {
            List<String> users = request.getParameterMap().get("user");
            if (users != null && !users.isEmpty() && UserNames.valid(users.get(0))) {
                properties.put(USER, users.get(0));
            }
        }
    }

    /** {@code /ws} with this configurator and the {@code pulse.v1} subprotocol. */
    public static ServerEndpointConfig endpointConfig(PulseSettings settings, ErrorLog errors, Clock clock,
            Tokens tokens, PulseEndpoint endpoint) {
        return ServerEndpointConfig.Builder.create(PulseEndpoint.class, "/ws")
                .subprotocols(List.of(SUBPROTOCOL))
                .configurator(new HandshakeConfigurator(settings, errors, clock, tokens, endpoint))
                .build();
    }

    @Override
    public <T> T getEndpointInstance(Class<T> endpointClass) {
        return endpointClass.cast(endpoint); // one endpoint for every session: it keeps no per-session state
    }

    static String remote(Session session) {
        return session.getUserProperties().get(REMOTE) instanceof String remote ? remote : null;
    }

    private static String first(List<String> values) {
        return values == null || values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
    }

    private static String subprotocolToken(HandshakeRequest request) {
        for (var header : request.getHeaders().entrySet()) {
            if (header.getKey().equalsIgnoreCase(HandshakeRequest.SEC_WEBSOCKET_PROTOCOL)) {
                for (String value : header.getValue()) {
                    for (String protocol : value.split(",")) {
                        if (protocol.trim().startsWith(BEARER)) {
                            return protocol.trim().substring(BEARER.length());
                        }
                    }
                }
            }
        }
        return null;
    }
}
