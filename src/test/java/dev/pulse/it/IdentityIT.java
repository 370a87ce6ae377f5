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
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * Identity and the protected HTTP API (issues 5 and 15) on a server with keys by role, two token keys (rotation),
 * an issuer and {@code pulse.auth.required=true}: minted and hand-made tokens as a subprotocol; tokens failing
 * each check closed with 4001 naming it (and counted by check); ?token= refused while it is off; anonymous
 * connections closed with 4001; the keys' 401/403 by role, JSON-only POSTs (415), CORS only for the configured
 * origin, user: presence. A {@link Bystander} (with a token) watches every test.
 */
@ExtendWith(ArquillianExtension.class)
class IdentityIT {

    static final String ADMIN = "admin-key-0123456789";
    static final String PUBLISH = "publish-key-new-0123456789";
    static final String PUBLISH_OLD = "publish-key-old-0123456789";
    static final String MONITOR = "monitor-key-0123456789";
    static final String SECRET = "it-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
    static final String OLD_SECRET = "it-old-secret-9876543210-ZYXWVUTSRQPONMLKJIHGFE";
    static final String OTHER_SECRET = "another-secret-0123456789-abcdefghijklmnopqrst";
    static final String ISSUER = "https://app.example.com";
    static final String CORS_ORIGIN = "https://app.example.com";
    private static final long STARTED = System.nanoTime();
    private static Bystander bystander;

    @ArquillianResource
    URL deployed;

    PulseServer server;
    Api api;
    int pingsBefore;

    @Deployment(testable = false)
    static WebArchive deployment() {
        return Deployments.pulse().addAsResource(new StringAsset("pulse.api.admin-keys=" + ADMIN + "\n"
                + "pulse.api.publish-keys=" + PUBLISH + "," + PUBLISH_OLD + "\n"
                + "pulse.api.monitor-keys=" + MONITOR + "\n"
                + "pulse.api.cors-origins=" + CORS_ORIGIN + "\n"
                + "pulse.auth.token-keys=k2=" + SECRET + ",k1=" + OLD_SECRET + "\n"
                + "pulse.auth.issuer=" + ISSUER + "\n"
                + "pulse.auth.required=true\n"), "META-INF/microprofile-config.properties");
    }

    @BeforeEach
    void server() throws Exception {
        server = PulseServer.of(deployed);
        api = new Api(server, ADMIN);
        if (bystander == null) {
            bystander = Bystander.start(server.ws, bearer(mint("watcher", 600_000)), api);
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

    /** The browser way of sending a token: the subprotocol bearer.<token> beside pulse.v1. */
    static Map<String, String> bearer(String token) {
        return Map.of("Sec-WebSocket-Protocol", "pulse.v1, bearer." + token);
    }

    /** POST /api/tokens with the admin key; returns the token. */
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

    /** Claims that pass every check, plus {@code more} (",\"nbf\":…"). */
    static String claims(String user, long expSeconds, String more) {
        return claims(user, "pulse", ISSUER, expSeconds, more);
    }

    static String claims(String user, String aud, String iss, long expSeconds, String more) {
        return "{\"sub\":\"" + user + "\",\"aud\":\"" + aud + "\",\"iss\":\"" + iss + "\",\"exp\":" + expSeconds
                + more + "}";
    }

    static String hs256(String secret, String user, long expSeconds) throws Exception {
        return jwt(secret, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims(user, expSeconds, ""));
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

    /** A minted token (subprotocol) identifies the user: welcome, /api/connections, POST /api/users/{user}. */
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
        JsonObject header = PulseServer.parse(new String(Base64.getUrlDecoder().decode(token.split("\\.")[0]),
                StandardCharsets.UTF_8));
        assertEquals("k2", header.getString("kid"), "signed with the first of pulse.auth.token-keys: " + header);
        JsonObject claims = PulseServer.parse(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]),
                StandardCharsets.UTF_8));
        assertEquals("alice", claims.getString("sub"), claims.toString());
        assertEquals("pulse", claims.getString("aud"), claims.toString());
        assertEquals(ISSUER, claims.getString("iss"), claims.toString());
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

        try (Client alice = Client.connect(server.ws, Mode.ANSWER_PINGS, bearer(token), "alice")) {
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
     * Every check a token can fail closes with 4001 and a reason naming it, counted under errors.unauthenticated and
     * auth.rejected.<check>: signature (tampered, another key), algorithm (none), malformed, expired, audience (a
     * token for another service with the same secret), issuer, nbf, crit, an unknown kid, and a token in ?token=
     * while that is off. Hand-made tokens signed with either rotation key, with or without kid, are accepted.
     */
    @Test
    void badTokensCloseWith4001NamingTheCheck() throws Exception {
        long before = api.errors("unauthenticated");
        String good = mint("dave", 600_000);
        String[] parts = good.split("\\.");
        long exp = inSeconds(600_000);
        String forgedClaims = b64(claims("admin", exp, "").getBytes(StandardCharsets.UTF_8));
        String lastChar = parts[2].substring(parts[2].length() - 1);
        String hs = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
        Map<String, String[]> cases = new java.util.LinkedHashMap<>();
        cases.put("claims swapped for sub=admin", new String[] {parts[0] + "." + forgedClaims + "." + parts[2],
            "invalid token: bad signature", "signature"});
        cases.put("signature altered", new String[] {parts[0] + "." + parts[1] + "." + parts[2].substring(0,
            parts[2].length() - 1) + ("A".equals(lastChar) ? "Q" : "A"), "invalid token: bad signature", "signature"});
        cases.put("signed with another key", new String[] {hs256(OTHER_SECRET, "dave", exp),
            "invalid token: bad signature", "signature"});
        cases.put("alg none", new String[] {b64("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
            + "." + parts[1] + ".", "invalid token: algorithm not allowed", "algorithm"});
        cases.put("malformed", new String[] {"not-a-token", "invalid token: malformed", "malformed"});
        cases.put("expired", new String[] {hs256(SECRET, "dave", inSeconds(-60_000)), "token expired", "expired"});
        cases.put("for another service", new String[] {jwt(SECRET, hs, claims("dave", "billing", ISSUER, exp, "")),
            "invalid token: wrong audience", "audience"});
        cases.put("another issuer", new String[] {jwt(SECRET, hs, claims("dave", "pulse", "https://evil.example.com",
            exp, "")), "invalid token: wrong issuer", "issuer"});
        cases.put("not yet valid", new String[] {jwt(SECRET, hs, claims("dave", exp, ",\"nbf\":" + inSeconds(600_000))),
            "invalid token: not yet valid (nbf)", "not_yet_valid"});
        cases.put("crit", new String[] {jwt(SECRET, "{\"alg\":\"HS256\",\"crit\":[\"x-ext\"],\"x-ext\":1}",
            claims("dave", exp, "")), "invalid token: unsupported critical header", "crit"});
        cases.put("unknown kid", new String[] {jwt(SECRET, "{\"alg\":\"HS256\",\"kid\":\"k9\"}", claims("dave", exp,
            "")), "invalid token: unknown key", "unknown_key"});
        JsonObject rejectedBefore = api.stats().getJsonObject("auth").getJsonObject("rejected");
        List<String> outcomes = new ArrayList<>();
        Map<String, Integer> expected = new java.util.HashMap<>();
        for (var c : cases.entrySet()) {
            Close close = refused(server.ws, bearer(c.getValue()[0]));
            outcomes.add(c.getKey() + ": " + close);
            assertTrue(close.frame(), c.getKey() + ": a close frame: " + close);
            assertEquals(4001, close.code(), c.getKey() + ": " + close);
            assertEquals(c.getValue()[1], close.reason(), c.getKey() + ": " + close);
            expected.merge(c.getValue()[2], 1, Integer::sum);
        }
        Close inQuery = refused(Client.withQuery(server.ws, "token", good), Map.of());
        outcomes.add("a valid token in ?token=: " + inQuery);
        assertEquals(4001, inQuery.code(), inQuery.toString());
        assertTrue(inQuery.reason().contains("?token= is off"), inQuery.toString());
        expected.merge("query_param", 1, Integer::sum);
        Report.line("bad tokens: %s", outcomes);
        assertEquals(before + cases.size() + 1, api.errors("unauthenticated"), "every refusal counted");
        JsonObject rejected = api.stats().getJsonObject("auth").getJsonObject("rejected");
        for (var e : expected.entrySet()) {
            assertEquals(rejectedBefore.getInt(e.getKey(), 0) + e.getValue(), rejected.getInt(e.getKey(), 0),
                    "auth.rejected." + e.getKey() + ": " + rejected);
        }

        Map<String, String> rotation = Map.of("erin", hs256(SECRET, "erin", inSeconds(60_000)),
                "fred", jwt(OLD_SECRET, "{\"alg\":\"HS256\",\"kid\":\"k1\"}", claims("fred", inSeconds(60_000), "")),
                "gina", hs256(OLD_SECRET, "gina", inSeconds(60_000)));
        for (var r : rotation.entrySet()) {
            try (Client handMade = Client.connect(server.ws, Mode.ANSWER_PINGS, bearer(r.getValue()), r.getKey())) {
                assertEquals(r.getKey(), handMade.welcome.getString("user"), "a token from any HS256 JWT library, "
                        + "either rotation key, with or without kid");
                handMade.closeGracefully();
            }
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
     * With keys configured every /api call needs one of a role that covers it: none → 401 unauthenticated, unknown
     * → 403, a monitor key only reads, a publish key (either of two, for rotation) also publishes, only the admin key
     * mints tokens and drains. All counted. Health stays open.
     */
    @Test
    void httpApiNeedsAKeyOfTheRightRole() throws Exception {
        long unauthenticated = api.errors("unauthenticated");
        long forbidden = api.errors("forbidden");
        List<String> seen = new ArrayList<>();
        String[] publishes = {"api/topics/keyed/messages", "api/broadcast", "api/users/alice/messages"};
        String[] admin = {"api/tokens", "api/drain"};
        String[] reads = {"api/stats", "api/connections", "api/topics/keyed/presence"};
        int refusals = 0;
        for (String path : concat(publishes, admin)) {
            Api.Answer none = api.postWithout(path, "{\"user\":\"alice\"}");
            seen.add("POST " + path + " without a key -> " + none.status());
            assertEquals(401, none.status(), path + ": " + none);
            assertEquals("unauthenticated", none.json().getString("code"), path + ": " + none);
            assertEquals("Bearer", none.header("WWW-Authenticate"), path);
            for (String key : new String[] {"not-a-key-0123456789", MONITOR}) {
                Api.Answer refused = api.postWithout(path, "{\"user\":\"alice\"}", "Authorization", "Bearer " + key);
                assertEquals(403, refused.status(), path + " with " + key + ": " + refused);
                assertEquals("forbidden", refused.json().getString("code"), path + ": " + refused);
                refusals++;
            }
        }
        for (String path : admin) {
            Api.Answer publisher = api.postWithout(path, "{\"user\":\"alice\"}", "X-Api-Key", PUBLISH);
            assertEquals(403, publisher.status(), "a publish key may not " + path + ": " + publisher);
            refusals++;
        }
        for (String path : reads) {
            Api.Answer none = api.getWithout(path);
            assertEquals(401, none.status(), path + ": " + none);
            Api.Answer wrong = api.getWithout(path, "X-Api-Key", "nope");
            assertEquals(403, wrong.status(), path + ": " + wrong);
            refusals++;
            for (String key : new String[] {MONITOR, PUBLISH, ADMIN}) {
                Api.Answer right = api.getWithout(path, "X-Api-Key", key);
                assertEquals(200, right.status(), path + " with " + key + ": " + right);
            }
        }
        for (String key : new String[] {PUBLISH, PUBLISH_OLD, ADMIN}) {
            Api.Answer published = api.postWithout("api/topics/keyed/messages", "{\"n\":1}", "Authorization",
                    "Bearer " + key);
            assertEquals(202, published.status(), key + ": " + published);
        }
        Api.Answer header = api.postWithout("api/broadcast", "{\"n\":2}", "X-Api-Key", PUBLISH);
        assertEquals(202, header.status(), header.toString());
        Api.Answer health = api.getWithout("health/live");
        assertEquals(200, health.status(), "health needs no key: " + health);
        Report.line("API keys: %s", seen);
        assertEquals(unauthenticated + publishes.length + admin.length + reads.length, api.errors("unauthenticated"),
                "401s counted");
        assertEquals(forbidden + refusals, api.errors("forbidden"), "403s counted");
        bystander.assertUnharmed("calls without the right key", pingsBefore);
    }

    /**
     * A POST that is not {@code application/json} is refused with 415 before anything happens, with or without a
     * key: what a cross-site form can send (text/plain, urlencoded, multipart, none) never publishes. Counted.
     */
    @Test
    void postsMustBeJson() throws Exception {
        long before = api.errors("unsupported_media_type");
        int sent = 0;
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}) {
            for (String path : new String[] {"api/broadcast", "api/topics/csrf/messages", "api/users/alice/messages",
                "api/tokens", "api/drain"}) {
                Api.Answer a = api.postWithout(path, "{\"n\":1}", "X-Api-Key", ADMIN, "Content-Type", type);
                assertEquals(415, a.status(), type + " " + path + ": " + a);
                assertEquals("unsupported_media_type", a.json().getString("code"), a.toString());
                sent++;
            }
        }
        HttpResponse<String> none = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.http.resolve(
                "api/broadcast")).header("X-Api-Key", ADMIN).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(415, none.statusCode(), "no Content-Type: " + none.body());
        assertEquals(before + sent + 1, api.errors("unsupported_media_type"));
        bystander.assertUnharmed("form posts", pingsBefore);
    }

    /** CORS: only the configured origin gets Access-Control-Allow-Origin and a preflight answer; others nothing. */
    @Test
    void corsOnlyForTheConfiguredOrigin() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (String origin : new String[] {CORS_ORIGIN, "https://evil.example.com"}) {
            HttpResponse<String> preflight = http.send(HttpRequest.newBuilder(server.http.resolve("api/broadcast"))
                    .header("Origin", origin).header("Access-Control-Request-Method", "POST")
                    .header("Access-Control-Request-Headers", "content-type, x-api-key")
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> get = http.send(HttpRequest.newBuilder(server.http.resolve("api/stats"))
                    .header("Origin", origin).header("X-Api-Key", MONITOR).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, get.statusCode(), get.body());
            boolean allowed = origin.equals(CORS_ORIGIN);
            Report.line("CORS from %s: preflight %d %s, GET %s", origin, preflight.statusCode(),
                    preflight.headers().map(), get.headers().firstValue("Access-Control-Allow-Origin"));
            assertEquals(allowed ? java.util.Optional.of(origin) : java.util.Optional.empty(),
                    preflight.headers().firstValue("Access-Control-Allow-Origin"), "preflight from " + origin);
            assertEquals(allowed ? java.util.Optional.of(origin) : java.util.Optional.empty(),
                    get.headers().firstValue("Access-Control-Allow-Origin"), "GET from " + origin);
            if (allowed) {
                assertEquals(204, preflight.statusCode());
                assertTrue(preflight.headers().firstValue("Access-Control-Allow-Headers").orElse("").contains("X-Api-Key"));
            }
        }
    }

    /** user: presence over HTTP: a key holder may ask (it sees every topic in /api/connections anyway). */
    @Test
    void userPresenceOverHttpWithAKey() throws Exception {
        try (Client alice = Client.connect(server.ws, Mode.ANSWER_PINGS, bearer(mint("alice", 600_000)), "alice")) {
            Api.Answer a = api.getWithout("api/topics/user:alice/presence", "X-Api-Key", MONITOR);
            assertEquals(200, a.status(), a.toString());
            assertEquals("alice", a.json().getJsonArray("members").getJsonObject(0).getString("user"), a.toString());
            alice.closeGracefully();
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
