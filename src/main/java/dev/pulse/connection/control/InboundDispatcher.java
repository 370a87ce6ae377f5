package dev.pulse.connection.control;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.entity.Connection;
import dev.pulse.connection.entity.RateLimiter;
import dev.pulse.monitoring.control.Stats;
import dev.pulse.protocol.ErrorCode;
import dev.pulse.protocol.Wire;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Map;

/**
 * Reads one inbound text frame and answers it. Nothing thrown here reaches the container: a bad frame gets
 * an error message and the connection stays open.
 */
public final class InboundDispatcher {

    private static final Logger LOG = System.getLogger(InboundDispatcher.class.getName());

    /** Handles one type of client message; throws {@link Rejection} to answer with an error. */
    @FunctionalInterface
    public interface MessageHandler {
        void handle(Connection connection, JsonObject message);
    }

    private final SessionRegistry registry;
    private final PulseSettings settings;
    private final Clock clock;
    private final Stats stats;
    private final ErrorLog errorLog;
    private final Map<String, MessageHandler> handlers;

    public InboundDispatcher(SessionRegistry registry, PulseSettings settings, Clock clock, Stats stats,
            ErrorLog errorLog, Map<String, MessageHandler> handlers) {
        this.registry = registry;
        this.settings = settings;
        this.clock = clock;
        this.stats = stats;
        this.errorLog = errorLog;
        this.handlers = Map.copyOf(handlers);
    }

    public void dispatch(Connection connection, String text) {
        stats.messagesIn.increment();
        RateLimiter limiter = connection.rateLimiter();
        RateLimiter.Verdict verdict = limiter == null ? RateLimiter.Verdict.ACCEPT
                : limiter.take(clock.nanos());
        if (verdict != RateLimiter.Verdict.ACCEPT) {
            refuse(connection, verdict, text);
            return;
        }
        int max = settings.maxMessageBytes();
        if (text.length() > max || (text.length() * 3L > max && utf8Length(text) > max)) {
            errorLog.record(connection, ErrorCode.TOO_LARGE, "message over " + max + " bytes");
            connection.peer().close(1009, "message too large");
            return;
        }
        JsonObject message;
        try {
            JsonValue value = Wire.parse(text);
            if (!(value instanceof JsonObject object)) {
                reject(connection, ErrorCode.BAD_JSON, "a message must be a JSON object", null);
                return;
            }
            message = object;
        } catch (JsonException | IllegalStateException e) {
            reject(connection, ErrorCode.BAD_JSON, "not JSON: " + e.getMessage(), null);
            return;
        }
        JsonValue type = message.get("type");
        if (type == null || type.getValueType() != JsonValue.ValueType.STRING) {
            reject(connection, ErrorCode.BAD_JSON, "a message needs a string \"type\"", Wire.ref(message));
            return;
        }
        try {
            String kind = message.getString("type");
            MessageHandler handler = handlers.get(kind);
            if (kind.equals("ping")) {
                JsonValue t = message.get("t");
                if (t != null && t.getValueType() != JsonValue.ValueType.NUMBER && t != JsonValue.NULL) {
                    throw new Rejection(ErrorCode.BAD_REQUEST, "\"t\" of a ping must be a number");
                }
                registry.send(connection, Wire.pong(t, clock.millis()));
            } else if (handler != null) {
                handler.handle(connection, message);
            } else {
                reject(connection, ErrorCode.UNKNOWN_TYPE, "unknown type \"" + kind + "\"", Wire.ref(message));
            }
        } catch (Rejection r) {
            reject(connection, r.code(), r.getMessage(), Wire.ref(message));
        } catch (RuntimeException e) { // a bug of ours: answered, never swallowed; the session stays usable
            LOG.log(Level.WARNING, "Failed to handle a message of session " + connection.id(), e);
            reject(connection, ErrorCode.INTERNAL, "the server failed to handle this message", Wire.ref(message));
        }
    }

    private void refuse(Connection connection, RateLimiter.Verdict verdict, String text) {
        int rate = settings.guard().messagesPerSecond();
        errorLog.record(connection, ErrorCode.RATE_LIMITED, "over " + rate + " messages per second: dropped");
        switch (verdict) {
            case FLOOD -> {
                errorLog.record(connection, ErrorCode.FLOOD, "more than " + rate + " messages dropped within 10 s");
                connection.peer().close(1008, "message flood");
            }
            // parsed only for the one error a second that is sent, so a flood costs no parsing
            case DROP_AND_TELL -> registry.send(connection, Wire.error(ErrorCode.RATE_LIMITED,
                    "over " + rate + " messages per second: message dropped", refOf(text)));
            default -> {
            }
        }
    }

    /** The ref of a message that is not otherwise read: its string id or type, null if it has neither. */
    private String refOf(String text) {
        if (text.length() > settings.maxMessageBytes()) {
            return null;
        }
        try {
            return Wire.parse(text) instanceof JsonObject object ? Wire.ref(object) : null;
        } catch (JsonException | IllegalStateException e) {
            return null;
        }
    }

    private static long utf8Length(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private void reject(Connection connection, ErrorCode code, String message, String ref) {
        errorLog.record(connection, code, message);
        registry.send(connection, Wire.error(code, message, ref));
    }
}
