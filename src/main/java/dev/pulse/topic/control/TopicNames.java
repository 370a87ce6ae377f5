package dev.pulse.topic.control;

import dev.pulse.protocol.UserNames;
import java.util.regex.Pattern;

/** The contract's rules for topic names and the topics reserved to the server. */
public final class TopicNames {

    public static final String BROADCAST = "broadcast";
    public static final String USER_PREFIX = "user:";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9:._@-]{1,200}");

    private TopicNames() {
    }

    public static boolean valid(String topic) {
        return topic != null && NAME.matcher(topic).matches();
    }

    public static boolean validUser(String user) {
        return UserNames.valid(user);
    }

    public static String userTopic(String user) {
        return USER_PREFIX + user;
    }

    /** Topics only the HTTP API may publish to. */
    public static boolean serverOnly(String topic) {
        return BROADCAST.equals(topic) || topic.startsWith(USER_PREFIX);
    }

    /** Whether {@code user} may subscribe to {@code topic}: a {@code user:} topic only by that user. */
    public static boolean maySubscribe(String topic, String user) {
        return !topic.startsWith(USER_PREFIX) || topic.equals(USER_PREFIX + user) && user != null;
    }
}
