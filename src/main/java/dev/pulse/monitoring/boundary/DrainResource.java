package dev.pulse.monitoring.boundary;

import dev.pulse.connection.control.Shutdown;
import jakarta.inject.Inject;
import dev.pulse.protocol.Wire;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * POST /api/drain: before restarting a node, close its sessions with 1012 and a jittered retry-after and turn
 * readiness DOWN. Needed where the container closes sessions itself, with 1001, before the application hears
 * of the shutdown (WildFly), and useful everywhere for rolling restarts behind a load balancer.
 */
@Path("drain")
@Produces(MediaType.APPLICATION_JSON)
public class DrainResource {

    @Inject
    Shutdown shutdown;

    @POST
    public Response drain() {
        int closed = shutdown.drain();
        return Response.accepted(Wire.object().add("closed", closed).add("ready", false).build()).build();
    }
}
