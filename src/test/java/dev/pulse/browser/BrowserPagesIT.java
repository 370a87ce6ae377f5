package dev.pulse.browser;

import static dev.pulse.browser.Measure.INTERVAL;
import static dev.pulse.browser.Measure.PROBE_TIMEOUT;
import static dev.pulse.browser.Measure.TIMEOUT;
import static dev.pulse.browser.Measure.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WindowType;

/**
 * The demo room and the monitor in headless Chromium against Pulse on Payara Micro (heartbeat 1 s, timeout 2 s from
 * the failsafe environment): connecting, chat and presence between two browsers, a half-open network cut, a page
 * whose JavaScript is blocked, a burst of network flaps, and the monitor. Each test uses its own users and room.
 */
@ExtendWith(ArquillianExtension.class)
@EnabledIfSystemProperty(named = "it.container", matches = "payara.*", disabledReason = "browser tests run on Payara Micro only")
class BrowserPagesIT {

    /** Allowance for what the bounds cannot know: a 2-core machine running Payara, Chromium and the test. */
    private static final long SLACK = 1000;
    /**
     * How long to wait for something that must happen, where no contract bounds how soon: generous, since it costs
     * nothing when things work and a busy 2-core machine can be several times slower than a quiet one.
     */
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @ArquillianResource
    URL deployed;

    Api api;

    @Deployment(testable = false)
    static WebArchive deployment() {
        return Measure.war("pulse.war", "");
    }

    @BeforeEach
    void api() {
        api = new Api(URI.create("http://127.0.0.1:" + deployed.getPort() + "/pulse/"));
    }

    private static String unique(String prefix) {
        return prefix + Long.toString(System.nanoTime() % 1_000_000, 36);
    }

    @Test
    void pageConnectsAndShowsRtt() {
        try (Chromium browser = Chromium.start()) {
            RoomPage page = RoomPage.open(browser.driver, api.base, "rita", unique("rtt-"));
            page.await(PATIENCE, d -> page.rtt().matches("\\d+(\\.\\d)?"));
            String session = page.session();
            List<JsonObject> mine = api.connectionsOf("rita");
            assertEquals(1, mine.size(), "one session for the page: " + mine);
            assertEquals(session, mine.get(0).getString("session"), "the page shows its server-side session");
            assertTrue(browser.driver.findElement(By.id("badge")).getText().contains("ms"), "the badge shows the RTT");
            report("page open, session %s, RTT shown %s ms", session, page.rtt());
        }
    }

    @Test
    void chatAndPresenceBetweenTwoBrowsers() {
        String room = unique("chat-");
        try (Chromium a = Chromium.start(); Chromium b = Chromium.start(390, 844)) {
            RoomPage alice = RoomPage.open(a.driver, api.base, "alice", room);
            alice.await(PATIENCE, d -> alice.people().equals(List.of("alice")));
            RoomPage bob = RoomPage.open(b.driver, api.base, "bob", room);
            bob.await(PATIENCE, d -> bob.people().equals(List.of("bob", "alice")));
            alice.await(PATIENCE, d -> alice.people().equals(List.of("alice", "bob"))); // a join event

            alice.say("Hi Bob, can you see this?");
            bob.await(PATIENCE, d -> bob.texts().contains("Hi Bob, can you see this?"));
            bob.say("Loud and clear <b>not bold</b>");
            alice.await(PATIENCE, d -> alice.texts().size() == 2);
            assertEquals(alice.messages(), bob.messages(), "both see the same messages with the same seqs, in order");
            assertEquals("Loud and clear <b>not bold</b>", alice.texts().get(1), "rendered as text, never as HTML");
            assertTrue(a.driver.findElements(By.cssSelector("#messages b")).isEmpty(), "no element from data");
            a.screenshot("room-desktop");
            b.screenshot("room-phone");

            long left = System.currentTimeMillis();
            bob.leave(); // unsubscribe: an immediate leave
            alice.await(PATIENCE, d -> alice.people().equals(List.of("alice")));
            report("presence: bob's leave (unsubscribe) reached alice's list in %d ms", System.currentTimeMillis() - left);

            RoomPage.open(b.driver, api.base, "bob", room);
            alice.await(PATIENCE, d -> alice.people().equals(List.of("alice", "bob")));
            long closed = System.currentTimeMillis();
            b.driver.get("about:blank"); // the page goes away: a close, so a leave after the grace period (2 s here)
            alice.await(PATIENCE, d -> alice.people().equals(List.of("alice")));
            report("presence: bob's leave after closing his page reached alice's list in %d ms (grace 2000 ms)",
                    System.currentTimeMillis() - closed);
        }
    }

    @Test
    void halfOpenCutIsNoticedAndNothingIsLost() throws Exception {
        String room = unique("cut-");
        String topic = "room:" + room;
        try (TcpRelay relay = new TcpRelay(deployed.getPort()); Chromium browser = Chromium.start()) {
            URI viaRelay = URI.create("http://127.0.0.1:" + relay.port() + "/pulse/");
            RoomPage page = RoomPage.open(browser.driver, viaRelay, "cara", room);
            api.publish(topic, "server", "m1");
            page.await(PATIENCE, d -> page.texts().equals(List.of("m1")));
            String before = page.session();

            long cut = System.currentTimeMillis();
            relay.stall();
            for (int i = 2; i <= 6; i++) {
                api.publish(topic, "server", "m" + i);
            }
            page.await(PATIENCE, d -> page.firstTrouble(cut) > 0);
            long noticed = page.firstTrouble(cut) - cut;
            report("half-open cut: noticed after %d ms (interval + timeout = %d ms)", noticed, INTERVAL + TIMEOUT);
            assertTrue(noticed <= INTERVAL + TIMEOUT + SLACK, "noticed within interval + timeout + slack: " + noticed);
            assertTrue(noticed >= TIMEOUT - 500, "not before the timeout (less the last ping's age): " + noticed);

            // still cut for a while: attempts go nowhere; more messages are published meanwhile
            Thread.sleep(Math.max(0, cut + 6000 - System.currentTimeMillis()));
            for (int i = 7; i <= 10; i++) {
                api.publish(topic, "server", "m" + i);
            }
            long recovered = System.currentTimeMillis();
            relay.resume();
            page.await(PATIENCE, d -> page.firstEvent("open", recovered) > 0);
            long back = page.firstEvent("open", recovered) - recovered;
            report("half-open cut: back %d ms after the relay recovered", back);
            assertTrue(back <= 1500, "back within about a second of the link's return: " + back + " ms");

            List<String> expected = IntStream.rangeClosed(1, 10).mapToObj(i -> "m" + i).toList();
            page.await(PATIENCE, d -> page.texts().size() >= 10);
            assertEquals(expected, page.texts(), "every message once, in order");
            assertFalse(before.equals(page.session()), "a new session");
            page.await(PATIENCE, d -> api.connectionsOf("cara").size() == 1);
            assertEquals(page.session(), api.connectionsOf("cara").get(0).getString("session"),
                    "the server holds only the new session (the old one was evicted)");
            browser.screenshot("room-after-cut");
        }
    }

    @Test
    void blockedPageProbesAtOnceWhenItRunsAgain() throws Exception {
        try (TcpRelay relay = new TcpRelay(deployed.getPort()); Chromium browser = Chromium.start()) {
            URI viaRelay = URI.create("http://127.0.0.1:" + relay.port() + "/pulse/");
            RoomPage page = RoomPage.open(browser.driver, viaRelay, "dana", unique("sleep-"));
            String session = page.session();

            // 1. blocked 5 s with the link fine: after it runs again, no false timeout. Not "nothing within a fixed
            //    time": two answers after the block (the probe's or a ping's, then the next ping's) show the page
            //    kept its socket through a full ping cycle, whatever the machine's speed
            long unblocked = page.blockMainThread(5000);
            page.awaitAnswers(unblocked, 2, PATIENCE);
            assertEquals(-1, page.firstTrouble(unblocked - 5000), "no reconnect after a block over a healthy link");
            assertEquals(session, page.session(), "same session");
            assertEquals("open", page.state());

            // 2. blocked 5 s while the link is cut: it probes at once when it runs again and gives up on the probe
            relay.stall();
            long resumed = page.blockMainThread(5000);
            page.await(PATIENCE, d -> page.firstTrouble(resumed) > 0);
            long probe = relay.firstClientBytesSince(resumed);
            long dead = page.firstTrouble(resumed) - resumed;
            report("blocked page: probe sent %d ms after JavaScript ran again; judged dead after %d ms (probe timeout %d ms)",
                    probe - resumed, dead, PROBE_TIMEOUT);
            assertTrue(probe >= 0 && probe - resumed <= 300, "a probe went out at once: " + (probe - resumed) + " ms");
            assertTrue(dead <= PROBE_TIMEOUT + 500, "dead within the probe timeout: " + dead + " ms");

            long recovered = System.currentTimeMillis();
            relay.resume();
            page.await(PATIENCE, d -> page.firstEvent("open", recovered) > 0);
            long back = page.firstEvent("open", recovered) - resumed;
            report("blocked page: back %d ms after JavaScript ran again (link restored %d ms after)", back,
                    recovered - resumed);
            assertTrue(back <= 2500, "back soon after it ran again: " + back + " ms");
        }
    }

    @Test
    void oneOpenSocketThroughFlaps() throws Exception {
        long seed = Long.getLong("browser.seed", System.nanoTime());
        Random random = new Random(seed);
        try (TcpRelay relay = new TcpRelay(deployed.getPort()); Chromium browser = Chromium.start()) {
            URI viaRelay = URI.create("http://127.0.0.1:" + relay.port() + "/pulse/");
            RoomPage page = RoomPage.open(browser.driver, viaRelay, "flo", unique("flap-"));

            AtomicBoolean watching = new AtomicBoolean(true);
            AtomicInteger most = new AtomicInteger();
            AtomicInteger samples = new AtomicInteger();
            // per session: when it opened and the last frame the server had from it
            java.util.Map<String, long[]> life = new java.util.HashMap<>();
            Thread watcher = new Thread(() -> {
                while (watching.get()) {
                    List<JsonObject> open = api.connectionsOf("flo");
                    samples.incrementAndGet();
                    most.accumulateAndGet(open.size(), Math::max);
                    synchronized (life) {
                        for (JsonObject c : open) {
                            long[] span = life.computeIfAbsent(c.getString("session"),
                                    k -> new long[] {c.getJsonNumber("openedAt").longValue(), 0});
                            span[1] = Math.max(span[1], c.getJsonNumber("lastSeenAt").longValue());
                        }
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "socket-watcher");
            watcher.start();
            List<String> done = new ArrayList<>();
            try {
                // DevTools' offline emulation is not in this mix: Chromium then fails the page's socket but leaves its
                // TCP connection open, so the server lists it until the heartbeat evicts it (a session no page holds)
                for (int i = 0; i < 40; i++) {
                    int action = random.nextInt(3);
                    switch (action) {
                        case 0 -> page.dispatchWindowEvent("offline");
                        case 1 -> page.dispatchWindowEvent("online");
                        case 2 -> relay.resetAll();
                        default -> throw new IllegalStateException();
                    }
                    done.add(List.of("offline", "online", "reset").get(action));
                    Thread.sleep(random.nextInt(400));
                }
                page.dispatchWindowEvent("online");
                page.await(Duration.ofSeconds(60), d -> "open".equals(page.state()));
                // settled, on evidence rather than after a fixed time: the server lists one session of the page, its
                // current one (a socket it dropped can stay listed, silent, until the heartbeat evicts it), and the
                // page then got answers to three more pings (anything left over would have shown up meanwhile)
                page.await(PATIENCE, d -> api.connectionsOf("flo").size() == 1
                        && page.session().equals(api.connectionsOf("flo").get(0).getString("session")));
                page.awaitAnswers(System.currentTimeMillis(), 3, PATIENCE);
            } finally {
                watching.set(false);
                watcher.join();
            }
            long sessions = page.events().stream().filter(e -> e.getString("state").equals("welcome")).count();
            report("flaps (seed %d): %s; the page went through %d sessions; %d server-side samples, most sessions of "
                    + "the page at once: %d", seed, String.join(",", done), sessions, samples.get(), most.get());
            // Two sockets held by the page would both keep talking (the browser answers every Ping): their spans of
            // activity would overlap. A socket the page dropped can stay listed until the server notices, silent.
            List<long[]> spans = new ArrayList<>(life.values());
            for (int a = 0; a < spans.size(); a++) {
                for (int b = a + 1; b < spans.size(); b++) {
                    long overlap = Math.min(spans.get(a)[1], spans.get(b)[1])
                            - Math.max(spans.get(a)[0], spans.get(b)[0]);
                    assertTrue(overlap < 300, "two sessions of one page active together for " + overlap + " ms (seed "
                            + seed + ")");
                }
            }
            assertEquals(1, api.connectionsOf("flo").size(), "one session in the end");
            assertEquals(page.session(), api.connectionsOf("flo").get(0).getString("session"));

            // DevTools' offline emulation fires 'offline' (navigator.onLine false) but leaves an open WebSocket
            // working: the page probes, gets its answer, and keeps its session rather than reconnecting for nothing
            // (barriers, not sleeps: an answer after 'offline' settles the probe it sent; two more after 'online')
            String kept = page.session();
            long off = System.currentTimeMillis();
            browser.networkOffline(true);
            page.awaitAnswers(off, 2, PATIENCE);
            long on = System.currentTimeMillis();
            browser.networkOffline(false);
            page.awaitAnswers(on, 2, PATIENCE);
            assertEquals(-1, page.firstTrouble(off), "an 'offline' event over a socket that still answers is no reason to drop it");
            assertEquals(kept, page.session());
        }
    }

    @Test
    void monitorListsOwnConnectionsAndShowsAnEviction() throws Exception {
        try (Chromium browser = Chromium.start()) {
            RoomPage mona = RoomPage.open(browser.driver, api.base, "mona", unique("ops-"));
            String session = mona.session();
            String roomWindow = browser.driver.getWindowHandle();
            browser.driver.switchTo().newWindow(WindowType.WINDOW);
            browser.driver.manage().window().setSize(new Dimension(1280, 1100));
            browser.driver.get(api.base + "monitor.html");
            MonitorPage monitor = new MonitorPage(browser.driver);
            monitor.await(PATIENCE, d -> monitor.sessions().contains(session));
            assertEquals("mona", monitor.userOf(session));
            long before = monitor.evictions("heartbeat");

            try (SilentPeer ghost = SilentPeer.connect(api.ws("ghost"))) {
                monitor.await(PATIENCE, d -> monitor.users().contains("ghost"));
                long connected = System.currentTimeMillis();
                monitor.await(PATIENCE, d -> monitor.evictions("heartbeat") > before);
                report("monitor: the silent peer's eviction showed %d ms after it appeared",
                        System.currentTimeMillis() - connected);
                monitor.await(PATIENCE, d -> !monitor.users().contains("ghost"));
                monitor.await(PATIENCE, d -> monitor.evictionBars() > 0);
            }
            monitor.await(PATIENCE, d -> monitor.rateShown());
            browser.screenshot("monitor-desktop");
            browser.driver.manage().window().setSize(new Dimension(390, 844));
            browser.screenshot("monitor-phone");
            browser.driver.switchTo().window(roomWindow);
            assertEquals(session, mona.session(), "the room page kept its session meanwhile");
        }
    }
}
