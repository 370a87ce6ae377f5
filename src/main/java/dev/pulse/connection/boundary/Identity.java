package dev.pulse.connection.boundary;

import jakarta.websocket.Session;
import java.security.Principal;
import java.util.regex.Pattern;

/** Who a session belongs to: the handshake's principal, else (when enabled) the {@code user} query parameter. */
final class Identity {

    static final Pattern USER = Pattern.compile("[A-Za-z0-9._@-]{1,64}");

    private Identity() {
    }

    static String user(Session session) {
        Principal principal = session.getUserPrincipal();
        if (principal != null && principal.getName() != null && !principal.getName().isEmpty()) {
            return principal.getName();
        }
        Object fromQuery = session.getUserProperties().get(HandshakeConfigurator.QUERY_USER);
        return fromQuery instanceof String user ? user : null;
    }
}
