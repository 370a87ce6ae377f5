package dev.pulse.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.it.RawWebSocket.Close;
import dev.pulse.it.RawWebSocket.Mode;
import jakarta.json.JsonObject;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Identity and the protected HTTP API (issue 5) on a server with {@code pulse.api.key}, a token secret and
 * {@code pulse.auth.required=true}: minted and hand-made tokens in the query or as a subprotocol, tampered,
 * expired and foreign ones closed with 4001, anonymous connections closed with 4001, the API key's 401/403.
 * A {@link Bystander} (with a token) watches every test.
 */
@ExtendWith(ArquillianExtension.class)
class IdentityIT {

    static final String KEY = "k1";
    static final String SECRET = "it-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
    static final String OTHER_SECRET = "another-secret-0123456789-abcdefghijklmnopqrst";
    private static final long STARTED = System.nanoTime();
    private static Bystander bystander;

    @ArquillianResource
    URL deployed;

    PulseServer server;
    Api api;
    int pingsBefore;

    @Deployment(testable = false)
    static WebArchive deployment() {
        return Deployments.pulse().addAsResource(new StringAsset("pulse.api.key=" + KEY + "\n"
                + "pulse.auth.token-secret=" + SECRET + "\n"
                + "pulse.auth.required=true\n"), "META-INF/microprofile-config.properties");
    }

    @BeforeEach
    void server() throws Exception {
        server = PulseServer.of(deployed);
        api = new Api(server, KEY);
        if (bystander == null) {
            bystander = Bystander.start(Client.withQuery(server.ws, "token", mint("watcher", 600_000)), api);
            assertEquals("watcher", bystander.welcome().getString("user"), bystander.welcome().toString());
        }
        pingsBefore = bystander.pings();
    }

    @AfterAll
    static void took() {
        if (bystander != null) {
            bystander.close();
            bystander = null;
        }
        Report.line("IdentityIT class took %d ms (deployment included)", PulseServer.millisSince(STARTED));
    }

    /** POST /api/tokens with the key; returns the token. */
    String mint(String user, long ttl) {
        Api.Answer a = api.post("api/tokens", "{\"user\":\"" + user + "\",\"ttl\":" + ttl + "}");
        assertEquals(200, a.status(), "POST api/tokens: " + a);
        return a.json().getString("token");
    }

    static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A JWT made the way any JWT library makes one: base64url(header).base64url(claims).HMAC-SHA256. */
    static String jwt(String secret, String header, String claims) throws Exception {
        String unsigned = b64(header.getBytes(StandardCharsets.UTF_8)) + "." + b64(claims.getBytes(StandardCharsets.UTF_8));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return unsigned + "." + b64(mac.doFinal(unsigned.getBytes(StandardCharsets.UTF_8)));
    }

    static String hs256(String secret, String user, long expSeconds) throws Exception {
        return jwt(secret, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{\"sub\":\"" + user + "\",\"exp\":" + expSeconds + "}");
    }

    static long inSeconds(long millisFromNow) {
        return (System.currentTimeMillis() + millisFromNow) / 1000;
    }

    /** Connects and expects the server to close with 4001 right after the handshake, before any welcome. */
    Close refused(URI uri, Map<String, String> headers) throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(uri, Mode.ANSWER_PINGS, 0, headers)) {
            Close close;
            try {
                close = ws.closed().get(PulseServer.PATIENCE.toSeconds(), TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("not closed within " + PulseServer.PATIENCE + ": " + uri + ", got "
                        + ws.nextText(Duration.ZERO));
            }
            assertNull(ws.nextText(Duration.ZERO), "no welcome before the 4001 close of " + uri);
            return close;
        }
    }

    /** A minted token in ?token= identifies the user: welcome, /api/connections, POST /api/users/{user}. */
    @Test
    void mintedTokenIdentifiesTheUser() throws Exception {
        long before = System.currentTimeMillis();
        Api.Answer minted = api.post("api/tokens", "{\"user\":\"alice\",\"ttl\":600000}");
        assertEquals(200, minted.status(), minted.toString());
        JsonObject m = minted.json();
        assertEquals("alice", m.getString("user"), m.toString());
        long expiresAt = m.getJsonNumber("expiresAt").longValue();
        assertTrue(expiresAt >= before + 600_000 - 1000 && expiresAt <= System.currentTimeMillis() + 600_000,
                "expiresAt about now + ttl: " + m);
        String token = m.getString("token");
        assertEquals(3, token.split("\\.").length, "a JWT: " + token);
        JsonObject claims = PulseServer.parse(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]),
                StandardCharsets.UTF_8));
        assertEquals("alice", claims.getString("sub"), claims.toString());
        assertEquals(expiresAt / 1000, claims.getJsonNumber("exp").longValue(), claims.toString());

        Api.Answer defaultTtl = api.post("api/tokens", "{\"user\":\"alice\"}");
        assertEquals(200, defaultTtl.status(), defaultTtl.toString());
        long defaultExpiry = defaultTtl.json().getJsonNumber("expiresAt").longValue() - System.currentTimeMillis();
        assertTrue(defaultExpiry > 3_590_000 && defaultExpiry <= 3_600_000, "default ttl 1 h: " + defaultTtl);
        for (String bad : new String[] {"{\"user\":\"bad name\"}", "{}", "{\"user\":\"alice\",\"ttl\":-5}", "[1]"}) {
            Api.Answer a = api.post("api/tokens", bad);
            assertEquals(400, a.status(), bad + ": " + a);
            assertEquals("bad_request", a.json().getString("code"), bad + ": " + a);
        }

        try (Client alice = Client.connect(Client.withQuery(server.ws, "token", token), Mode.ANSWER_PINGS, Map.of(),
                "alice")) {
            assertEquals("alice", alice.welcome.getString("user"), alice.welcome.toString());
            JsonObject entry = api.connection(alice.session).orElseThrow();
            assertEquals("alice", entry.getString("user"), entry.toString());
            Api.Answer toAlice = api.post("api/users/alice/messages", "{\"hi\":\"alice\"}");
            assertEquals(202, toAlice.status(), toAlice.toString());
            JsonObject msg = alice.expect("message");
            assertEquals("user:alice", msg.getString("topic"), msg.toString());
            alice.closeGracefully();
        }
        bystander.assertUnharmed("token logins", pingsBefore);
    }

    /**
     * The browser way: subprotocols ["pulse.v1", "bearer.<token>"]; the server selects pulse.v1. Over the raw
     * client (checking the 101 header) and the JDK's WebSocket client (which checks the selection itself).
     */
    @Test
    void tokenAsSubprotocolWorksAndTheServerSelectsPulseV1() throws Exception {
        String token = mint("bea", 600_000);
        try (Client bea = Client.connect(server.ws, Mode.ANSWER_PINGS,
                Map.of("Sec-WebSocket-Protocol", "pulse.v1, bearer." + token), "bea")) {
            assertEquals("pulse.v1", bea.ws.responseHeader("Sec-WebSocket-Protocol"), "selected subprotocol");
            assertEquals("bea", bea.welcome.getString("user"), bea.welcome.toString());
            bea.closeGracefully();
        }
        CompletableFuture<String> first = new CompletableFuture<>();
        WebSocket jdk = HttpClient.newHttpClient().newWebSocketBuilder().subprotocols("pulse.v1", "bearer." + token)
                .buildAsync(server.ws, new WebSocket.Listener() {
                    final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            first.complete(text.toString());
                        }
                        ws.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                        first.complete("closed " + code + " " + reason);
                        return null;
                    }
                }).get(PulseServer.PATIENCE.toSeconds(), TimeUnit.SECONDS);
        try {
            assertEquals("pulse.v1", jdk.getSubprotocol(), "JDK client: selected subprotocol");
            JsonObject welcome = PulseServer.parse(first.get(PulseServer.PATIENCE.toSeconds(), TimeUnit.SECONDS));
            assertEquals("bea", welcome.getString("user"), "JDK client: " + welcome);
        } finally {
            jdk.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
            jdk.abort();
        }
        bystander.assertUnharmed("subprotocol tokens", pingsBefore);
    }

    /**
     * Tampered, signed with another key, malformed, unsigned (alg none) → 4001 "invalid token"; expired → 4001
     * "token expired"; all counted as unauthenticated. A token made by hand with the configured secret (as any JWT
     * library would) is accepted.
     */
    @Test
    void badTokensCloseWith4001() throws Exception {
        long before = api.errors("unauthenticated");
        String good = mint("dave", 600_000);
        String[] parts = good.split("\\.");
        String forgedClaims = b64(("{\"sub\":\"admin\",\"exp\":" + inSeconds(600_000) + "}")
                .getBytes(StandardCharsets.UTF_8));
        String lastChar = parts[2].substring(parts[2].length() - 1);
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("claims swapped for sub=admin", parts[0] + "." + forgedClaims + "." + parts[2]);
        cases.put("signature altered", parts[0] + "." + parts[1] + "." + parts[2].substring(0, parts[2].length() - 1)
                + ("A".equals(lastChar) ? "Q" : "A"));
        cases.put("signed with another key", hs256(OTHER_SECRET, "dave", inSeconds(600_000)));
        cases.put("alg none", b64("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + parts[1] + ".");
        cases.put("malformed", "not-a-token");
        cases.put("expired", hs256(SECRET, "dave", inSeconds(-60_000)));
        List<String> outcomes = new ArrayList<>();
        for (var c : cases.entrySet()) {
            Close close = refused(Client.withQuery(server.ws, "token", c.getValue()), Map.of());
            outcomes.add(c.getKey() + ": " + close);
            assertTrue(close.frame(), c.getKey() + ": a close frame: " + close);
            assertEquals(4001, close.code(), c.getKey() + ": " + close);
            assertEquals(c.getKey().equals("expired") ? "token expired" : "invalid token", close.reason(),
                    c.getKey() + ": " + close);
        }
        // the same, as a subprotocol
        Close viaProtocol = refused(server.ws, Map.of("Sec-WebSocket-Protocol", "pulse.v1, bearer." + cases.get(
                "signed with another key")));
        outcomes.add("another key as subprotocol: " + viaProtocol);
        assertEquals(4001, viaProtocol.code(), viaProtocol.toString());
        Report.line("bad tokens: %s", outcomes);
        assertEquals(before + cases.size() + 1, api.errors("unauthenticated"), "every refusal counted");

        try (Client handMade = Client.connect(Client.withQuery(server.ws, "token", hs256(SECRET, "erin",
                inSeconds(60_000))), Mode.ANSWER_PINGS, Map.of(), "erin")) {
            assertEquals("erin", handMade.welcome.getString("user"), "a token from any HS256 JWT library");
            handMade.closeGracefully();
        }
        bystander.assertUnharmed("bad tokens", pingsBefore);
    }

    /** With pulse.auth.required=true an anonymous connection is closed with 4001; ?user= is off by default. */
    @Test
    void anonymousConnectionsAreClosedWhenAuthIsRequired() throws Exception {
        long before = api.errors("unauthenticated");
        Close anonymous = refused(server.ws, Map.of());
        Close userParam = refused(Client.withQuery(server.ws, "user", "alice"), Map.of());
        Report.line("auth required: anonymous %s, ?user=alice %s", anonymous, userParam);
        assertEquals(4001, anonymous.code(), anonymous.toString());
        assertEquals("authentication required", anonymous.reason(), anonymous.toString());
        assertEquals(4001, userParam.code(), "?user= identifies nobody unless enabled: " + userParam);
        assertEquals(before + 2, api.errors("unauthenticated"));
        bystander.assertUnharmed("anonymous connections", pingsBefore);
    }

    /**
     * With pulse.api.key set every /api call needs it: none → 401 unauthenticated, wrong → 403 forbidden (both
     * counted), right (Bearer or X-Api-Key) → the answer. Health stays open.
     */
    @Test
    void httpApiNeedsTheKey() throws Exception {
        long unauthenticated = api.errors("unauthenticated");
        long forbidden = api.errors("forbidden");
        List<String> seen = new ArrayList<>();
        String[] posts = {"api/topics/keyed/messages", "api/broadcast", "api/users/alice/messages", "api/tokens"};
        for (String path : posts) {
            Api.Answer none = api.postWithout(path, "{\"user\":\"alice\"}");
            seen.add("POST " + path + " without a key -> " + none.status() + " WWW-Authenticate: "
                    + none.header("WWW-Authenticate"));
            assertEquals(401, none.status(), path + ": " + none);
            assertEquals("unauthenticated", none.json().getString("code"), path + ": " + none);
            Api.Answer wrong = api.postWithout(path, "{\"user\":\"alice\"}", "Authorization", "Bearer k2");
            assertEquals(403, wrong.status(), path + ": " + wrong);
            assertEquals("forbidden", wrong.json().getString("code"), path + ": " + wrong);
        }
        for (String path : new String[] {"api/stats", "api/connections", "api/topics/keyed/presence"}) {
            Api.Answer none = api.getWithout(path);
            assertEquals(401, none.status(), path + ": " + none);
            assertEquals("unauthenticated", none.json().getString("code"), path + ": " + none);
            Api.Answer wrong = api.getWithout(path, "X-Api-Key", "nope");
            assertEquals(403, wrong.status(), path + ": " + wrong);
            Api.Answer right = api.getWithout(path, "X-Api-Key", KEY);
            assertEquals(200, right.status(), path + " with X-Api-Key: " + right);
        }
        Api.Answer bearer = api.postWithout("api/topics/keyed/messages", "{\"n\":1}", "Authorization", "Bearer " + KEY);
        assertEquals(202, bearer.status(), bearer.toString());
        Api.Answer header = api.postWithout("api/broadcast", "{\"n\":2}", "X-Api-Key", KEY);
        assertEquals(202, header.status(), header.toString());
        Api.Answer health = api.getWithout("health/live");
        assertEquals(200, health.status(), "health needs no key: " + health);
        Report.line("API key: %s", seen);
        assertEquals(unauthenticated + posts.length + 3, api.errors("unauthenticated"), "401s counted");
        assertEquals(forbidden + posts.length + 3, api.errors("forbidden"), "403s counted");
        bystander.assertUnharmed("calls without the API key", pingsBefore);
    }
}
