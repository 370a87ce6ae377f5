package dev.pulse.monitoring.boundary;

import dev.pulse.connection.control.ErrorLog;
import dev.pulse.protocol.ErrorCode;
import dev.pulse.protocol.HttpBodies;
import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/** A failure of ours in the HTTP API is answered in the contract's shape, {@code 500 internal}, and counted. */
@Provider
public class UnexpectedErrors implements ExceptionMapper<RuntimeException> {

    private static final Logger LOG = System.getLogger(UnexpectedErrors.class.getName());

    @Inject
    ErrorLog errors;

    @Override
    public Response toResponse(RuntimeException failure) {
        if (failure instanceof WebApplicationException web) {
            return web.getResponse(); // 404, 405, 415 …: JAX-RS's own answers
        }
        LOG.log(Level.WARNING, "HTTP request failed", failure);
        errors.record(null, ErrorCode.INTERNAL, "HTTP request failed: " + failure);
        return HttpBodies.error(500, ErrorCode.INTERNAL, "the server failed to handle this request");
    }
}
