package dev.pulse.identity.boundary;

import dev.pulse.connection.control.SessionRegistry;
import jakarta.inject.Inject;
import dev.pulse.protocol.ErrorCode;
import dev.pulse.protocol.HttpBodies;
import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * With {@code pulse.api.key} set, every /api call needs it, as {@code Authorization: Bearer <key>} or
 * {@code X-Api-Key: <key>}: missing → 401 unauthenticated, wrong → 403 forbidden.
 */
@Provider
@Priority(Priorities.AUTHENTICATION)
public class ApiKeyFilter implements ContainerRequestFilter {

    @Inject
    SessionRegistry registry;

    @Override
    public void filter(ContainerRequestContext request) {
        String key = registry.settings().guard().apiKey();
        if (key == null) {
            return;
        }
        String given = request.getHeaderString("X-Api-Key");
        String authorization = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (given == null && authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            given = authorization.substring(7).trim();
        }
        if (given == null || given.isEmpty()) {
            abort(request, registry, 401, ErrorCode.UNAUTHENTICATED, "this API needs a key: Authorization: Bearer <key>");
        } else if (!MessageDigest.isEqual(key.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8))) {
            abort(request, registry, 403, ErrorCode.FORBIDDEN, "wrong API key");
        }
    }

    private static void abort(ContainerRequestContext request, SessionRegistry registry, int status, ErrorCode code,
            String message) {
        registry.errors().record(null, code, message + " (" + request.getUriInfo().getPath() + ")");
        request.abortWith(Response.fromResponse(HttpBodies.error(status, code, message))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer").build());
    }
}
