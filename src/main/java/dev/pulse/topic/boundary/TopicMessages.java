package dev.pulse.topic.boundary;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.InboundDispatcher.MessageHandler;
import dev.pulse.connection.control.Rejection;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.connection.entity.Connection;
import dev.pulse.protocol.ErrorCode;
import dev.pulse.protocol.StoreUnavailableException;
import dev.pulse.protocol.Wire;
import dev.pulse.topic.control.TopicNames;
import dev.pulse.topic.control.Topics;
import dev.pulse.topic.entity.Sequenced;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.util.Map;

/** The client messages of topics and presence: validated here, carried out by {@link Topics}. */
public final class TopicMessages {

    private final SessionRegistry registry;
    private final PulseSettings settings;
    private final Topics topics;

    public TopicMessages(SessionRegistry registry, PulseSettings settings, Topics topics) {
        this.registry = registry;
        this.settings = settings;
        this.topics = topics;
    }

    public Map<String, MessageHandler> handlers() {
        return Map.of(
                "subscribe", this::subscribe,
                "unsubscribe", this::unsubscribe,
                "publish", this::publish,
                "presence", this::presence);
    }

    void subscribe(Connection connection, JsonObject message) {
        String topic = topic(message);
        if (!TopicNames.maySubscribe(topic, connection.user())) {
            throw new Rejection(ErrorCode.FORBIDDEN, "only user " + topic.substring(TopicNames.USER_PREFIX.length())
                    + " may subscribe to " + topic);
        }
        Long since = null;
        JsonValue sinceValue = message.get("since");
        if (sinceValue != null && sinceValue != JsonValue.NULL) {
            if (!(sinceValue instanceof JsonNumber n) || !n.isIntegral() || n.longValue() < 0) {
                throw new Rejection(ErrorCode.BAD_REQUEST, "\"since\" must be a seq (an integer >= 0)");
            }
            since = n.longValue();
        }
        String epoch = optionalString(message, "epoch");
        Boolean presence = null;
        JsonValue presenceValue = message.get("presence");
        if (presenceValue != null && presenceValue != JsonValue.NULL) {
            if (presenceValue != JsonValue.TRUE && presenceValue != JsonValue.FALSE) {
                throw new Rejection(ErrorCode.BAD_REQUEST, "\"presence\" must be true or false");
            }
            presence = presenceValue == JsonValue.TRUE;
        }
        int limit = settings.guard().topicsPerSession();
        if (!connection.topics().contains(topic) && chosenTopics(connection) >= limit) {
            throw new Rejection(ErrorCode.FORBIDDEN, "a session may subscribe to at most " + limit + " topics");
        }
        try {
            topics.subscribe(connection, topic, since, epoch, presence);
        } catch (StoreUnavailableException e) {
            throw new Rejection(ErrorCode.UNAVAILABLE, "the store is unavailable; subscribe again later");
        }
    }

    /** Topics the client subscribed to itself; {@code broadcast} and its own user topic do not count. */
    private static int chosenTopics(Connection connection) {
        int count = 0;
        for (String t : connection.topics()) {
            if (!t.equals(TopicNames.BROADCAST) && !(connection.user() != null
                    && t.equals(TopicNames.userTopic(connection.user())))) {
                count++;
            }
        }
        return count;
    }

    void unsubscribe(Connection connection, JsonObject message) {
        topics.unsubscribe(connection, topic(message));
    }

    void publish(Connection connection, JsonObject message) {
        String topic = topic(message);
        String id = optionalString(message, "id");
        if (!message.containsKey("data")) {
            throw new Rejection(ErrorCode.BAD_REQUEST, "publish needs \"data\"");
        }
        if (TopicNames.serverOnly(topic)) {
            throw new Rejection(ErrorCode.FORBIDDEN, topic + " takes messages from the HTTP API only");
        }
        if (!settings.publishClients()) {
            throw new Rejection(ErrorCode.FORBIDDEN, "clients may not publish here (pulse.publish.clients=false)");
        }
        Sequenced published;
        try {
            published = topics.publish(topic, message.get("data").toString());
        } catch (StoreUnavailableException e) {
            throw new Rejection(ErrorCode.UNAVAILABLE, "the store is unavailable; the message was not published");
        }
        registry.send(connection, Wire.ack(id, topic, published.seq()));
    }

    void presence(Connection connection, JsonObject message) {
        String topic = topic(message);
        String id = optionalString(message, "id");
        if (!TopicNames.maySubscribe(topic, connection.user())) {
            throw new Rejection(ErrorCode.FORBIDDEN, "the presence of " + topic + " is private");
        }
        try {
            registry.send(connection, Wire.presence(topic, topics.membersJson(topic), id));
        } catch (StoreUnavailableException e) {
            throw new Rejection(ErrorCode.UNAVAILABLE, "the store is unavailable; ask again later");
        }
    }

    private static String topic(JsonObject message) {
        JsonValue value = message.get("topic");
        if (!(value instanceof jakarta.json.JsonString s) || !TopicNames.valid(s.getString())) {
            throw new Rejection(ErrorCode.BAD_REQUEST,
                    "\"topic\" must be 1-200 characters of [A-Za-z0-9:._@-]");
        }
        return s.getString();
    }

    private static String optionalString(JsonObject message, String key) {
        JsonValue value = message.get(key);
        if (value == null || value == JsonValue.NULL) {
            return null;
        }
        if (!(value instanceof jakarta.json.JsonString s)) {
            throw new Rejection(ErrorCode.BAD_REQUEST, "\"" + key + "\" must be a string");
        }
        return s.getString();
    }
}
