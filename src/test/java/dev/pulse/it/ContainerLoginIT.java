package dev.pulse.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pulse.it.RawWebSocket.HandshakeRefused;
import dev.pulse.it.RawWebSocket.Mode;
import jakarta.json.JsonObject;
import java.io.File;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The container's own login names the Pulse user (the contract's "the handshake's authenticated principal"): the
 * WAR with {@code server-config/container-login/web.xml} (HTTP Basic on /ws, any user of the server's realm) and
 * {@code pulse.auth.required=true}, on a server with realm users alice and bob (WildFly: add-user.sh into the
 * application realm; Payara Micro: the file realm, src/test/payara/). Without or with wrong credentials the
 * container refuses the handshake with 401 before Pulse sees it.
 */
@ExtendWith(ArquillianExtension.class)
class ContainerLoginIT {

    static final String ALICE = "alice-password-15";
    static final String BOB = "bob-password-15";

    @ArquillianResource
    URL deployed;

    PulseServer server;
    Api api;

    @Deployment(testable = false)
    static WebArchive deployment() {
        return Deployments.pulse().addAsWebInfResource(new File("server-config/container-login/web.xml"), "web.xml")
                .addAsResource(new StringAsset("pulse.auth.required=true\n"), "META-INF/microprofile-config.properties");
    }

    @BeforeEach
    void server() {
        server = PulseServer.of(deployed);
        api = new Api(server);
    }

    static Map<String, String> basic(String user, String password) {
        return Map.of("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theLoggedInPrincipalIsThePulseUser() throws Exception {
        try (Client alice = Client.connect(server.ws, Mode.ANSWER_PINGS, basic("alice", ALICE), "alice");
                Client bob = Client.connect(server.ws, Mode.ANSWER_PINGS, basic("bob", BOB), "bob")) {
            assertEquals("alice", alice.welcome.getString("user"), alice.welcome.toString());
            assertEquals("bob", bob.welcome.getString("user"), bob.welcome.toString());
            JsonObject entry = api.connection(alice.session).orElseThrow();
            assertEquals("alice", entry.getString("user"), entry.toString());
            assertTrue(entry.getJsonArray("topics").toString().contains("user:alice"), entry.toString());
            Api.Answer toAlice = api.post("api/users/alice/messages", "{\"hi\":\"alice\"}");
            assertEquals(202, toAlice.status(), toAlice.toString());
            assertEquals("user:alice", alice.expect("message").getString("topic"));
            Report.line("container login (%s): %s", System.getProperty("it.container"), alice.welcome);
            alice.closeGracefully();
            bob.closeGracefully();
        }
    }

    @Test
    void withoutOrWithWrongCredentialsTheContainerRefusesTheHandshake() throws Exception {
        long unauthenticated = api.errors("unauthenticated");
        for (Map<String, String> headers : java.util.List.of(Map.<String, String>of(), basic("alice", "wrong"),
                basic("mallory", ALICE))) {
            try (RawWebSocket ws = RawWebSocket.connect(server.ws, Mode.ANSWER_PINGS, 0, headers)) {
                fail("a handshake with " + headers + " was accepted: " + ws.nextText(java.time.Duration.ofSeconds(1)));
            } catch (HandshakeRefused e) {
                assertEquals(401, e.status(), headers + ": " + e.response());
                assertTrue(e.response().toLowerCase(java.util.Locale.ROOT).contains("www-authenticate: basic"),
                        e.response());
            }
        }
        assertEquals(unauthenticated, api.errors("unauthenticated"), "Pulse never saw them");
    }

    /**
     * user: presence over HTTP is checked as on the socket: anonymous callers of an open API get 403 for a user's
     * topic (other topics stay readable). WildFly authenticates a request that brings credentials on any path, so
     * there alice may ask for her own and bob may not; Payara only on paths with a constraint (/ws here).
     */
    @Test
    void userPresenceOverHttpIsCheckedLikeTheSocket() throws Exception {
        try (Client alice = Client.connect(server.ws, Mode.ANSWER_PINGS, basic("alice", ALICE), "alice")) {
            Api.Answer anonymous = api.getWithout("api/topics/user:alice/presence");
            assertEquals(403, anonymous.status(), anonymous.toString());
            assertEquals("forbidden", anonymous.json().getString("code"));
            assertEquals(200, api.getWithout("api/topics/broadcast/presence").status());
            if ("wildfly".equals(System.getProperty("it.container"))) {
                Api.Answer own = api.getWithout("api/topics/user:alice/presence", "Authorization",
                        basic("alice", ALICE).get("Authorization"));
                assertEquals(200, own.status(), own.toString());
                assertEquals("alice", own.json().getJsonArray("members").getJsonObject(0).getString("user"));
                Api.Answer other = api.getWithout("api/topics/user:alice/presence", "Authorization",
                        basic("bob", BOB).get("Authorization"));
                assertEquals(403, other.status(), other.toString());
            }
            alice.closeGracefully();
        }
    }
}
