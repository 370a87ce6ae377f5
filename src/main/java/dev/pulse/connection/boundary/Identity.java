package dev.pulse.connection.boundary;

import dev.pulse.identity.entity.AuthFailure;
import jakarta.websocket.Session;
import java.security.Principal;

/**
 * Who a session belongs to: the handshake's authenticated principal (the container's login), else the user of a
 * valid token, else
 * (when enabled, for development) the {@code user} query parameter; otherwise anonymous (null).
 */
final class Identity {

    private Identity() {
    }

    static String user(Session session) {
        Principal principal = session.getUserPrincipal();
        if (principal != null && principal.getName() != null && !principal.getName().isEmpty()) {
            return principal.getName();
        }
        return session.getUserProperties().get(HandshakeConfigurator.USER) instanceof String user ? user : null;
    }

    /** Why the session must be closed with 4001, or null: a token that failed, or no identity where one is required. */
    static AuthFailure authFailure(Session session, String user, boolean required) {
        if (session.getUserProperties().get(HandshakeConfigurator.AUTH_FAILURE) instanceof AuthFailure failure) {
            return failure;
        }
        return required && user == null ? AuthFailure.REQUIRED : null;
    }
}
