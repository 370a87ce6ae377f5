package dev.pulse.protocol;

import jakarta.json.JsonArray;
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

    public static String message(String topic, long seq, String epoch, long time, JsonValue data) {
        return BUILDERS.createObjectBuilder()
                .add("type", "message")
                .add("topic", topic)
                .add("seq", seq)
                .add("epoch", epoch)
                .add("time", time)
                .add("data", data)
                .build().toString();
    }

    /** The answer to a subscribe; {@code members} is null unless the subscriber asked for presence. */
    public static String subscribed(String topic, String epoch, long seq, JsonArray members) {
        JsonObjectBuilder b = BUILDERS.createObjectBuilder()
                .add("type", "subscribed")
                .add("topic", topic)
                .add("epoch", epoch)
                .add("seq", seq);
        if (members != null) {
            b.add("members", members);
        }
        return b.build().toString();
    }

    public static String unsubscribed(String topic) {
        return BUILDERS.createObjectBuilder().add("type", "unsubscribed").add("topic", topic).build().toString();
    }

    public static String gap(String topic, Long from, Long to, String reason) {
        return BUILDERS.createObjectBuilder()
                .add("type", "gap")
                .add("topic", topic)
                .add("from", from == null ? JsonValue.NULL : JSON.createValue(from))
                .add("to", to == null ? JsonValue.NULL : JSON.createValue(to))
                .add("reason", reason)
                .build().toString();
    }

    public static String ack(String id, String topic, long seq) {
        return BUILDERS.createObjectBuilder()
                .add("type", "ack")
                .add("id", nullable(id))
                .add("topic", topic)
                .add("seq", seq)
                .build().toString();
    }

    public static String join(String topic, String user, long time) {
        return BUILDERS.createObjectBuilder()
                .add("type", "join").add("topic", topic).add("user", user).add("time", time)
                .build().toString();
    }

    public static String leave(String topic, String user, long time, String reason) {
        return BUILDERS.createObjectBuilder()
                .add("type", "leave").add("topic", topic).add("user", user).add("time", time).add("reason", reason)
                .build().toString();
    }

    /** The answer to a presence question; {@code id} (the question's, echoed so clients can match) only when it had one. */
    public static String presence(String topic, JsonArray members, String id) {
        JsonObjectBuilder b = BUILDERS.createObjectBuilder().add("type", "presence");
        if (id != null) {
            b.add("id", id);
        }
        return b.add("topic", topic).add("members", members).build().toString();
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
