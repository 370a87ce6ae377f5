package dev.pulse.identity.boundary;

import dev.pulse.connection.control.ErrorLog;
import dev.pulse.identity.control.ApiRules;
import dev.pulse.protocol.ErrorCode;
import dev.pulse.protocol.HttpBodies;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.ext.Provider;

/**
 * Every POST to /api must say {@code Content-Type: application/json} (415 unsupported_media_type otherwise,
 * counted): what an HTML form on another site can send without a CORS preflight is never accepted, so a page
 * elsewhere cannot publish or drain with a visitor's browser, whether the API has keys or not.
 */
@Provider
@Priority(Priorities.AUTHORIZATION)
public class JsonOnlyFilter implements ContainerRequestFilter {

    @Inject
    ErrorLog errors;

    @Override
    public void filter(ContainerRequestContext request) {
        String type = request.getHeaderString(HttpHeaders.CONTENT_TYPE);
        if ("POST".equals(request.getMethod()) && !ApiRules.json(type)) {
            String message = "POST needs Content-Type: application/json (got " + type + ")";
            errors.record(null, ErrorCode.UNSUPPORTED_MEDIA_TYPE, message + " ("
                    + request.getUriInfo().getPath() + ")");
            request.abortWith(HttpBodies.error(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, message));
        }
    }
}
