package dev.pulse.it;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A well-behaved client in its own JVM, for the test that freezes it with SIGSTOP: connects, answers every Ping,
 * and reports on stdout {@code SESSION <id>}, {@code PONG <epoch ms>} after each Pong, and {@code CLOSE <code>
 * <reason>} when the connection ends. Uses only the JDK, so test-classes alone is its class path.
 */
public final class PingAnswerer {

    private static final Pattern SESSION = Pattern.compile("\"session\"\\s*:\\s*\"([^\"]+)\"");

    private PingAnswerer() {
    }

    public static void main(String[] args) throws Exception {
        RawWebSocket ws = RawWebSocket.connect(URI.create(args[0]), RawWebSocket.Mode.ANSWER_PINGS);
        ws.onPongSent(at -> say("PONG " + at));
        String welcome = ws.nextText(Duration.ofSeconds(10));
        Matcher m = welcome == null ? null : SESSION.matcher(welcome);
        if (m == null || !m.find()) {
            say("ERROR no welcome: " + welcome);
            System.exit(2);
        }
        say("SESSION " + m.group(1));
        RawWebSocket.Close close = ws.closed().get(10, TimeUnit.MINUTES);
        say("CLOSE " + close.code() + " " + close.reason());
        ws.close();
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
