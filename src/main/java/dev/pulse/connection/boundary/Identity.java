package dev.pulse.connection.boundary;

import dev.pulse.identity.entity.AuthFailure;
import dev.pulse.protocol.UserNames;
import jakarta.websocket.Session;
import java.security.Principal;

/**
 * Who a session belongs to: the handshake's authenticated principal (the container's login), else the user of a
 * valid token, else (when enabled, for development) the {@code user} query parameter; otherwise anonymous (null).
 */
final class Identity {

    private Identity() {
    }

    static String user(Session session) {
        String login = login(session);
        if (login != null) {
            return login;
        }
        return session.getUserProperties().get(HandshakeConfigurator.USER) instanceof String user ? user : null;
    }

    /**
     * Why the session must be closed with 4001, or null: a login name that cannot be a user name, a token that
     * failed (unless the container's login already names the user), or no identity where one is required.
     */
    static AuthFailure authFailure(Session session, String user, boolean required) {
        String login = login(session);
        if (login != null) {
            return UserNames.valid(login) ? null : AuthFailure.PRINCIPAL; // it would name user: topics and presence
        }
        if (session.getUserProperties().get(HandshakeConfigurator.AUTH_FAILURE) instanceof AuthFailure failure) {
            return failure;
        }
        return required && user == null ? AuthFailure.REQUIRED : null;
    }

    private static String login(Session session) {
        Principal principal = session.getUserPrincipal();
        return principal == null || principal.getName() == null || principal.getName().isEmpty() ? null
                : principal.getName();
    }
}
