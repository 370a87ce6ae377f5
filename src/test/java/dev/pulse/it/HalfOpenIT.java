package dev.pulse.it;

import static dev.pulse.it.PulseServer.EVICT_BOUND;
import static dev.pulse.it.PulseServer.INTERVAL;
import static dev.pulse.it.PulseServer.SLACK;
import static dev.pulse.it.PulseServer.TICK;
import static dev.pulse.it.PulseServer.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pulse.it.RawWebSocket.Mode;
import jakarta.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Peers that stop reading or freeze: they must be evicted within the contract's bounds, and must never hold up
 * the heartbeat of everybody else.
 */
@ExtendWith(ArquillianExtension.class)
class HalfOpenIT {

    private static final long STARTED = System.nanoTime();
    /** Healthy clients whose Pings are watched while the half-open peers misbehave. */
    private static final int HEALTHY = 50;
    /** How long their Pings are watched. */
    private static final long WINDOW = 6000;
    /** The largest gap between two Pings a healthy client may see: interval, plus one tick, plus slack. */
    private static final long MAX_PING_GAP = INTERVAL + TICK + SLACK;
    /** Size of the id each flood message carries; every error answer echoes it as "ref". */
    private static final int ID_CHARS = 60_000;
    /** Messages the flooder sends (under the contract's default rate bucket of 2 x 50). */
    private static final int FLOOD_MESSAGES = 90;
    /** How long after its eviction a non-reader's TCP socket is watched (-Dit.linger.watch=ms for longer). */
    private static final long LINGER_WATCH = Long.getLong("it.linger.watch", 5000);
    /** Most messages the filler sends: below the contract's default rate bucket (2 x 50), so never rate-limited. */
    private static final int FILL_MAX = 95;

    @ArquillianResource
    URL deployed;

    PulseServer server;

    @Deployment(testable = false)
    static WebArchive deployment() {
        return Deployments.pulse();
    }

    @BeforeEach
    void server() {
        server = PulseServer.of(deployed);
    }

    @AfterAll
    static void took() {
        Report.line("HalfOpenIT class took %d ms (deployment included)", PulseServer.millisSince(STARTED));
    }

    /** A peer that completed the handshake and then never reads, and what the test saw of it. */
    private static final class NonReader {
        final String name;
        final RawWebSocket ws;
        String session;
        volatile long lastFrame;
        volatile int sent;
        volatile String sendFailure;
        volatile long goneAt;
        final Map<String, Long> tcpStates = new LinkedHashMap<>(); // "server-side state" -> first seen (ms in window)
        volatile long serverSocketClosedAt = -1;
        volatile long maxQueue = -1; // largest "queue" /api/connections showed for it
        volatile long maxServerSendQueue; // largest send-q of the server's socket (kernel)

        NonReader(String name, RawWebSocket ws) {
            this.name = name;
            this.ws = ws;
            this.lastFrame = ws.lastSentNanos();
        }
    }

    @Test
    void halfOpenPeersDoNotDelayThePingsOfHealthyPeers() throws Exception {
        List<RawWebSocket> healthy = new ArrayList<>();
        List<String> healthySessions = new ArrayList<>();
        List<NonReader> nonReaders = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int port = server.http.getPort();
        try {
            for (int i = 0; i < HEALTHY; i++) {
                RawWebSocket ws = RawWebSocket.connect(server.ws, Mode.ANSWER_PINGS);
                healthy.add(ws);
                healthySessions.add(Messages.welcome(ws));
            }
            assertTrue(PulseServer.await(Duration.ofMillis(MAX_PING_GAP + 1000), Duration.ofMillis(50),
                    () -> healthy.stream().allMatch(ws -> ws.pingCount() >= 1)), "every healthy client got a Ping");
            JsonObject statsBefore = server.stats();
            Report.line("half-open: %d healthy clients pinged; stats before: %s", HEALTHY, statsBefore);

            long windowStart = System.nanoTime();
            // 1. the filler: sends 60 KB messages until the server holds some of its answers in its own queue
            //    (kernel buffers full), then goes silent. The server must then ping it, and evict it.
            NonReader filler = connectNonReader("filler", nonReaders);
            String fillerNote = fill(filler);
            Report.line("filler (client port %d, session %s): %s", filler.ws.localPort(), filler.session, fillerNote);
            // 2. the flooder: sends 90 such messages as fast as it can (~5.4 MB of answers to queue), then goes silent
            NonReader flooder = connectNonReader("flooder", nonReaders);
            Thread flood = new Thread(() -> flood(flooder), "flooder");
            flood.setDaemon(true);
            flood.start();

            // watch: the non-readers' sockets (kernel view), their presence in /api/connections, the healthy Pings
            long deadline = windowStart + TimeUnit.MILLISECONDS.toNanos(WINDOW);
            JsonObject statsLingering = null;
            for (;;) {
                long now = System.nanoTime();
                Map<String, JsonObject> listed = listedConnections();
                for (NonReader n : nonReaders) {
                    JsonObject c = listed.get(n.session);
                    if (n.goneAt == 0 && c == null) {
                        n.goneAt = now;
                    }
                    if (c != null) {
                        n.maxQueue = Math.max(n.maxQueue, PulseServer.number(c, "queue"));
                    }
                    Optional<TcpTable.Entry> s = TcpTable.serverSide(port, n.ws.localPort());
                    s.ifPresent(e -> n.maxServerSendQueue = Math.max(n.maxServerSendQueue, e.txQueue()));
                    String state = s.map(e -> e.state() + (e.txQueue() > 0 ? " (send-q>0)" : "")).orElse("gone");
                    n.tcpStates.putIfAbsent(state, PulseServer.millis(windowStart, now));
                    if (s.isEmpty() && n.serverSocketClosedAt < 0) {
                        n.serverSocketClosedAt = now;
                    }
                }
                boolean allGone = nonReaders.stream().allMatch(n -> n.goneAt != 0);
                long lastGone = nonReaders.stream().mapToLong(n -> n.goneAt).max().orElse(now);
                if (allGone && statsLingering == null && PulseServer.millis(lastGone, now) > 2500) {
                    statsLingering = server.stats(); // lingering counts sockets open 2 s after the close was sent
                }
                boolean watchedEnough = allGone && PulseServer.millis(lastGone, now) >= LINGER_WATCH;
                boolean overdue = PulseServer.millis(windowStart, now) > WINDOW + EVICT_BOUND + SLACK + LINGER_WATCH;
                if (now - deadline > 0 && (watchedEnough || overdue)) {
                    break;
                }
                Thread.sleep(100);
            }
            long windowEnd = Math.min(System.nanoTime(), deadline);
            JsonObject statsAfter = server.stats();

            // the healthy clients: Pings kept coming during the whole window
            long worstGap = 0;
            int worstClient = -1;
            int pingsInWindow = 0;
            for (int i = 0; i < HEALTHY; i++) {
                RawWebSocket ws = healthy.get(i);
                long previous = windowStart;
                long clientWorst = 0;
                for (long ping : ws.pings()) {
                    if (ping < windowStart || ping > windowEnd) {
                        continue;
                    }
                    pingsInWindow++;
                    clientWorst = Math.max(clientWorst, PulseServer.millis(previous, ping));
                    previous = ping;
                }
                clientWorst = Math.max(clientWorst, PulseServer.millis(previous, windowEnd));
                if (clientWorst > worstGap) {
                    worstGap = clientWorst;
                    worstClient = i;
                }
                if (ws.isClosed()) {
                    problems.add("healthy client " + i + " was closed: " + ws.closed().getNow(null));
                }
            }
            Report.line("healthy clients over %d ms: %d Pings, largest gap %d ms (client %d; bound %d)",
                    PulseServer.millis(windowStart, windowEnd), pingsInWindow, worstGap, worstClient, MAX_PING_GAP);
            if (worstGap > MAX_PING_GAP) {
                problems.add("a healthy client waited " + worstGap + " ms for a Ping (bound " + MAX_PING_GAP + ")");
            }

            for (NonReader n : nonReaders) {
                String gone = n.goneAt == 0 ? "STILL LISTED"
                        : "gone from /api/connections " + PulseServer.millis(n.lastFrame, n.goneAt)
                                + " ms after its last frame";
                String socket = n.serverSocketClosedAt < 0
                        ? "server socket still open at the end (" + PulseServer.millis(n.goneAt == 0 ? windowStart
                                : n.goneAt, System.nanoTime()) + " ms after eviction)"
                        : "server socket closed " + (n.goneAt == 0 ? "?" : PulseServer.millis(n.goneAt,
                                n.serverSocketClosedAt)) + " ms after eviction";
                Report.line("%s: sent %d messages%s; %s; largest \"queue\" in /api/connections %d, largest kernel "
                        + "send-q %d bytes; %s; server-side TCP states (first seen, ms into window): %s", n.name,
                        n.sent, n.sendFailure == null ? "" : " (send stopped: " + n.sendFailure + ")", gone,
                        n.maxQueue, n.maxServerSendQueue, socket, n.tcpStates);
                if (n.goneAt == 0) {
                    problems.add(n.name + " never left /api/connections");
                } else if (PulseServer.millis(n.lastFrame, n.goneAt) > EVICT_BOUND + SLACK) {
                    problems.add(n.name + " left /api/connections " + PulseServer.millis(n.lastFrame, n.goneAt)
                            + " ms after its last frame (bound " + EVICT_BOUND + " + " + SLACK + ")");
                }
            }
            Report.line("stats ~2.5 s after the last eviction (non-readers still connected): %s", statsLingering);
            Report.line("stats at the end of the window: evictions %s, lingering %s, connections %s, "
                    + "ticks %s, errors %s", statsAfter.get("evictions"), statsAfter.get("lingering"),
                    statsAfter.get("connections"), statsAfter.get("heartbeat"), statsAfter.get("errors"));
            long evicted = 0;
            for (String reason : statsAfter.getJsonObject("evictions").keySet()) {
                evicted += PulseServer.evictions(statsAfter, reason) - PulseServer.evictions(statsBefore, reason);
            }
            if (evicted < nonReaders.size()) {
                problems.add("evictions grew by " + evicted + " for " + nonReaders.size() + " non-readers");
            }

            // what a non-reader would have seen, had it read: drain what the server managed to send
            for (NonReader n : nonReaders) {
                RawWebSocket.Drained d = n.ws.drain(Duration.ofSeconds(2));
                Report.line("%s drained after the experiment: %d bytes, %d text frames, %d Pings, close frame %s, "
                        + "end of stream %s", n.name, d.bytes(), d.textFrames(), d.pings(),
                        d.close() == null ? "none" : d.close(), d.eof() ? "yes" : "NO (socket still open)");
            }
            Set<String> listed = sessions();
            long missing = healthySessions.stream().filter(id -> !listed.contains(id)).count();
            if (missing > 0) {
                problems.add(missing + " healthy sessions no longer listed");
            }
        } finally {
            nonReaders.forEach(n -> n.ws.close());
            healthy.forEach(RawWebSocket::closeGracefully);
        }
        PulseServer.await(Duration.ofSeconds(3), Duration.ofMillis(200),
                () -> PulseServer.number(server.stats(), "lingering") == 0);
        Report.line("stats after the clients closed their sockets: %s", server.stats());
        if (!problems.isEmpty()) {
            fail(String.join("; ", problems));
        }
    }

    /**
     * A well-behaved client in another JVM, frozen with SIGSTOP: the server must evict it within the bounds after
     * the last Pong it sent, and the close must reach it when it is resumed.
     */
    @Test
    void frozenProcessIsEvicted() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = Path.of(PingAnswerer.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
        Process child = new ProcessBuilder(java, "-Xmx32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                classPath, PingAnswerer.class.getName(), server.ws.toString()).redirectErrorStream(true).start();
        CompletableFuture<String> session = new CompletableFuture<>();
        CompletableFuture<String> closeLine = new CompletableFuture<>();
        AtomicLong lastPong = new AtomicLong();
        List<String> output = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null;) {
                    synchronized (output) {
                        output.add(line);
                    }
                    if (line.startsWith("SESSION ")) {
                        session.complete(line.substring(8).trim());
                    } else if (line.startsWith("PONG ")) {
                        lastPong.set(Long.parseLong(line.substring(5).trim()));
                    } else if (line.startsWith("CLOSE ")) {
                        closeLine.complete(line);
                    }
                }
            } catch (IOException e) {
                // the child is gone
            }
            session.complete(null);
            closeLine.complete(null);
        }, "ping-answerer-output");
        reader.setDaemon(true);
        reader.start();
        try {
            String id = session.get(20, TimeUnit.SECONDS);
            assertTrue(id != null, "child connected: " + output);
            assertTrue(PulseServer.await(Duration.ofMillis(MAX_PING_GAP + 1000), Duration.ofMillis(20),
                    () -> lastPong.get() > 0), "child answered a Ping: " + output);
            long evictionsBefore = PulseServer.evictions(server.stats(), "heartbeat");

            signal("STOP", child.pid());
            long stoppedAt = System.nanoTime();
            long stoppedAtMillis = System.currentTimeMillis();
            Thread.sleep(200); // let the output already written before the stop be read
            long lastPongAt = lastPong.get();
            boolean gone = PulseServer.await(Duration.ofMillis(EVICT_BOUND + SLACK + 3000), Duration.ofMillis(50),
                    () -> !server.listed(id));
            long goneAt = System.nanoTime();
            long goneAtMillis = System.currentTimeMillis();
            long afterStop = PulseServer.millis(stoppedAt, goneAt);
            long afterPong = goneAtMillis - lastPongAt;
            JsonObject stats = server.stats();
            Report.line("SIGSTOPped client: %s %d ms after SIGSTOP, %d ms after its last Pong (sent %d ms before the "
                    + "stop); evictions %s", gone ? "evicted" : "NOT evicted", afterStop, afterPong,
                    stoppedAtMillis - lastPongAt, stats.get("evictions"));
            assertTrue(gone, "frozen client still listed " + afterStop + " ms after SIGSTOP");
            assertTrue(afterStop <= EVICT_BOUND + SLACK, "evicted " + afterStop + " ms after SIGSTOP, its last frame "
                    + "was before that: later than the bound " + EVICT_BOUND + " + " + SLACK);
            // the kernel delivered the last Pong a moment after the child printed it; 20 ms covers the print
            assertTrue(afterPong >= TIMEOUT - 20, "evicted " + afterPong + " ms after its last Pong: sooner than "
                    + "the timeout");
            assertTrue(PulseServer.evictions(stats, "heartbeat") >= evictionsBefore + 1,
                    "evictions.heartbeat grew from " + evictionsBefore + ": " + stats);

            signal("CONT", child.pid());
            String close = closeLine.get(10, TimeUnit.SECONDS);
            Report.line("SIGCONTed client saw: %s", close);
            assertTrue(close != null && close.startsWith("CLOSE 4000 heartbeat timeout"),
                    "after SIGCONT the client reads the close 4000: " + close + ", output " + output);
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private NonReader connectNonReader(String name, List<NonReader> all) throws Exception {
        Set<String> before = sessions();
        NonReader n = new NonReader(name, RawWebSocket.connect(server.ws, Mode.NEVER_READ));
        all.add(n);
        String suffix = ":" + n.ws.localPort();
        String[] found = new String[1];
        assertTrue(PulseServer.await(PulseServer.PATIENCE, Duration.ofMillis(20), () -> {
            for (JsonObject c : server.connections().getValuesAs(JsonObject.class)) {
                String id = c.getString("session");
                String remote = c.isNull("remote") ? null : c.getString("remote", null);
                if (!before.contains(id) && (remote == null || remote.endsWith(suffix))) {
                    found[0] = id;
                    return true;
                }
            }
            return false;
        }), name + " listed in /api/connections");
        n.session = found[0];
        return n;
    }

    /** Sends until the server reports answers waiting in the session's own queue; returns what happened. */
    private String fill(NonReader n) throws Exception {
        String message = floodMessage(n.name);
        long queue = 0;
        long start = System.nanoTime();
        while (n.sent < FILL_MAX) {
            for (int i = 0; i < 5 && n.sent < FILL_MAX; i++) {
                n.ws.sendText(message);
                n.lastFrame = n.ws.lastSentNanos();
                n.sent++;
            }
            Thread.sleep(50);
            Optional<JsonObject> c = server.connection(n.session);
            if (c.isEmpty()) {
                return "evicted while filling, after " + n.sent + " messages";
            }
            queue = PulseServer.number(c.get(), "queue");
            n.maxQueue = Math.max(n.maxQueue, queue);
            if (queue >= 3) {
                break;
            }
        }
        Optional<TcpTable.Entry> s = TcpTable.serverSide(server.http.getPort(), n.ws.localPort());
        Optional<TcpTable.Entry> c = TcpTable.clientSide(server.http.getPort(), n.ws.localPort());
        return n.sent + " messages in " + PulseServer.millisSince(start) + " ms, server queue " + queue
                + (queue < 0 ? " (no \"queue\" in /api/connections)" : "") + "; kernel: server side "
                + s.map(Object::toString).orElse("?") + ", client side " + c.map(Object::toString).orElse("?");
    }

    private void flood(NonReader n) {
        String message = floodMessage(n.name);
        long start = System.nanoTime();
        try {
            for (int i = 0; i < FLOOD_MESSAGES; i++) {
                n.ws.sendText(message);
                n.lastFrame = n.ws.lastSentNanos();
                n.sent++;
            }
            n.sendFailure = null;
        } catch (IOException e) {
            n.sendFailure = e + " after " + PulseServer.millisSince(start) + " ms";
        }
    }

    private static String floodMessage(String name) {
        return "{\"type\":\"nope\",\"id\":\"" + name + "-" + "x".repeat(ID_CHARS) + "\"}";
    }

    private Map<String, JsonObject> listedConnections() {
        Map<String, JsonObject> byId = new LinkedHashMap<>();
        for (JsonObject c : server.connections().getValuesAs(JsonObject.class)) {
            byId.put(c.getString("session"), c);
        }
        return byId;
    }

    private Set<String> sessions() {
        Set<String> ids = new HashSet<>();
        for (JsonObject c : server.connections().getValuesAs(JsonObject.class)) {
            ids.add(c.getString("session"));
        }
        return ids;
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
        }
    }
}
