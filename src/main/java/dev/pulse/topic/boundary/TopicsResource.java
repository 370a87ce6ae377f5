package dev.pulse.topic.boundary;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.ErrorLog;
import dev.pulse.identity.control.ApiRules;
import dev.pulse.protocol.ErrorCode;
import dev.pulse.protocol.HttpBodies;
import dev.pulse.protocol.StoreUnavailableException;
import dev.pulse.protocol.Wire;
import dev.pulse.topic.control.TopicNames;
import dev.pulse.topic.control.Topics;
import dev.pulse.topic.entity.Sequenced;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import java.security.Principal;

/** Publishing over HTTP (topics, broadcast, one user) and a topic's presence. */
@Path("")
@Produces(MediaType.APPLICATION_JSON)
public class TopicsResource {

    @Inject
    PulseSettings settings;

    @Inject
    ErrorLog errors;

    @Inject
    Topics topics;

    @POST
    @Path("topics/{topic}/messages")
    @Consumes(MediaType.WILDCARD)
    public Response publish(@PathParam("topic") String topic, InputStream body) {
        if (!TopicNames.valid(topic)) {
            return error(400, ErrorCode.BAD_REQUEST, "topic must be 1-200 characters of [A-Za-z0-9:._@-]");
        }
        return publishBody(topic, body);
    }

    @POST
    @Path("broadcast")
    @Consumes(MediaType.WILDCARD)
    public Response broadcast(InputStream body) {
        return publishBody(TopicNames.BROADCAST, body);
    }

    @POST
    @Path("users/{user}/messages")
    @Consumes(MediaType.WILDCARD)
    public Response toUser(@PathParam("user") String user, InputStream body) {
        if (!TopicNames.validUser(user)) {
            return error(400, ErrorCode.BAD_REQUEST, "user must be 1-64 characters of [A-Za-z0-9._@-]");
        }
        return publishBody(TopicNames.userTopic(user), body);
    }

    /**
     * A topic's members. A {@code user:} topic is checked as on the socket: only that user (logged in through the
     * container) may ask, or a caller with an API key, which /api/connections shows everybody's topics anyway.
     */
    @GET
    @Path("topics/{topic}/presence")
    public Response presence(@PathParam("topic") String topic, @Context HttpServletRequest request) {
        if (!TopicNames.valid(topic)) {
            return error(400, ErrorCode.BAD_REQUEST, "topic must be 1-200 characters of [A-Za-z0-9:._@-]");
        }
        Principal principal = request.getUserPrincipal();
        if (request.getAttribute(ApiRules.ROLE) == null
                && !TopicNames.maySubscribe(topic, principal == null ? null : principal.getName())) {
            return error(403, ErrorCode.FORBIDDEN, "only its user or an API key may ask the presence of " + topic);
        }
        try {
            JsonObject answer = Wire.object().add("topic", topic).add("members", topics.membersJson(topic)).build();
            return Response.ok(answer).build();
        } catch (StoreUnavailableException e) {
            return error(503, ErrorCode.UNAVAILABLE, "the store is unavailable: " + e.getMessage());
        }
    }

    private Response publishBody(String topic, InputStream body) {
        return HttpBodies.withJson(body, settings.maxMessageBytes(),
                (code, message) -> error(HttpBodies.status(code), code, message), data -> {
                    try {
                        Sequenced message = topics.publish(topic, data.toString());
                        return Response.accepted(Wire.object().add("topic", topic).add("seq", message.seq()).build())
                                .build();
                    } catch (StoreUnavailableException e) {
                        return error(503, ErrorCode.UNAVAILABLE, "the store is unavailable: " + e.getMessage());
                    }
                });
    }

    private Response error(int status, ErrorCode code, String message) {
        errors.record(null, code, message);
        return HttpBodies.error(status, code, message);
    }
}
