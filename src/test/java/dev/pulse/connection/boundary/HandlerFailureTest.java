package dev.pulse.connection.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.Arrivals;
import dev.pulse.connection.control.Clock;
import dev.pulse.connection.control.InboundDispatcher;
import dev.pulse.connection.control.SessionListener;
import dev.pulse.connection.entity.Connection;
import dev.pulse.it.RawWebSocket;
import dev.pulse.protocol.Wire;
import dev.pulse.testing.InProcessPulse;
import dev.pulse.testing.TestClient;
import dev.pulse.topic.boundary.TopicMessages;
import dev.pulse.wiring.PulseGraph;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import jakarta.websocket.Session;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 13: a failure of the server's own in any callback of the endpoint is answered (error {@code internal}, or
 * close 1011 where no session can go on), logged and counted, never swallowed; other sessions go on unharmed. The
 * failures come from collaborators that throw once when armed: the new session's attach, the clock of the frame
 * arrivals (text and Pong frames), the clock of the dispatcher (outside its handlers), a message handler, the
 * container's error callback, a listener of closed sessions.
 */
class HandlerFailureTest {

    /** Throws once, at the next reading, when armed. */
    private static final class FailingClock implements Clock {
        final AtomicBoolean armed = new AtomicBoolean();

        @Override
        public long millis() {
            fail();
            return Clock.SYSTEM.millis();
        }

        @Override
        public long nanos() {
            fail();
            return Clock.SYSTEM.nanos();
        }

        private void fail() {
            if (armed.compareAndSet(true, false)) {
                throw new IllegalStateException("injected clock failure");
            }
        }
    }

    private static final FailingClock ARRIVALS = new FailingClock();
    private static final FailingClock DISPATCH = new FailingClock();
    private static final AtomicBoolean ATTACH_FAILS = new AtomicBoolean();

    @RegisterExtension
    static final InProcessPulse PULSE = new InProcessPulse()
            .settings(PulseSettings.builder().heartbeat(1000, 2000).build())
            .endpoint(HandlerFailureTest::endpoint);

    /** The graph's endpoint, with collaborators that fail when armed. */
    private static PulseEndpoint endpoint(PulseGraph graph) {
        Map<String, InboundDispatcher.MessageHandler> handlers = new HashMap<>(
                new TopicMessages(graph.registry(), graph.settings(), graph.topics()).handlers());
        handlers.put("boom", (connection, message) -> {
            throw new IllegalStateException("injected handler failure");
        });
        InboundDispatcher dispatcher = new InboundDispatcher(graph.registry(), graph.settings(), DISPATCH,
                graph.stats(), graph.errors(), handlers);
        return new PulseEndpoint(graph.registry(), new Arrivals(ARRIVALS, graph.stats(), graph.lag()),
                graph.settings(), graph.clock(), graph.stats(), graph.refusals(), graph.shutdown(), graph.admission(),
                graph.errors(), dispatcher, connection -> {
                    if (ATTACH_FAILS.compareAndSet(true, false)) {
                        throw new IllegalStateException("injected attach failure");
                    }
                    graph.topics().attach(connection);
                });
    }

    private TestClient bystander;
    private String victimId;

    @BeforeEach
    void bystander() throws Exception {
        ARRIVALS.armed.set(false);
        DISPATCH.armed.set(false);
        ATTACH_FAILS.set(false);
        bystander = TestClient.connect(PULSE.uri());
        bystander.next("welcome");
    }

    @AfterEach
    void bystanderIsUnharmed() throws Exception {
        try {
            assertTrue(bystander.session().isOpen(), "the bystander's session stays open");
            bystander.send("{\"type\":\"ping\",\"t\":7}");
            assertEquals(7, bystander.next("pong").getInt("t"));
            PULSE.topics().publish("broadcast", "{\"after\":true}");
            assertTrue(bystander.next("message").getJsonObject("data").getBoolean("after"));
        } finally {
            bystander.close();
        }
    }

    @Test
    void aFailedOpenIsClosedWith1011AndLeavesNothingBehind() throws Exception {
        ATTACH_FAILS.set(true);
        RawWebSocket victim = RawWebSocket.connect(PULSE.uri(), RawWebSocket.Mode.ANSWER_PINGS);
        try {
            RawWebSocket.Close close = victim.closed().get(5, TimeUnit.SECONDS);
            assertEquals(1011, close.code(), close.toString());
            assertTrue(close.frame(), "a close frame, not a dropped connection: " + close);
            assertEquals(null, victim.nextText(Duration.ZERO), "no welcome before the close");
            assertEquals(1, PULSE.registry().size(), "only the bystander is registered");
            assertEquals(1L, PULSE.stats().evictions().get("error"));
        } finally {
            victim.close();
        }
    }

    @Test
    void aTextFrameWhoseHandlingFailsIsAnsweredWithInternal() throws Exception {
        try (RawWebSocket victim = welcomed()) {
            DISPATCH.armed.set(true); // the dispatcher's clock: before any message handler runs
            victim.sendText("{\"type\":\"ping\",\"t\":1,\"id\":\"p1\"}");
            JsonObject error = next(victim);
            assertEquals("error", error.getString("type"), error.toString());
            assertEquals("internal", error.getString("code"));
            ARRIVALS.armed.set(true); // the arrivals' clock: before the dispatcher
            victim.sendText("{\"type\":\"ping\",\"t\":2}");
            assertEquals("internal", next(victim).getString("code"));
            victim.sendText("{\"type\":\"boom\",\"id\":\"b1\"}"); // a message handler
            JsonObject boom = next(victim);
            assertEquals("internal", boom.getString("code"));
            assertEquals("b1", boom.getString("ref"));
            victim.sendText("{\"type\":\"ping\",\"t\":3}");
            assertEquals(3, next(victim).getInt("t"), "the session goes on");
            assertEquals(3L, PULSE.stats().errors().get("internal"));
        }
    }

    @Test
    void aPongWhoseHandlingFailsIsAnsweredWithInternal() throws Exception {
        try (RawWebSocket victim = welcomed()) {
            ARRIVALS.armed.set(true);
            victim.sendPong(new byte[16]);
            JsonObject error = next(victim);
            assertEquals("internal", error.getString("code"), error.toString());
            assertEquals(JsonValue.NULL, error.get("ref"));
            assertEquals(1L, PULSE.stats().errors().get("internal"));
            victim.sendText("{\"type\":\"ping\",\"t\":4}");
            assertEquals(4, next(victim).getInt("t"), "the session goes on");
        }
    }

    @Test
    void aFailureTheContainerReportsOnAnOpenSessionIsAnsweredWithInternal() throws Exception {
        try (RawWebSocket victim = welcomed()) {
            Connection connection = victimConnection();
            PULSE.endpoint().onError(session(connection), new IllegalStateException("injected container failure"));
            assertEquals("internal", next(victim).getString("code"));
            assertEquals(1L, PULSE.stats().errors().get("internal"));
            victim.sendText("{\"type\":\"ping\",\"t\":5}");
            assertEquals(5, next(victim).getInt("t"), "the session goes on");
        }
    }

    @Test
    void aCleanupThatFailsIsCountedAndTheSessionIsForgottenAllTheSame() throws Exception {
        RawWebSocket victim = welcomed();
        Connection connection = victimConnection();
        PULSE.registry().listen(new SessionListener() {
            @Override
            public void gone(Connection gone, boolean evicted) {
                if (gone == connection) {
                    throw new IllegalStateException("injected cleanup failure");
                }
            }
        });
        victim.closeGracefully();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (PULSE.stats().errors().get("internal") == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1L, PULSE.stats().errors().get("internal"), "counted");
        assertFalse(PULSE.registry().find(connection.id()).isPresent(), "forgotten");
        assertEquals(1, PULSE.registry().size());
    }

    private RawWebSocket welcomed() throws Exception {
        RawWebSocket victim = RawWebSocket.connect(PULSE.uri(), RawWebSocket.Mode.ANSWER_PINGS);
        JsonObject welcome = next(victim);
        assertEquals("welcome", welcome.getString("type"));
        victimId = welcome.getString("session");
        return victim;
    }

    private static JsonObject next(RawWebSocket ws) throws InterruptedException {
        String text = ws.nextText(Duration.ofSeconds(5));
        assertNotNull(text, "no answer within 5 s");
        return (JsonObject) Wire.parse(text);
    }

    private Connection victimConnection() {
        return PULSE.registry().find(victimId).orElseThrow();
    }

    /** A session as the container hands it to onError: only what the endpoint reads of it. */
    private static Session session(Connection connection) {
        Map<String, Object> properties = new HashMap<>(Map.of(Connection.class.getName(), connection));
        return (Session) Proxy.newProxyInstance(Session.class.getClassLoader(), new Class<?>[] {Session.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getUserProperties" -> properties;
                    case "isOpen" -> true;
                    case "getId" -> connection.id();
                    case "toString" -> "session " + connection.id();
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
