package dev.pulse.monitoring.boundary;

import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * /health/live and /health/ready in MicroProfile Health's shape, for servers whose own health endpoint is
 * not on the application's port (WildFly serves it on the management port). Where the server maps /health
 * itself (Payara Micro), it answers instead, with {@link HealthChecks}.
 */
@WebServlet(urlPatterns = {"/health", "/health/*"})
public class HealthServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    @Inject
    transient HealthStatus status;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo() == null ? "/" : request.getPathInfo();
        boolean live = status.live();
        boolean ready = status.ready();
        String checks;
        boolean up;
        switch (path) {
            case "/live" -> {
                up = live;
                checks = check("pulse-heartbeat", live);
            }
            case "/ready" -> {
                up = ready;
                checks = check("pulse-ready", ready);
            }
            case "/", "" -> {
                up = live && ready;
                checks = check("pulse-heartbeat", live) + "," + check("pulse-ready", ready);
            }
            default -> {
                response.sendError(HttpServletResponse.SC_NOT_FOUND);
                return;
            }
        }
        response.setStatus(up ? 200 : 503);
        if (!up && status.shedding()) {
            response.setHeader("Retry-After", Long.toString(status.retryAfterSeconds())); // pulse.js honours it
        }
        response.setContentType("application/json");
        response.getWriter().write("{\"status\":\"" + (up ? "UP" : "DOWN") + "\",\"checks\":[" + checks + "]}");
    }

    private static String check(String name, boolean up) {
        return "{\"name\":\"" + name + "\",\"status\":\"" + (up ? "UP" : "DOWN") + "\"}";
    }
}
