package dev.pulse.browser;

import static dev.pulse.browser.Measure.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pulse.cluster.ClusterFixture;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.openqa.selenium.WindowType;

/**
 * The demo room on two Payara Micro nodes that share one Redis ({@code pulse.store=redis}), served through nginx
 * (round robin, no stickiness; {@link ClusterFixture}): the node the page's socket landed on is killed with SIGKILL,
 * messages are published while the page is away (through nginx and to the surviving node directly), and the page
 * comes back by itself, through nginx, on the surviving node, resumes with its last seq and shows every missed
 * message once, in seq order, marked <i>missed while away</i>, with no gap line: the history is in Redis, not in the
 * dead node. A second page, on the surviving node throughout, keeps listing the first user (no leave, no second
 * join) and gets every message live.
 * <p>
 * The page reaches nginx through a {@link TcpRelay} (a plain TCP pipe: what the page loads and every socket it opens
 * still go through nginx), so that the test decides when it may come back: while the messages are published the
 * relay refuses new connections, as a network that is down does; otherwise a page that is back within half a second
 * of the kill would get them live, and "missed while away" would depend on how fast the machine is.
 */
@EnabledIfSystemProperty(named = "it.container", matches = "payara.*", disabledReason = "browser tests run on Payara Micro only")
class BrowserClusterIT {

    /** Long enough that a page held out for as long as a slow machine makes it stays a member: no leave is right. */
    private static final long GRACE = 30_000;
    /** How long the dead node's sessions count in presence; short, so that their removal is seen in this test. */
    private static final long NODE_TIMEOUT = 6000;
    /** Generous bounds for what only a slow, busy machine makes slow. */
    private static final Duration SHOWN = Duration.ofSeconds(30);
    private static final Duration COME_BACK = Duration.ofSeconds(60);
    private static final int BEFORE = 3;
    private static final int MISSED = 5;
    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    private static ClusterFixture cluster;
    private static TcpRelay relay;
    private static Chromium browser;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(ClusterFixture.available(), "redis-server or nginx is not installed");
        cluster = ClusterFixture.start("BrowserClusterIT",
                Map.of("PULSE_PRESENCE_GRACE", Long.toString(GRACE), "PULSE_NODE_TIMEOUT", Long.toString(NODE_TIMEOUT)),
                "node-a", "node-b");
        relay = new TcpRelay(cluster.proxyPort());
        browser = Chromium.start();
    }

    @AfterAll
    static void stop() {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            try {
                if (relay != null) {
                    relay.close();
                }
            } finally {
                if (cluster != null) {
                    cluster.close();
                }
            }
        }
    }

    @Test
    void pageComesBackOnTheSurvivingNodeAndShowsWhatItMissedWithoutAGap() throws Exception {
        String room = "cluster-" + RUN;
        String topic = "room:" + room;
        URI viaNginx = URI.create("http://127.0.0.1:" + relay.port() + "/");
        Api nginx = new Api(cluster.proxy());

        RoomPage ann = RoomPage.open(browser.driver, viaNginx, "ann", room);
        String annWindow = browser.driver.getWindowHandle();
        ann.await(SHOWN, d -> !"–".equals(ann.session()));
        String firstSession = ann.session();
        String home = nodeServing(firstSession);
        String survivor = cluster.nodeIds().stream().filter(n -> !n.equals(home)).findFirst().orElseThrow();
        Api survivorApi = new Api(cluster.http(survivor));

        // a second user on the node that survives, directly: sees the first one throughout, and every message live
        browser.driver.switchTo().newWindow(WindowType.WINDOW);
        RoomPage bob = RoomPage.open(browser.driver, cluster.http(survivor), "bob", room);
        String bobWindow = browser.driver.getWindowHandle();
        bob.js("""
                if (!window.__presence) {
                  window.__presence = [];
                  window.pulse.on('join', (e) => window.__presence.push('join ' + e.user));
                  window.pulse.on('leave', (e) => window.__presence.push('leave ' + e.user + ' ' + e.reason));
                }""");
        bob.await(SHOWN, d -> bob.people().containsAll(List.of("ann", "bob")));

        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= BEFORE; i++) {
            String text = "before-" + i;
            assertEquals(i, (i % 2 == 0 ? survivorApi : nginx).publish(topic, "carol", text));
            expected.add(i + " " + text);
        }
        browser.driver.switchTo().window(annWindow);
        ann.await(SHOWN, d -> ann.messages().equals(expected));
        ann.await(SHOWN, d -> ann.people().containsAll(List.of("ann", "bob")));

        // from here the page's new connections are refused by the relay; its socket goes on until its node dies
        relay.refuseNew(true);
        long killed = System.currentTimeMillis();
        cluster.kill(home);
        try {
            ann.await(SHOWN, d -> !"open".equals(ann.state()));
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("the page did not notice that its node died: " + ann.events(), e);
        }
        long noticed = ann.firstTrouble(killed);

        // published while the page is away: through nginx (which now skips the dead node) and on the survivor
        List<Long> missedSeqs = new ArrayList<>();
        for (int i = 1; i <= MISSED; i++) {
            String text = "missed-" + i;
            long seq = (i % 2 == 0 ? survivorApi : nginx).publish(topic, "carol", text);
            missedSeqs.add(seq);
            expected.add(seq + " " + text);
        }
        assertEquals(range(BEFORE + 1, BEFORE + MISSED), missedSeqs, "one seq for the topic across the node's death");
        assertTrue(survivorApi.connectionsOf("ann").isEmpty(), "the page is still held out");
        assertNotEquals("open", ann.state(), "the page is still away");
        assertEquals(BEFORE, ann.messages().size(), "nothing published meanwhile reached the page live: " + ann.messages());

        long released = System.currentTimeMillis();
        relay.refuseNew(false);
        try {
            ann.await(COME_BACK, d -> ann.messages().size() >= BEFORE + MISSED && "open".equals(ann.state()));
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("the page did not come back with what it missed: state " + ann.state()
                    + ", messages " + ann.messages() + ", events " + ann.events() + "\n" + cluster.diagnostics(), e);
        }
        long back = ann.firstEvent("open", released);
        ann.await(SHOWN, d -> !"–".equals(ann.session()));
        String secondSession = ann.session();
        assertNotEquals(firstSession, secondSession, "a new session");
        assertFalse(cluster.alive(home), home + " stays dead");
        assertTrue(survivorApi.connectionsOf("ann").stream().anyMatch(c -> secondSession.equals(c.getString("session"))),
                "the page is back on the surviving node " + survivor + ": " + survivorApi.connectionsOf("ann"));
        // its only way in is the relay, whose upstream is nginx: the socket it came back on went through both
        assertTrue(relay.attempts().stream().anyMatch(a -> a.at() >= released && !a.refused()
                && a.requestLine().startsWith("GET /ws")), "the page's socket came back through the relay to nginx: "
                + relay.attempts());

        assertEquals(expected, ann.messages(), "every message once, in seq order, the missed ones included");
        assertTrue(ann.lines().stream().noneMatch(l -> l.startsWith("gap:")), "no gap line: " + ann.lines());
        List<String> tagged = missedTags(ann);
        assertEquals(range(1, BEFORE + MISSED).stream().map(s -> s + (s > BEFORE ? " missed" : " live")).toList(), tagged,
                "what was published while the page was away is marked as missed, nothing else");

        // live again: the next message shows once, not as missed
        long next = nginx.publish(topic, "carol", "after");
        assertEquals(BEFORE + MISSED + 1, next);
        expected.add(next + " after");
        ann.await(SHOWN, d -> ann.messages().size() >= expected.size());
        assertEquals(expected, ann.messages(), "then live, each once");
        assertEquals(next + " live", missedTags(ann).get(expected.size() - 1));

        // the dead node's session leaves presence after the node timeout; the user stays, with the new session
        long reaped = -1;
        if (ClusterFixture.await(Duration.ofMillis(NODE_TIMEOUT).plus(SHOWN), Duration.ofMillis(200),
                () -> connectionsInPresence(survivorApi, topic, "ann") == 1)) {
            reaped = System.currentTimeMillis();
        }
        assertTrue(reaped > 0, "ann listed with one connection (the dead node's session gone) on " + survivor + ": "
                + presence(survivorApi, topic));
        ann.await(SHOWN, d -> ann.people().containsAll(List.of("ann", "bob")));

        browser.driver.switchTo().window(bobWindow);
        bob.await(SHOWN, d -> bob.messages().size() >= expected.size());
        assertEquals(expected, bob.messages(), "the page on the surviving node got everything live");
        assertTrue(bob.lines().stream().noneMatch(l -> l.startsWith("gap:")), bob.lines().toString());
        assertTrue(bob.people().contains("ann"), "ann still listed on the other page: " + bob.people());
        @SuppressWarnings("unchecked")
        List<String> aboutAnn = ((List<String>) bob.js("return window.__presence")).stream()
                .filter(e -> e.startsWith("join ann") || e.startsWith("leave ann")).toList();
        assertEquals(List.of(), aboutAnn, "no leave and no second join of ann on the other page");
        browser.screenshot("room-cluster-watcher");

        browser.driver.switchTo().window(annWindow);
        browser.screenshot("room-cluster-after-kill");
        report("cluster: page on %s via nginx, %s killed; the page noticed in %d ms, was held out %d ms while %d "
                + "messages were published (through nginx and to %s), came back on %s %d ms after it was let in, "
                + "showed seqs %d-%d as missed, no gap; the dead node's session left presence %d ms after the kill, "
                + "no leave on the other page", home, home, noticed - killed, released - killed, MISSED, survivor,
                survivor, back - released, BEFORE + 1, BEFORE + MISSED, reaped - killed);
    }

    /** The node whose /api/connections lists the session (asked directly, not through nginx). */
    private static String nodeServing(String session) throws InterruptedException {
        List<String> found = new ArrayList<>();
        boolean one = ClusterFixture.await(SHOWN, Duration.ofMillis(100), () -> {
            found.clear();
            for (String id : cluster.nodeIds()) {
                if (new Api(cluster.http(id)).connections().getValuesAs(JsonObject.class).stream()
                        .anyMatch(c -> session.equals(c.getString("session", null)))) {
                    found.add(id);
                }
            }
            return found.size() == 1;
        });
        assertTrue(one, "exactly one node serves session " + session + ": " + found);
        return found.get(0);
    }

    /** Each chat line as "seq live" or "seq missed" (the page's "missed while away" mark). */
    @SuppressWarnings("unchecked")
    private static List<String> missedTags(RoomPage page) {
        return (List<String>) page.js("return Array.from(document.querySelectorAll('#messages li.msg'))"
                + ".map((li) => li.dataset.seq + (li.classList.contains('missed') ? ' missed' : ' live'))");
    }

    private static List<Long> range(long from, long to) {
        List<Long> l = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            l.add(i);
        }
        return l;
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** GET /api/topics/{topic}/presence of one node; null when it did not answer 200. */
    private static JsonObject presence(Api node, String topic) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(node.base.resolve("api/topics/" + topic + "/presence"))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Json.createReader(new StringReader(r.body())).readObject() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The user's {@code connections} in the node's presence of the topic; -1 when not listed. */
    private static int connectionsInPresence(Api node, String topic, String user) {
        JsonObject p = presence(node, topic);
        if (p == null) {
            return -1;
        }
        return p.getJsonArray("members").getValuesAs(JsonObject.class).stream()
                .filter(m -> user.equals(m.getString("user", null))).mapToInt(m -> m.getInt("connections"))
                .findFirst().orElse(-1);
    }
}
