package dev.pulse.it;

import jakarta.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Reading the JSON messages of the wire contract from a {@link RawWebSocket}. */
final class Messages {

    private Messages() {
    }

    /** The next message, parsed; fails after the timeout. */
    static JsonObject next(RawWebSocket ws, Duration timeout) throws InterruptedException {
        String text = ws.nextText(timeout);
        if (text == null) {
            throw new AssertionError("no message within " + timeout.toMillis() + " ms on " + ws
                    + (ws.isClosed() ? ", closed: " + ws.closed().getNow(null) : ""));
        }
        return PulseServer.parse(text);
    }

    /** The next message of the given type, skipping others; fails after the timeout. */
    static JsonObject awaitType(RawWebSocket ws, String type, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> skipped = new ArrayList<>();
        for (;;) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            String text = left <= 0 ? null : ws.nextText(Duration.ofMillis(left));
            if (text == null) {
                throw new AssertionError("no \"" + type + "\" message within " + timeout.toMillis() + " ms on " + ws
                        + "; skipped " + skipped + (ws.isClosed() ? "; closed: " + ws.closed().getNow(null) : ""));
            }
            JsonObject message = PulseServer.parse(text);
            if (type.equals(message.getString("type", null))) {
                return message;
            }
            skipped.add(text.length() > 200 ? text.substring(0, 200) + "..." : text);
        }
    }

    /** Connects and reads the welcome: returns the session id. */
    static String welcome(RawWebSocket ws) throws InterruptedException {
        JsonObject welcome = next(ws, PulseServer.PATIENCE);
        if (!"welcome".equals(welcome.getString("type", null))) {
            throw new AssertionError("first message is not a welcome: " + welcome);
        }
        return welcome.getString("session");
    }
}
