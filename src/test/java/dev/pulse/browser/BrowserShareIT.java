package dev.pulse.browser;

import static dev.pulse.browser.Measure.INTERVAL;
import static dev.pulse.browser.Measure.TIMEOUT;
import static dev.pulse.browser.Measure.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.LongStream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The client's {@code share} option in headless Chromium (the demo room with {@code ?share=1}): the windows of one
 * browser profile share one socket, against Pulse on Payara Micro (heartbeat 1 s, timeout 2 s from the failsafe
 * environment). Every test runs twice: with the socket in a shared worker (Chromium's default) and in the window that
 * leads (Web Locks + BroadcastChannel, forced with {@code &worker=0}). Each run has its own user and room.
 */
@ExtendWith(ArquillianExtension.class)
@EnabledIfSystemProperty(named = "it.container", matches = "payara.*", disabledReason = "browser tests run on Payara Micro only")
class BrowserShareIT {

    /** Allowance for what the bounds cannot know: a 2-core machine running Payara, Chromium and the test. */
    private static final long SLACK = 2000;
    /** How long to wait for what must happen where no bound applies: generous on a busy machine. */
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    /** The client's lease (client/src/pulse/share/leader.js): silence before a follower asks, and its wait for an answer. */
    private static final long TAKEOVER = 3000 + 1000 + 500;

    /** Records, in the page, every seq of the room's topic and every gap, through the page's {@code window.pulse}. */
    private static final String RECORD = """
            const topic = arguments[0];
            if (!window.__share) {
              window.__share = { seqs: [], gaps: [] };
              window.pulse.on('message', (m) => m.topic === topic && window.__share.seqs.push(m.seq));
              window.pulse.on('gap', (g) => g.topic === topic && window.__share.gaps.push(g.reason));
            }""";

    /** Who holds the shared socket. */
    enum Holder {
        /** A SharedWorker, started by the first window: no window holds the socket. */
        WORKER("", "worker", 0),
        /** One of the windows, elected with Web Locks (the path of browsers without SharedWorker). */
        TAB("&worker=0", "tabs", 1);

        final String query;
        /** What {@code pulse.sharing} says in every window. */
        final String sharing;
        /** How many windows hold the socket at any time. */
        final long windows;

        Holder(String query, String sharing, long windows) {
            this.query = query;
            this.sharing = sharing;
            this.windows = windows;
        }

        /** The window whose loss tests the others: the one that started the worker, or the one that leads. */
        Tab of(List<Tab> tabs) {
            return this == WORKER ? tabs.get(0) : tabs.stream().filter(Tab::holdsSocket).findFirst().orElseThrow();
        }
    }

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

    @ParameterizedTest(name = "{0}")
    @EnumSource(Holder.class)
    void fiveWindowsShareOneSession(Holder holder) {
        try (Windows w = open(holder, "five", 5)) {
            Set<String> sessions = new HashSet<>();
            for (Tab tab : w.tabs) {
                tab.focus();
                tab.page.await(PATIENCE, d -> !tab.page.session().equals("–"));
                sessions.add(tab.page.session());
            }
            // a barrier: a message published now has reached every window, so every window has done whatever it
            // does on opening
            long seq = w.publish("to all five");
            for (Tab tab : w.tabs) {
                tab.awaitSeqs(seq);
            }
            List<JsonObject> mine = api.connectionsOf(w.user);
            report("share (%s): 5 windows of %s, %d server session(s) %s, sessions shown %s", holder, w.user, mine.size(),
                    mine.stream().map(c -> c.getString("session")).toList(), sessions);
            assertEquals(1, mine.size(), "5 windows, one session: " + mine);
            assertEquals(Set.of(mine.get(0).getString("session")), sessions, "every window names that session");
            assertEquals(holder.windows, w.tabs.stream().filter(Tab::holdsSocket).count(), "windows holding the socket");
            for (Tab tab : w.tabs) {
                assertEquals(List.of(seq), tab.seqs(), "each window got the message once");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Holder.class)
    void leaderWindowClosedMidStreamNothingLostOrDuplicated(Holder holder) throws Exception {
        int count = 60;
        try (Windows w = open(holder, "close", 4)) {
            Tab leader = holder.of(w.tabs);
            String session = api.connectionsOf(w.user).get(0).getString("session");
            CompletableFuture<Void> stream = w.stream(count);
            w.tabs.get(w.tabs.indexOf(leader) == 0 ? 1 : 0).awaitCount(10); // mid-stream
            leader.focus();
            long closed = System.currentTimeMillis();
            w.browser.driver.close();
            List<Tab> others = new ArrayList<>(w.tabs);
            others.remove(leader);
            others.get(0).focus();
            stream.get();
            awaitAllOnceInOrder(others, LongStream.rangeClosed(1, count).boxed().toList(), "in every window left");
            long bound = INTERVAL + TIMEOUT + 1000 + SLACK;
            long one = awaitSessions(w.user, 1, Duration.ofMillis(bound));
            JsonObject now = api.connectionsOf(w.user).get(0);
            long opened = now.getJsonNumber("openedAt").longValue();
            assertEquals(holder.windows, others.stream().filter(Tab::holdsSocket).count(), "windows holding the socket");
            if (holder == Holder.WORKER) {
                assertEquals(session, now.getString("session"), "the worker kept its socket");
            }
            report("share (%s): the %s window closed after ~10 of %d messages; the other %d got all once, in order; "
                    + "the session then opened %+d ms from the close, one session %d ms after it", holder,
                    holder == Holder.WORKER ? "first" : "leader", count, others.size(), opened - closed, one - closed);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Holder.class)
    void frozenLeaderWindowDoesNotStallTheOthers(Holder holder) throws Exception {
        try (Windows w = open(holder, "frozen", 3)) {
            Tab frozen = holder.of(w.tabs);
            List<Tab> others = new ArrayList<>(w.tabs);
            others.remove(frozen);
            long before = w.publish("before");
            for (Tab tab : w.tabs) {
                tab.awaitSeqs(before);
            }
            frozen.focus();
            frozen.lifecycle("frozen");
            long froze = System.currentTimeMillis();
            others.get(0).focus();
            List<Long> all = new ArrayList<>(List.of(before));
            for (int i = 0; i < 5; i++) {
                all.add(w.publish("while frozen " + i));
            }
            for (Tab tab : others) {
                tab.awaitCount(all.size());
                assertEquals(all, tab.seqs(), "every message once, in order, while the leader is frozen");
            }
            long delivered = System.currentTimeMillis() - froze;
            assertTrue(delivered <= TAKEOVER + 5000 + 2 * SLACK, "the others went on within the lease: " + delivered);
            assertEquals(holder.windows, others.stream().filter(Tab::holdsSocket).count(), "another window took the socket");

            frozen.focus();
            frozen.lifecycle("active");
            all.add(w.publish("after the thaw"));
            awaitAllOnceInOrder(w.tabs, all, "the thawed window too");
            assertFalse(frozen.holdsSocket(), "the thawed window follows the new leader");
            long one = awaitSessions(w.user, 1, PATIENCE);
            report("share (%s): the %s window frozen; the other 2 got %d messages within %d ms of the freeze; after the "
                    + "thaw one session (%d ms after the freeze)", holder, holder == Holder.WORKER ? "first" : "leader",
                    all.size() - 1, delivered, one - froze);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Holder.class)
    void frozenFollowerWindowDoesNotStallTheOthers(Holder holder) {
        try (Windows w = open(holder, "follow", 3)) {
            Tab leader = holder.of(w.tabs);
            Tab frozen = w.tabs.get(w.tabs.indexOf(leader) == 0 ? 1 : 0);
            Tab other = w.tabs.stream().filter(t -> t != leader && t != frozen).findFirst().orElseThrow();
            frozen.focus();
            frozen.lifecycle("frozen");
            long froze = System.currentTimeMillis();
            List<Long> all = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                all.add(w.publish("while a follower is frozen " + i));
            }
            for (Tab tab : List.of(leader, other)) {
                tab.awaitCount(all.size());
                assertEquals(all, tab.seqs(), "every message once, in order, while a follower is frozen");
            }
            long delivered = System.currentTimeMillis() - froze;
            assertEquals(holder == Holder.TAB, leader.holdsSocket(), "the leader keeps the socket (none holds the worker's)");
            frozen.focus();
            frozen.lifecycle("active");
            frozen.awaitCount(all.size());
            assertEquals(all, frozen.seqs(), "the thawed follower gets what it missed, once, in order");
            assertEquals(1, api.connectionsOf(w.user).size(), "one session throughout");
            report("share (%s): a window frozen; the other 2 got 5 messages within %d ms; thawed, it caught up", holder,
                    delivered);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Holder.class)
    void unsubscribeInOneWindowKeepsTheTopicForTheOthers(Holder holder) {
        try (Windows w = open(holder, "unsub", 2)) {
            String topic = w.topic();
            Tab leaving = w.tabs.get(0);
            Tab staying = w.tabs.get(1);
            leaving.focus();
            assertEquals(Boolean.TRUE, leaving.page.js("return window.pulse.unsubscribe(arguments[0])", topic));
            long seq = w.publish("after one window left");
            staying.awaitSeqs(seq);
            // a barrier for the window that left: a second publish reached the other window after the first
            long next = w.publish("and another");
            staying.awaitSeqs(next);
            assertEquals(List.of(), leaving.seqs(), "the window that unsubscribed gets nothing of the topic");
            assertTrue(topicsOf(w.user).contains(topic), "the session is still in the topic: " + topicsOf(w.user));

            staying.focus();
            staying.page.js("window.pulse.unsubscribe(arguments[0])", topic);
            staying.page.await(PATIENCE, d -> !topicsOf(w.user).contains(topic));
            report("share (%s): unsubscribe in 1 of 2 windows kept %s on the session; in both, it left", holder, topic);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Holder.class)
    void closedInEveryWindowTheSessionEnds(Holder holder) throws Exception {
        try (Windows w = open(holder, "last", 2)) {
            awaitSessions(w.user, 1, PATIENCE);
            w.tabs.get(0).focus();
            w.tabs.get(0).page.js("window.pulse.close()");
            long seq = w.publish("one window is left");
            w.tabs.get(1).awaitSeqs(seq);
            assertEquals(1, api.connectionsOf(w.user).size(), "the other window still uses the session");
            w.tabs.get(1).focus();
            w.tabs.get(1).page.js("window.pulse.close()");
            long closed = System.currentTimeMillis();
            long none = awaitSessions(w.user, 0, PATIENCE); // the windows are still open: the worker closed its socket
            report("share (%s): closed in both windows (still open): no session %d ms after the second close", holder,
                    none - closed);
        }
    }

    @Test
    void workerTerminatedMidStreamTheWindowsStartAnotherAndMissNothing() throws Exception {
        int count = 60;
        try (Windows w = open(Holder.WORKER, "killed", 3)) {
            String session = api.connectionsOf(w.user).get(0).getString("session");
            CompletableFuture<Void> stream = w.stream(count);
            w.tabs.get(1).awaitCount(10); // mid-stream
            long killed = System.currentTimeMillis();
            assertEquals(1, terminateSharedWorkers(w.browser.driver), "one shared worker");
            stream.get();
            awaitAllOnceInOrder(w.tabs, LongStream.rangeClosed(1, count).boxed().toList(), "across the new worker");
            awaitSessions(w.user, 1, PATIENCE);
            JsonObject now = api.connectionsOf(w.user).get(0);
            assertNotEquals(session, now.getString("session"), "the new worker's socket");
            report("share (WORKER): the worker terminated after ~10 of %d messages; a new worker's session opened %d ms "
                    + "after; the 3 windows got all once, in order", count,
                    now.getJsonNumber("openedAt").longValue() - killed);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    /** Terminates every shared worker of the browser through the DevTools protocol (a crash, as the tabs see it). */
    @SuppressWarnings("unchecked")
    private static int terminateSharedWorkers(ChromeDriver driver) {
        Map<String, Object> targets = driver.executeCdpCommand("Target.getTargets", Map.of());
        int closed = 0;
        for (Map<String, Object> target : (List<Map<String, Object>>) targets.get("targetInfos")) {
            if ("shared_worker".equals(target.get("type"))) {
                driver.executeCdpCommand("Target.closeTarget", Map.of("targetId", target.get("targetId")));
                closed++;
            }
        }
        return closed;
    }

    /**
     * A browser with {@code count} windows of the room that share its socket, for a user and a room of their own
     * (named after {@code name}); each window records what it gets of the room's topic.
     */
    private Windows open(Holder holder, String name, int count) {
        String user = unique(name);
        String room = unique(name + "-");
        Chromium browser = Chromium.start(480, 400);
        try {
            List<Tab> tabs = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                if (i > 0) {
                    browser.driver.switchTo().newWindow(WindowType.WINDOW);
                }
                RoomPage page = RoomPage.open(browser.driver, api.base, user, room, "&share=1" + holder.query);
                assertEquals(holder.sharing, page.js("return window.pulse.sharing"), "who holds the socket");
                page.js(RECORD, "room:" + room);
                tabs.add(new Tab(browser.driver, browser.driver.getWindowHandle(), page, i + 1));
            }
            return new Windows(browser, tabs, user, room);
        } catch (RuntimeException | Error e) {
            browser.close();
            throw e;
        }
    }

    /** Waits until each window has as many messages as {@code all}: they must be {@code all}, once, in order, no gap. */
    private static void awaitAllOnceInOrder(List<Tab> tabs, List<Long> all, String which) {
        for (Tab tab : tabs) {
            tab.awaitCount(all.size());
            assertEquals(all, tab.seqs(), tab + ": every message once, in order, " + which);
            assertEquals(List.of(), tab.gaps(), tab + ": no gap");
        }
    }

    private List<String> topicsOf(String user) {
        return api.connectionsOf(user).stream()
                .flatMap(c -> c.getJsonArray("topics").getValuesAs(JsonString.class).stream())
                .map(JsonString::getString).toList();
    }

    /** Waits until the user has exactly {@code sessions} sessions; returns when (epoch ms). */
    private long awaitSessions(String user, int sessions, Duration timeout) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        int now;
        while ((now = api.connectionsOf(user).size()) != sessions) {
            assertTrue(System.currentTimeMillis() < deadline, user + " has " + now + " sessions, not " + sessions
                    + ", after " + timeout.toMillis() + " ms: " + api.connectionsOf(user));
            Thread.sleep(50);
        }
        return System.currentTimeMillis();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The windows of one browser in one room, as one user. */
    private final class Windows implements AutoCloseable {
        final Chromium browser;
        final List<Tab> tabs;
        final String user;
        final String room;

        Windows(Chromium browser, List<Tab> tabs, String user, String room) {
            this.browser = browser;
            this.tabs = tabs;
            this.user = user;
            this.room = room;
        }

        String topic() {
            return "room:" + room;
        }

        /** Publishes to the room as the user; returns the seq. */
        long publish(String text) {
            return api.publish(topic(), user, text);
        }

        /** Publishes m1 to m{count} to the room, 40 ms apart, in the background. */
        CompletableFuture<Void> stream(int count) {
            return CompletableFuture.runAsync(() -> {
                for (int i = 1; i <= count; i++) {
                    publish("m" + i);
                    sleep(40); // pacing of the stream, not a wait for anything
                }
            });
        }

        @Override
        public void close() {
            browser.close();
        }
    }

    /** One window of the shared room. */
    private record Tab(ChromeDriver driver, String handle, RoomPage page, int number) {

        void focus() {
            driver.switchTo().window(handle);
        }

        boolean holdsSocket() {
            focus();
            return page.js("return window.pulse.holdsSocket") == Boolean.TRUE;
        }

        @SuppressWarnings("unchecked")
        List<Long> seqs() {
            focus();
            return ((List<Number>) page.js("return window.__share.seqs")).stream().map(Number::longValue).toList();
        }

        @SuppressWarnings("unchecked")
        List<String> gaps() {
            focus();
            return (List<String>) page.js("return window.__share.gaps");
        }

        void awaitSeqs(long seq) {
            focus();
            page.await(PATIENCE, d -> seqs().contains(seq));
        }

        void awaitCount(int count) {
            focus();
            page.await(PATIENCE, d -> seqs().size() >= count);
        }

        /** Page Lifecycle through the DevTools protocol: "frozen" (no task runs) or "active". */
        void lifecycle(String state) {
            driver.executeCdpCommand("Page.setWebLifecycleState", Map.of("state", state));
        }

        @Override
        public String toString() {
            return "window " + number;
        }
    }
}
