package dev.pulse.protocol;

import jakarta.json.JsonException;
import jakarta.json.JsonValue;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.BiFunction;

/** Reads JSON request bodies of the HTTP API within the size limit, and builds its error answers. */
public final class HttpBodies {

    private HttpBodies() {
    }

    /** An error answer of the contract: {@code {"code","message"}} with the status. */
    public static Response error(int status, ErrorCode code, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(Wire.object().add("code", code.wire()).add("message", message).build()).build();
    }

    /**
     * Reads the body as JSON and hands it to {@code use}; answers 413 {@code too_large} past {@code maxBytes}
     * (reading stops there) and 400 {@code bad_json} when it is not JSON, reporting either to {@code errors}.
     */
    public static Response withJson(InputStream body, int maxBytes, BiFunction<ErrorCode, String, Response> errors,
            java.util.function.Function<JsonValue, Response> use) {
        byte[] bytes;
        try {
            bytes = readAtMost(body, maxBytes);
        } catch (IOException e) {
            return errors.apply(ErrorCode.BAD_REQUEST, "could not read the body: " + e.getMessage());
        }
        if (bytes == null) {
            return errors.apply(ErrorCode.TOO_LARGE, "body over " + maxBytes + " bytes");
        }
        JsonValue value;
        try {
            value = Wire.parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (JsonException | IllegalStateException e) {
            return errors.apply(ErrorCode.BAD_JSON, "the body must be JSON: " + e.getMessage());
        }
        return use.apply(value);
    }

    /** The HTTP status of an error code of a request body. */
    public static int status(ErrorCode code) {
        return switch (code) {
            case TOO_LARGE -> 413;
            case UNAUTHENTICATED -> 401;
            case FORBIDDEN -> 403;
            case UNSUPPORTED_MEDIA_TYPE -> 415;
            case UNAVAILABLE -> 503;
            case INTERNAL -> 500;
            default -> 400;
        };
    }

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
