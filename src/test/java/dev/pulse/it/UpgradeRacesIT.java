package dev.pulse.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.it.RawWebSocket.Close;
import dev.pulse.it.RawWebSocket.Mode;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue #13 part 3: the races of a handshake that ends at once. Many refused handshakes (4001) in a row must each
 * get a 101 and then their close frame, before the heartbeat sweep could have re-sent it; clients that drop the
 * TCP connection at every point of the upgrade must leave no session listed. On Payara Micro 6.2025.10 the first
 * test fails now and then (the 101 lost, the close frame alone on the wire) and the server log
 * ({@code target/failsafe-reports/payara/dev.pulse.it.UpgradeRacesIT-output.txt}) shows the NullPointerExceptions
 * of sessions closed soon after their handshake: README "Known issues". That test runs only with
 * {@code -Dit.races=true}.
 */
@ExtendWith(ArquillianExtension.class)
class UpgradeRacesIT {

    static final String ADMIN = "admin-key-0123456789";
    static final String SECRET = "it-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
    static final String ISSUER = "https://app.example.com";
    static final int REFUSED = Integer.getInteger("it.races.refused", 300);
    static final int DROPS = Integer.getInteger("it.races.drops", 40);

    @ArquillianResource
    URL deployed;

    PulseServer server;
    Api api;

    @Deployment(testable = false)
    static WebArchive deployment() {
        return Deployments.pulse().addAsResource(new StringAsset("pulse.api.admin-keys=" + ADMIN + "\n"
                + "pulse.auth.token-keys=k2=" + SECRET + "\n"
                + "pulse.auth.issuer=" + ISSUER + "\n"
                + "pulse.limits.per-address=0\n"
                + "pulse.auth.required=true\n"), "META-INF/microprofile-config.properties");
    }

    @BeforeEach
    void server() {
        server = PulseServer.of(deployed);
        api = new Api(server, ADMIN);
    }

    String mint(String user) {
        Api.Answer a = api.post("api/tokens", "{\"user\":\"" + user + "\",\"ttl\":600000}");
        assertEquals(200, a.status(), "POST api/tokens: " + a);
        return a.json().getString("token");
    }

    /**
     * The first close of a refused session goes out a little after the open callback; the sweep sends it again from
     * 1 s on. Every close must arrive as a 4001 frame, and before that second second: one that comes later was
     * lost the first time.
     */
    @Test
    @EnabledIfSystemProperty(named = "it.races", matches = "true", disabledReason = "fails now and then on Payara "
            + "(README, Known issues): run with -Dit.races=true")
    void everyRefusedHandshakeGetsItsCloseFrameAtOnce() throws Exception {
        Map<String, String> bad = Map.of("Sec-WebSocket-Protocol", "pulse.v1, bearer.not-a-token");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<String>> results = new ArrayList<>();
        try {
            for (int i = 0; i < REFUSED; i++) {
                results.add(pool.submit(() -> {
                    try (RawWebSocket ws = RawWebSocket.connect(server.ws, Mode.ANSWER_PINGS, 0, bad)) {
                        Close close = ws.closed().get(PulseServer.PATIENCE.toSeconds(), TimeUnit.SECONDS);
                        long ms = PulseServer.millis(ws.openNanos(), close.atNanos());
                        return close.frame() && close.code() == 4001 && ms < 900 ? null : close + " after " + ms + " ms";
                    } catch (IOException e) { // e.g. the close frame came without the 101 before it
                        return e.toString().replaceAll("[^\\x20-\\x7e]", "?");
                    }
                }));
            }
            List<String> wrong = new ArrayList<>();
            for (Future<String> r : results) {
                String outcome = r.get(2, TimeUnit.MINUTES);
                if (outcome != null) {
                    wrong.add(outcome);
                }
            }
            Report.line("UpgradeRacesIT: %d refused handshakes, %d without a prompt 4001 frame: %s", REFUSED,
                    wrong.size(), wrong);
            assertTrue(wrong.isEmpty(), wrong.size() + " of " + REFUSED + " refused handshakes: " + wrong);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Where a client gives up on its upgrade, resetting the TCP connection (RST: SO_LINGER 0). */
    enum Drop {
        /** right after sending the request */
        AFTER_REQUEST,
        /** as soon as the first byte of the response arrived */
        AFTER_FIRST_BYTE,
        /** once the whole 101 response was read */
        AFTER_101,
        /** half-close (FIN) right after the request; then gone */
        FIN_AFTER_REQUEST
    }

    /** Clients with a valid token drop at every point of the upgrade: none may stay listed. */
    @Test
    void clientsDroppingMidUpgradeLeaveNoSession() throws Exception {
        droppers("dropper", true);
    }

    /** The same with refused handshakes: the close after the open callback meets a connection already gone. */
    @Test
    void refusedClientsDroppingMidUpgrade() throws Exception {
        droppers("refused-dropper", false);
    }

    private void droppers(String prefix, boolean valid) throws Exception {
        List<String> users = new ArrayList<>();
        for (Drop drop : Drop.values()) {
            String user = prefix + "-" + drop.name().toLowerCase();
            users.add(user);
            String token = valid ? mint(user) : "not-a-token";
            for (int i = 0; i < DROPS; i++) {
                dropAt(server.ws, token, drop, i % 4 == 0 ? 0 : i % 4);
            }
        }
        // the heartbeat (25 s) would evict a session whose peer is gone; the container must say so long before
        List<String> left = new ArrayList<>();
        boolean gone = PulseServer.await(Duration.ofSeconds(8), Duration.ofMillis(200), () -> {
            left.clear();
            for (JsonObject c : api.connections().getValuesAs(JsonObject.class)) {
                if (users.contains(c.getString("user", ""))) {
                    left.add(c.getString("user") + "/" + c.getString("session"));
                }
            }
            return left.isEmpty();
        });
        Report.line("UpgradeRacesIT %s: %d drops per point; sessions still listed 8 s on: %s", prefix, DROPS, left);
        assertTrue(gone, "sessions of dropped upgrades still listed: " + left);
    }

    /** Sends the upgrade request and resets the connection at {@code drop}, after {@code pauseMs} more. */
    static void dropAt(URI ws, String token, Drop drop, int pauseMs) throws IOException, InterruptedException {
        byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        String request = "GET " + ws.getRawPath() + " HTTP/1.1\r\n"
                + "Host: " + ws.getHost() + ":" + ws.getPort() + "\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Protocol: pulse.v1, bearer." + token + "\r\n\r\n";
        Socket socket = new Socket(ws.getHost(), ws.getPort());
        try {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            switch (drop) {
                case AFTER_REQUEST -> { }
                case FIN_AFTER_REQUEST -> socket.shutdownOutput();
                case AFTER_FIRST_BYTE -> in.read();
                case AFTER_101 -> {
                    for (int matched = 0, b; matched < 4 && (b = in.read()) >= 0;) {
                        matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
                    }
                }
            }
            if (pauseMs > 0) {
                Thread.sleep(pauseMs);
            }
        } finally {
            if (drop != Drop.FIN_AFTER_REQUEST) {
                socket.setSoLinger(true, 0);
            }
            socket.close();
        }
    }
}
