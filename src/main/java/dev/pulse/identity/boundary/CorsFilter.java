package dev.pulse.identity.boundary;

import dev.pulse.config.PulseSettings;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * CORS for /api, closed unless {@code pulse.api.cors-origins} names the origin: only then does a response carry
 * {@code Access-Control-Allow-Origin}, and a preflight is answered (204) before the key check, which a preflight
 * cannot pass since browsers send it without credentials. Other origins get no CORS headers, so browsers keep
 * their pages from reading the API or sending it JSON.
 */
@WebFilter(urlPatterns = "/api/*", asyncSupported = true)
public class CorsFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;
    private static final String PREFLIGHT_CACHE_SECONDS = "600";

    @Inject
    transient PulseSettings settings;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        String origin = request.getHeader("Origin");
        if (origin == null || !settings.guard().api().corsOrigins().contains(origin)) {
            chain.doFilter(request, response);
            return;
        }
        response.setHeader("Access-Control-Allow-Origin", origin);
        response.addHeader("Vary", "Origin");
        if ("OPTIONS".equals(request.getMethod()) && request.getHeader("Access-Control-Request-Method") != null) {
            response.setHeader("Access-Control-Allow-Methods", "GET, POST");
            response.setHeader("Access-Control-Allow-Headers", "Authorization, X-Api-Key, Content-Type");
            response.setHeader("Access-Control-Max-Age", PREFLIGHT_CACHE_SECONDS);
            response.setStatus(HttpServletResponse.SC_NO_CONTENT);
            return;
        }
        chain.doFilter(request, response);
    }
}
