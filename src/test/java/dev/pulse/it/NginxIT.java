package dev.pulse.it;

import static dev.pulse.it.PulseServer.EVICT_BOUND;
import static dev.pulse.it.PulseServer.INTERVAL;
import static dev.pulse.it.PulseServer.SLACK;
import static dev.pulse.it.PulseServer.TICK;
import static dev.pulse.it.PulseServer.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pulse.it.RawWebSocket.Close;
import dev.pulse.it.RawWebSocket.HandshakeRefused;
import dev.pulse.it.RawWebSocket.Mode;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import java.net.InetAddress;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Pulse behind the project's own nginx configuration, with {@code pulse.proxies=127.0.0.1}: the WebSocket and its
 * Pings pass the proxy, a silent peer is still evicted through it, and every client counts as itself (its own
 * loopback address, 127.0.0.2 and up) for {@code remote} and the per-address limit, whatever header it forges.
 */
@ExtendWith(ArquillianExtension.class)
class NginxIT {

    static final int PER_ADDRESS = 2;
    private static final long STARTED = System.nanoTime();

    @ArquillianResource
    URL deployed;

    PulseServer direct;

    @Deployment(testable = false)
    static WebArchive deployment() {
        return Deployments.pulse().addAsResource(new StringAsset("pulse.proxies=127.0.0.1\n"
                + "pulse.limits.per-address=" + PER_ADDRESS + "\n"), "META-INF/microprofile-config.properties");
    }

    @BeforeEach
    void server() {
        if (Nginx.binary() == null) {
            assertTrue(System.getenv("CI") == null, "CI must have nginx: .ci/run installs it");
            Assumptions.abort("nginx is not installed here");
        }
        direct = PulseServer.of(deployed);
    }

    @AfterAll
    static void took() {
        Report.line("NginxIT class took %d ms (deployment included)", PulseServer.millisSince(STARTED));
    }

    /** Through nginx: the welcome, a Ping every interval, the round trip in /api/connections, the client's address. */
    @Test
    void theWebSocketAndItsPingsPassTheProxyAndTheClientKeepsItsAddress() throws Exception {
        try (Nginx nginx = Nginx.start(deployed.getPort());
                RawWebSocket ws = connect(proxied(nginx), Mode.ANSWER_PINGS, "127.0.0.2", Map.of())) {
            PulseServer proxied = proxied(nginx);
            String session = Messages.welcome(ws);
            long deadline = 3 * (INTERVAL + TICK + SLACK);
            assertTrue(PulseServer.await(Duration.ofMillis(deadline), Duration.ofMillis(20), () -> ws.pingCount() >= 2),
                    "2 Pings through nginx within " + deadline + " ms, got " + ws.pingCount());
            JsonObject[] entry = new JsonObject[1];
            boolean measured = PulseServer.await(PulseServer.PATIENCE, Duration.ofMillis(100), () -> {
                entry[0] = proxied.connection(session).orElse(null); // the HTTP API through nginx too
                return entry[0] != null && entry[0].get("rttMs") instanceof JsonNumber;
            });
            assertTrue(measured, "rttMs of " + session + " through nginx: " + entry[0]);
            Report.line("through nginx: %s", entry[0]);
            assertEquals("127.0.0.2", entry[0].getString("remote"), "the client's address, not nginx's");
            assertInstanceOf(JsonNumber.class, entry[0].get("rttMs"));
            ws.closeGracefully();
        }
    }

    /** nginx keeps its side of the tunnel open, so only the server's Pings can find a peer that went silent. */
    @Test
    void aSilentPeerBehindTheProxyIsEvictedWithinTheBound() throws Exception {
        try (Nginx nginx = Nginx.start(deployed.getPort());
                RawWebSocket silent = connect(proxied(nginx), Mode.IGNORE_PINGS, "127.0.0.3", Map.of())) {
            String session = Messages.welcome(silent);
            long lastFrame = System.nanoTime(); // the welcome was the last exchange; the peer never answers a Ping
            Close close;
            try {
                close = silent.closed().get(EVICT_BOUND + SLACK + 5000, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                fail("silent peer behind nginx not closed; listed: " + direct.listed(session) + "\n" + nginx.log());
                return;
            }
            long after = PulseServer.millis(lastFrame, close.atNanos());
            Report.line("silent peer behind nginx: %s, %d ms after its welcome, %d Pings seen", close, after,
                    silent.pingCount());
            assertTrue(close.frame(), "the server's close frame came through nginx: " + close);
            assertEquals(4000, close.code(), close.toString());
            assertTrue(after >= TIMEOUT && after <= EVICT_BOUND + SLACK, "evicted " + after + " ms after the welcome");
            assertFalse(direct.listed(session), "gone from /api/connections");
        }
    }

    /**
     * pulse.limits.per-address counts each client behind nginx on its own (not nginx as one client), a forged
     * X-Forwarded-For neither dodges it nor charges someone else, and a peer that is not a trusted proxy cannot
     * name its address with the header at all.
     */
    @Test
    void thePerAddressLimitCountsEachClientBehindTheProxy() throws Exception {
        List<RawWebSocket> open = new ArrayList<>();
        try (Nginx nginx = Nginx.start(deployed.getPort())) {
            PulseServer proxied = proxied(nginx);
            for (int i = 0; i < PER_ADDRESS; i++) {
                RawWebSocket ws = connect(proxied, Mode.ANSWER_PINGS, "127.0.0.4", Map.of());
                open.add(ws);
                // open (the welcome says so) before the next: a handshake racing an open one is closed with 1008
                // as it opens, not refused with 429, and this test is about the 429
                Messages.welcome(ws);
            }
            try (RawWebSocket refused = connect(proxied, Mode.ANSWER_PINGS, "127.0.0.4",
                    Map.of("X-Forwarded-For", "198.51.100.7"))) {
                fail("connection " + (PER_ADDRESS + 1) + " from 127.0.0.4 accepted behind a forged header");
            } catch (HandshakeRefused e) {
                Report.line("behind nginx, connection %d from one client: %s", PER_ADDRESS + 1,
                        e.response().split("\r\n")[0]);
                assertEquals(429, e.status(), e.response());
                if (!e.body().isEmpty()) {
                    assertEquals("too_many_connections", PulseServer.parse(e.body()).getString("code"), e.body());
                }
            }
            // another client through the same nginx, claiming to be the one at its limit
            RawWebSocket other = connect(proxied, Mode.ANSWER_PINGS, "127.0.0.5", Map.of("X-Forwarded-For",
                    "127.0.0.4"));
            open.add(other);
            assertEquals("127.0.0.5", remoteOf(Messages.welcome(other)), "nginx's entry counts, not the client's");
            // straight to the server from an address that is no proxy of ours: the header is ignored
            RawWebSocket untrusted = connect(direct, Mode.ANSWER_PINGS, "127.0.0.6", Map.of("X-Forwarded-For",
                    "203.0.113.1"));
            open.add(untrusted);
            String remote = remoteOf(Messages.welcome(untrusted));
            assertTrue(remote.startsWith("127.0.0.6:"), "an untrusted peer is its own address and port: " + remote);
        } finally {
            open.forEach(RawWebSocket::closeGracefully);
        }
    }

    private String remoteOf(String session) {
        return direct.connection(session).orElseThrow(() -> new AssertionError(session + " not listed"))
                .getString("remote");
    }

    private PulseServer proxied(Nginx nginx) {
        return PulseServer.at(nginx.port, deployed.getPath().endsWith("/") ? deployed.getPath() : deployed.getPath()
                + "/");
    }

    private static RawWebSocket connect(PulseServer server, Mode mode, String from, Map<String, String> headers)
            throws Exception {
        URI ws = server.ws;
        return RawWebSocket.connect(ws, mode, 0, headers, InetAddress.getByName(from));
    }
}
