package dev.pulse.identity.boundary;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.Clock;
import dev.pulse.connection.control.ErrorLog;
import dev.pulse.identity.control.ApiKeys;
import dev.pulse.identity.control.Tokens;
import dev.pulse.protocol.ErrorCode;
import dev.pulse.protocol.HttpBodies;
import dev.pulse.protocol.UserNames;
import dev.pulse.protocol.Wire;
import jakarta.inject.Inject;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;

/**
 * POST /api/tokens {"user":"alice","ttl":600000}: a trusted backend mints a token for one of its users. Only with
 * an admin key configured (the API filter then lets only admin keys through), or anybody could become anybody.
 */
@Path("tokens")
@Produces(MediaType.APPLICATION_JSON)
public class TokensResource {

    private static final long MAX_TTL = 7L * 24 * 3600 * 1000;

    @Inject
    PulseSettings settings;

    @Inject
    Clock clock;

    @Inject
    ErrorLog errors;

    @Inject
    Tokens tokens;

    @Inject
    ApiKeys keys;

    @POST
    @Consumes(MediaType.WILDCARD)
    public Response mint(InputStream body) {
        if (!keys.hasAdmin()) {
            return error(403, ErrorCode.FORBIDDEN, "configure an admin key (pulse.api.admin-keys) to mint "
                    + "tokens");
        }
        if (!tokens.canMint()) {
            return error(403, ErrorCode.FORBIDDEN, "minted tokens are HS256, which pulse.auth.algorithms "
                    + "does not allow");
        }
        return HttpBodies.withJson(body, settings.maxMessageBytes(),
                (code, message) -> error(HttpBodies.status(code), code, message),
                json -> mint(json instanceof JsonObject o ? o : null));
    }

    private Response mint(JsonObject request) {
        var guard = settings.guard();
        if (request == null || !(request.get("user") instanceof JsonString user)
                || !UserNames.valid(user.getString())) {
            return error(400, ErrorCode.BAD_REQUEST, "\"user\" must be " + UserNames.RULE);
        }
        long ttl = guard.auth().tokenTtl();
        if (request.containsKey("ttl")) {
            if (!(request.get("ttl") instanceof JsonNumber n) || n.longValue() <= 0 || n.longValue() > MAX_TTL) {
                return error(400, ErrorCode.BAD_REQUEST, "\"ttl\" must be 1.." + MAX_TTL + " ms");
            }
            ttl = n.longValue();
        }
        long now = clock.millis();
        long expiresAt = now + ttl;
        String token = tokens.mint(user.getString(), expiresAt, now);
        // exp has a resolution of seconds
        return Response.ok(Wire.object().add("token", token).add("user", user.getString())
                .add("expiresAt", expiresAt / 1000 * 1000).build()).build();
    }

    private Response error(int status, ErrorCode code, String message) {
        errors.record(null, code, message);
        return HttpBodies.error(status, code, message);
    }
}
