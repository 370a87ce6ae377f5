package dev.pulse.connection.boundary;


import dev.pulse.config.AuthSettings;
import dev.pulse.config.Guard;
import dev.pulse.config.PulseSettings;
import dev.pulse.identity.control.Tokens;
import dev.pulse.identity.entity.AuthFailure;
import dev.pulse.testing.InProcessPulse;
import dev.pulse.testing.TestClient;
import jakarta.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bad-input rows and identity on Tyrus's in-process server; each test also checks that a healthy session
 * beside the abuser still gets its messages.
 */
class GuardEndpointTest {

    private static final String SECRET = "q7Vt2mZp9LxR4cWn8HsJ3dKf6GbY1eUa";
    @RegisterExtension
    static final InProcessPulse PULSE = new InProcessPulse()
            .settings(settings(Guard.defaults().withRate(5).withAuth(false, SECRET, null)));

    private static PulseSettings settings(Guard guard) {
        return PulseSettings.builder().heartbeat(1000, 2000).guard(guard).build();
    }

    /** This test's node with another guard; before any client connects. */
    private static void configure(Guard guard) throws Exception {
        PULSE.use(settings(guard));
    }

    private static TestClient healthy() throws Exception {
        return healthy(PULSE.uri(), Map.of());
    }

    /** A session beside the abuser that must not notice it, connected as the test's guard lets it. */
    private static TestClient healthy(java.net.URI uri, Map<String, String> headers) throws Exception {
        TestClient client = TestClient.connect(uri, headers, List.of());
        client.next("welcome");
        client.send("{\"type\":\"subscribe\",\"topic\":\"health\"}");
        client.next("subscribed");
        return client;
    }

    /** The healthy session still gets a freshly published message. */
    private static void assertStillServed(TestClient healthy) throws Exception {
        PULSE.topics().publish("health", "\"still here\"");
        assertEquals("still here", healthy.next("message").getString("data"));
        assertTrue(healthy.session().isOpen());
    }

    @Test
    void messagesOverTheRateAreDroppedWithOneErrorASecond() throws Exception {
        try (TestClient other = healthy(); TestClient client = TestClient.connect(PULSE.uri())) {
            client.next("welcome");
            for (int i = 0; i < 14; i++) { // bucket of 10 at 5/s
                client.send("{\"type\":\"ping\",\"t\":" + i + ",\"id\":\"p" + i + "\"}");
            }
            int pongs = 0;
            int limited = 0;
            String ref = null;
            for (int i = 0; i < 11; i++) {
                JsonObject m = client.next();
                if (m.getString("type").equals("pong")) {
                    pongs++;
                } else if (m.getString("code", "").equals("rate_limited")) {
                    limited++;
                    ref = m.getString("ref", null);
                }
            }
            assertEquals(10, pongs);
            assertEquals(1, limited, "one rate_limited error, not one per drop");
            assertEquals("p10", ref, "the error names the first message it dropped by its id, as every error does");
            JsonObject late;
            while ((late = client.messages.poll(300, java.util.concurrent.TimeUnit.MILLISECONDS)) != null) {
                if (late.getString("type").equals("pong")) {
                    pongs++; // the bucket refilled meanwhile
                }
            }
            assertEquals(14 - pongs, PULSE.stats().errors().get("rate_limited"), "every dropped message counted");
            assertTrue(client.session().isOpen(), "dropping is not closing");
            assertStillServed(other);
        }
    }

    @Test
    void aSustainedFloodIsClosedWith1008() throws Exception {
        try (TestClient other = healthy(); TestClient client = TestClient.connect(PULSE.uri())) {
            client.next("welcome");
            // a full bucket (2R = 10), then R + 1 = 6 drops: the flood (one spare for a token refilled meanwhile);
            // no more, so that no send of the client races the server's close (the client would report 1006)
            for (int i = 0; i < 17; i++) {
                try {
                    client.send("{\"type\":\"ping\",\"t\":1}");
                } catch (Exception closedMeanwhile) {
                    break;
                }
            }
            assertEquals(1008, client.awaitClose().getCloseCode().getCode());
            assertEquals(1L, PULSE.stats().errors().get("flood"));
            assertStillServed(other);
        }
    }

    @Test
    void aForeignOriginIsRefusedAndNoOriginIsAllowed() throws Exception {
        configure(Guard.defaults().withOrigins(Set.of("https://app.example")));
        try (TestClient other = healthy(PULSE.uri(), Map.of("Origin", "https://app.example"))) {
            assertThrows(Exception.class, () -> TestClient.connect(PULSE.uri(),
                    Map.of("Origin", "https://evil.example"), List.of()));
            try (TestClient allowed = TestClient.connect(PULSE.uri(), Map.of("Origin", "https://app.example"),
                    List.of())) {
                assertEquals("welcome", allowed.next().getString("type"));
            }
            try (TestClient withoutOrigin = TestClient.connect(PULSE.uri(), Map.of("Origin", ""), List.of())) {
                assertEquals("welcome", withoutOrigin.next().getString("type"), "non-browser clients send none");
            }
            assertEquals(1L, PULSE.stats().errors().get("origin"));
            assertStillServed(other);
        }
    }

    private static String mint(String user, long ttl) {
        long now = System.currentTimeMillis();
        return PULSE.graph().tokens().mint(user, now + ttl, now);
    }

    private static TestClient withToken(String token) throws Exception {
        return TestClient.connect(PULSE.uri(), Map.of(), List.of(HandshakeConfigurator.SUBPROTOCOL, "bearer." + token));
    }

    @Test
    void aValidTokenAsSubprotocolNamesTheUser() throws Exception {
        String token = mint("alice", 60_000);
        try (TestClient byProtocol = withToken(token)) {
            assertEquals("alice", byProtocol.next("welcome").getString("user"));
            assertEquals(HandshakeConfigurator.SUBPROTOCOL, byProtocol.session().getNegotiatedSubprotocol());
        }
    }

    @Test
    void aTokenInTheQueryIsRefusedUnlessEnabled() throws Exception {
        String token = mint("alice", 60_000);
        try (TestClient other = healthy(); TestClient byQuery = TestClient.connect(PULSE.uri("token=" + token))) {
            var close = byQuery.awaitClose();
            assertEquals(4001, close.getCloseCode().getCode());
            assertEquals(AuthFailure.QUERY_PARAM.reason(), close.getReasonPhrase());
            assertEquals(1L, PULSE.stats().rejections().get("query_param"));
            assertStillServed(other);
        }
        configure(Guard.defaults().withAuth(AuthSettings.builder().secret(SECRET).tokenQueryParam(true).build()));
        try (TestClient byQuery = TestClient.connect(PULSE.uri("token=" + mint("alice", 60_000)))) {
            assertEquals("alice", byQuery.next("welcome").getString("user"), "pulse.auth.token-query-param=true");
        }
    }

    @Test
    void tamperedExpiredOrForeignTokensAreClosedWith4001NamingTheCheck() throws Exception {
        String valid = mint("alice", 60_000);
        String[] parts = valid.split("\\.");
        String tampered = parts[0] + "." + parts[1] + "." + (parts[2].startsWith("A") ? "B" : "A")
                + parts[2].substring(1);
        String expired = mint("alice", -60_000);
        String foreign = new Tokens(AuthSettings.builder().secret("Zr8Qw3Nx6Tb1Ym4Kc7Vd2Hf5Jg9Ls0Pa").build(),
                new java.security.SecureRandom()).mint("alice", System.currentTimeMillis() + 60_000,
                System.currentTimeMillis());
        try (TestClient other = healthy()) {
            for (Object[] c : new Object[][] {{tampered, AuthFailure.SIGNATURE}, {expired, AuthFailure.EXPIRED},
                {foreign, AuthFailure.SIGNATURE}}) {
                try (TestClient client = withToken((String) c[0])) {
                    var reason = client.awaitClose();
                    assertEquals(4001, reason.getCloseCode().getCode(), c[1].toString());
                    assertEquals(((AuthFailure) c[1]).reason(), reason.getReasonPhrase());
                }
            }
            assertEquals(3L, PULSE.stats().errors().get("unauthenticated"));
            assertEquals(Map.of("signature", 2L, "expired", 1L), PULSE.stats().rejections());
            assertStillServed(other);
        }
    }

    @Test
    void anonymousConnectionsAreClosedWith4001WhenAuthIsRequired() throws Exception {
        configure(Guard.defaults().withAuth(true, SECRET, null));
        try (TestClient other = withToken(mint("carol", 60_000))) {
            other.next("welcome");
            other.send("{\"type\":\"subscribe\",\"topic\":\"health\"}");
            other.next("subscribed");
            try (TestClient anonymous = TestClient.connect(PULSE.uri())) {
                var close = anonymous.awaitClose();
                assertEquals(4001, close.getCloseCode().getCode());
                assertEquals("authentication required", close.getReasonPhrase());
            }
            try (TestClient bob = withToken(mint("bob", 60_000))) {
                assertEquals("bob", bob.next("welcome").getString("user"));
            }
            assertStillServed(other);
        }
    }

    @Test
    void tooManyTopicsForOneSessionIsForbidden() throws Exception {
        configure(Guard.defaults().withLimits(0, 3));
        try (TestClient other = healthy(); TestClient client = TestClient.connect(PULSE.uri())) {
            client.next("welcome");
            for (int i = 0; i < 3; i++) {
                client.send("{\"type\":\"subscribe\",\"topic\":\"t" + i + "\"}");
                client.next("subscribed");
            }
            client.send("{\"type\":\"subscribe\",\"topic\":\"t0\"}");
            assertEquals("subscribed", client.next().getString("type"), "a repeated subscribe is no new topic");
            client.send("{\"type\":\"subscribe\",\"topic\":\"t3\",\"id\":\"s4\"}");
            JsonObject error = client.next();
            assertEquals("forbidden", error.getString("code"));
            assertEquals("s4", error.getString("ref"));
            assertStillServed(other);
        }
    }
}
