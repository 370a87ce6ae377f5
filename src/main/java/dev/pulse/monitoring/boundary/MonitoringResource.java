package dev.pulse.monitoring.boundary;

import jakarta.inject.Inject;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** GET /api/connections and GET /api/stats. */
@Path("")
@Produces(MediaType.APPLICATION_JSON)
public class MonitoringResource {

    @Inject
    Snapshots snapshots;

    @GET
    @Path("connections")
    public JsonArray connections() {
        return snapshots.connections();
    }

    @GET
    @Path("stats")
    public JsonObject stats() {
        return snapshots.stats();
    }
}
