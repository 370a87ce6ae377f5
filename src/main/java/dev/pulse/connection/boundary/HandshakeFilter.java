package dev.pulse.connection.boundary;

import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.protocol.ErrorCode;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Runs before the WebSocket upgrade: refuses a malformed {@code user} parameter with 400, as the contract
 * says, and hands the peer's address to {@link HandshakeConfigurator}, which the WebSocket API cannot see.
 * The upgrade handshake runs on the request's thread in both Tyrus and Undertow.
 */
@WebFilter(urlPatterns = "/ws", asyncSupported = true)
public class HandshakeFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;
    private static final ThreadLocal<String> REMOTE = new ThreadLocal<>();

    static String currentRemote() {
        return REMOTE.get();
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        String user = request.getParameter("user");
        if (SessionRegistry.shared().settings().identityQueryParam() && user != null && !user.isEmpty()
                && !Identity.USER.matcher(user).matches()) {
            response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
            response.setContentType("application/json");
            SessionRegistry.shared().errors().record(null, ErrorCode.BAD_REQUEST, "invalid user parameter");
            response.getWriter().write("{\"code\":\"bad_request\",\"message\":\"user must be 1-64 characters of "
                    + "[A-Za-z0-9._@-]\"}");
            return;
        }
        SessionRegistry registry = SessionRegistry.shared();
        String origin = request.getHeader("Origin");
        var allowed = registry.settings().guard().origins();
        if (origin != null && !allowed.isEmpty() && !allowed.contains(origin)) {
            // here rather than only in checkOrigin: Undertow answers a failed checkOrigin with 404, not 403
            registry.errors().record(null, ErrorCode.ORIGIN, "handshake from origin " + origin + " refused");
            response.setStatus(HttpServletResponse.SC_FORBIDDEN);
            response.setContentType("application/json");
            response.getWriter().write("{\"code\":\"origin\",\"message\":\"origin not allowed\"}");
            return;
        }
        int limit = registry.settings().guard().perAddress();
        if (limit > 0 && registry.connectionsFrom(request.getRemoteAddr()) >= limit) {
            registry.errors().record(null, ErrorCode.TOO_MANY_CONNECTIONS,
                    "refused a connection from " + request.getRemoteAddr() + ": " + limit + " already open");
            response.setStatus(429);
            response.setContentType("application/json");
            response.getWriter().write("{\"code\":\"too_many_connections\",\"message\":\"" + limit
                    + " connections from this address are open already\"}");
            return;
        }
        REMOTE.set(request.getRemoteAddr() + ":" + request.getRemotePort());
        try {
            chain.doFilter(request, response);
        } finally {
            REMOTE.remove();
        }
    }
}
