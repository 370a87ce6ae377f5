package dev.pulse.protocol;

import jakarta.json.JsonBuilderFactory;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReaderFactory;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import java.io.StringReader;
import java.util.Map;

/** Builds the server's messages of the wire contract; the JSON-P provider is looked up once, not per message. */
public final class Wire {

    private static final JsonProvider JSON = JsonProvider.provider();
    private static final JsonBuilderFactory BUILDERS = JSON.createBuilderFactory(Map.of());
    private static final JsonReaderFactory READERS = JSON.createReaderFactory(Map.of());

    private Wire() {
    }

    public static JsonBuilderFactory builders() {
        return BUILDERS;
    }

    /** Parses one JSON text; throws {@link jakarta.json.JsonException} when it is not JSON. */
    public static JsonValue parse(String text) {
        try (var reader = READERS.createReader(new StringReader(text))) {
            return reader.readValue();
        }
    }

    public static String welcome(String session, String user, long interval, long timeout, long now) {
        return BUILDERS.createObjectBuilder()
                .add("type", "welcome")
                .add("session", session)
                .add("user", nullable(user))
                .add("heartbeat", BUILDERS.createObjectBuilder().add("interval", interval).add("timeout", timeout))
                .add("time", now)
                .build().toString();
    }

    public static String pong(JsonValue t, long now) {
        return BUILDERS.createObjectBuilder()
                .add("type", "pong")
                .add("t", t == null ? JsonValue.NULL : t)
                .add("time", now)
                .build().toString();
    }

    public static String error(ErrorCode code, String message, String ref) {
        return BUILDERS.createObjectBuilder()
                .add("type", "error")
                .add("code", code.wire())
                .add("message", message)
                .add("ref", nullable(ref))
                .build().toString();
    }

    public static JsonValue nullable(String value) {
        return value == null ? JsonValue.NULL : JSON.createValue(value);
    }

    public static JsonValue nullable(Double value) {
        return value == null ? JsonValue.NULL : JSON.createValue(value);
    }

    /** The {@code ref} of an error about this message: its string id, else its string type, else null. */
    public static String ref(JsonObject message) {
        if (message == null) {
            return null;
        }
        JsonValue id = message.get("id");
        if (id != null && id.getValueType() == JsonValue.ValueType.STRING) {
            return message.getString("id");
        }
        JsonValue type = message.get("type");
        if (type != null && type.getValueType() == JsonValue.ValueType.STRING) {
            return message.getString("type");
        }
        return null;
    }

    /** A builder that adds to an existing object, for callers that extend a message. */
    public static JsonObjectBuilder object() {
        return BUILDERS.createObjectBuilder();
    }
}
