package dev.pulse.connection.boundary;

import dev.pulse.config.PulseSettings;
import dev.pulse.config.TrustedProxies;
import dev.pulse.connection.control.AddressLimits;
import dev.pulse.connection.control.ErrorLog;
import dev.pulse.protocol.ErrorCode;
import dev.pulse.protocol.UserNames;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Enumeration;
import java.util.StringJoiner;

/**
 * Runs before the WebSocket upgrade: refuses a malformed {@code user} parameter with 400, as the contract
 * says, refuses a disallowed origin and a client over its per-address limit, and hands the client's address
 * (behind {@code pulse.proxies}, from X-Forwarded-For) to {@link HandshakeConfigurator}, which the WebSocket API
 * cannot see.
 * The upgrade handshake runs on the request's thread in both Tyrus and Undertow.
 */
@WebFilter(urlPatterns = "/ws", asyncSupported = true)
public class HandshakeFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;
    private static final ThreadLocal<String> REMOTE = new ThreadLocal<>();

    @Inject
    transient PulseSettings settings;

    @Inject
    transient ErrorLog errors;

    @Inject
    transient AddressLimits addresses;

    static String currentRemote() {
        return REMOTE.get();
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        String user = request.getParameter("user");
        if (settings.identityQueryParam() && user != null && !user.isEmpty()
                && !UserNames.valid(user)) {
            response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
            response.setContentType("application/json");
            errors.record(null, ErrorCode.BAD_REQUEST, "invalid user parameter");
            response.getWriter().write("{\"code\":\"bad_request\",\"message\":\"user must be 1-64 characters of "
                    + "[A-Za-z0-9._@-]\"}");
            return;
        }
        String origin = request.getHeader("Origin");
        var allowed = settings.guard().origins();
        if (origin != null && !allowed.isEmpty() && !allowed.contains(origin)) {
            // here rather than only in checkOrigin: Undertow answers a failed checkOrigin with 404, not 403
            errors.record(null, ErrorCode.ORIGIN, "handshake from origin " + origin + " refused");
            response.setStatus(HttpServletResponse.SC_FORBIDDEN);
            response.setContentType("application/json");
            response.getWriter().write("{\"code\":\"origin\",\"message\":\"origin not allowed\"}");
            return;
        }
        String remote = remote(request, settings.guard().proxies());
        String address = AddressLimits.address(remote);
        int limit = settings.guard().perAddress();
        if (limit > 0 && addresses.from(address) >= limit) {
            errors.record(null, ErrorCode.TOO_MANY_CONNECTIONS,
                    "refused a connection from " + address + ": " + limit + " already open");
            response.setStatus(429);
            response.setContentType("application/json");
            response.getWriter().write("{\"code\":\"too_many_connections\",\"message\":\"" + limit
                    + " connections from this address are open already\"}");
            return;
        }
        REMOTE.set(remote);
        try {
            chain.doFilter(request, response);
        } finally {
            REMOTE.remove();
        }
    }

    /**
     * "address:port" of the peer that connected, or behind a trusted proxy the client's address alone (a proxy
     * does not forward the client's port), IPv6 in brackets so that it never reads as having a port.
     */
    static String remote(HttpServletRequest request, TrustedProxies proxies) {
        String peer = request.getRemoteAddr();
        if (!proxies.isEmpty()) {
            String client = proxies.client(peer, forwardedFor(request));
            if (client != null) {
                return client.indexOf(':') >= 0 ? "[" + client + "]" : client;
            }
        }
        return peer + ":" + request.getRemotePort();
    }

    private static String forwardedFor(HttpServletRequest request) {
        Enumeration<String> values = request.getHeaders("X-Forwarded-For");
        if (values == null || !values.hasMoreElements()) {
            return null;
        }
        StringJoiner all = new StringJoiner(",");
        values.asIterator().forEachRemaining(all::add);
        return all.toString();
    }
}
