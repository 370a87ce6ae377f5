package dev.pulse.topic.boundary;

import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.protocol.ErrorCode;
import dev.pulse.protocol.Wire;
import dev.pulse.topic.control.TopicNames;
import dev.pulse.topic.control.Topics;
import dev.pulse.topic.entity.TopicMessage;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Publishing over HTTP (topics, broadcast, one user) and a topic's presence. */
@Path("")
@Produces(MediaType.APPLICATION_JSON)
public class TopicsResource {

    private final SessionRegistry registry = SessionRegistry.shared();
    private final Topics topics = Topics.shared();

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

    @GET
    @Path("topics/{topic}/presence")
    public Response presence(@PathParam("topic") String topic) {
        if (!TopicNames.valid(topic)) {
            return error(400, ErrorCode.BAD_REQUEST, "topic must be 1-200 characters of [A-Za-z0-9:._@-]");
        }
        JsonObject answer = Wire.object().add("topic", topic).add("members", topics.membersJson(topic)).build();
        return Response.ok(answer).build();
    }

    private Response publishBody(String topic, InputStream body) {
        int max = registry.settings().maxMessageBytes();
        byte[] bytes;
        try {
            bytes = readAtMost(body, max);
        } catch (IOException e) {
            return error(400, ErrorCode.BAD_REQUEST, "could not read the body: " + e.getMessage());
        }
        if (bytes == null) {
            return error(413, ErrorCode.TOO_LARGE, "body over " + max + " bytes");
        }
        JsonValue data;
        try {
            data = Wire.parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (JsonException | IllegalStateException e) {
            return error(400, ErrorCode.BAD_JSON, "the body must be JSON: " + e.getMessage());
        }
        TopicMessage message = topics.publish(topic, data);
        return Response.accepted(Wire.object().add("topic", topic).add("seq", message.seq()).build()).build();
    }

    private Response error(int status, ErrorCode code, String message) {
        registry.errors().record(null, code, message);
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(Wire.object().add("code", code.wire()).add("message", message).build()).build();
    }

    /** The body, or null when it is longer than {@code max} bytes (reading stops there). */
    private static byte[] readAtMost(InputStream in, int max) throws IOException {
        if (in == null) {
            return new byte[0];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) > 0) {
            if (out.size() + n > max) {
                return null;
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }
}
