package dev.pulse.connection.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pulse.identity.entity.AuthFailure;
import jakarta.websocket.Session;
import java.lang.reflect.Proxy;
import java.security.Principal;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The container's login comes first; a login name that cannot be a Pulse user name is refused. */
class IdentityTest {

    private static Session session(String login, Map<String, Object> properties) {
        Principal principal = login == null ? null : () -> login;
        return (Session) Proxy.newProxyInstance(Session.class.getClassLoader(), new Class<?>[] {Session.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getUserPrincipal" -> principal;
                    case "getUserProperties" -> properties;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void theLoginWinsOverATokenAndMustBeAUserName() {
        Map<String, Object> failedToken = new HashMap<>(Map.of(HandshakeConfigurator.AUTH_FAILURE, AuthFailure.EXPIRED));
        Session alice = session("alice", failedToken);
        assertEquals("alice", Identity.user(alice));
        assertNull(Identity.authFailure(alice, "alice", true), "a login needs no token");
        Session dn = session("CN=Alice Smith,O=Example", new HashMap<>());
        assertEquals(AuthFailure.PRINCIPAL, Identity.authFailure(dn, Identity.user(dn), false));
        Session anonymous = session(null, failedToken);
        assertEquals(AuthFailure.EXPIRED, Identity.authFailure(anonymous, Identity.user(anonymous), false));
        Session nobody = session("", new HashMap<>());
        assertNull(Identity.user(nobody));
        assertEquals(AuthFailure.REQUIRED, Identity.authFailure(nobody, null, true));
        assertNull(Identity.authFailure(nobody, null, false));
    }
}
