package dev.pulse.identity.boundary;

import dev.pulse.connection.control.ErrorLog;
import dev.pulse.identity.control.ApiKeys;
import dev.pulse.identity.control.ApiRules;
import dev.pulse.identity.entity.Role;
import dev.pulse.protocol.ErrorCode;
import dev.pulse.protocol.HttpBodies;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import java.util.Locale;

/**
 * With API keys configured, every /api call needs one whose role covers it ({@link ApiRules#required}), as
 * {@code Authorization: Bearer <key>} or {@code X-Api-Key: <key>}: missing → 401 unauthenticated, unknown or of a
 * smaller role → 403 forbidden. The caller's role is left in the request for the resources.
 */
@Provider
@Priority(Priorities.AUTHENTICATION)
public class ApiKeyFilter implements ContainerRequestFilter {

    @Inject
    ErrorLog errors;

    @Inject
    ApiKeys keys;

    @Override
    public void filter(ContainerRequestContext request) {
        if (keys.open()) {
            return;
        }
        String given = request.getHeaderString("X-Api-Key");
        String authorization = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (given == null && authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            given = authorization.substring(7).trim();
        }
        if (given == null || given.isEmpty()) {
            abort(request, 401, ErrorCode.UNAUTHENTICATED, "this API needs a key: Authorization: Bearer <key>");
            return;
        }
        Role role = keys.role(given);
        Role needed = ApiRules.required(request.getMethod(), request.getUriInfo().getPath());
        if (role == null) {
            abort(request, 403, ErrorCode.FORBIDDEN, "wrong API key");
        } else if (!role.includes(needed)) {
            abort(request, 403, ErrorCode.FORBIDDEN, "this needs a " + needed.name().toLowerCase(Locale.ROOT)
                    + " key; this one is a " + role.name().toLowerCase(Locale.ROOT) + " key");
        } else {
            request.setProperty(ApiRules.ROLE, role);
        }
    }

    private void abort(ContainerRequestContext request, int status, ErrorCode code, String message) {
        errors.record(null, code, message + " (" + request.getMethod() + " "
                + request.getUriInfo().getPath() + ")");
        request.abortWith(Response.fromResponse(HttpBodies.error(status, code, message))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer").build());
    }
}
