package dev.pulse.browser;

import static dev.pulse.browser.Measure.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WindowType;

/**
 * Pages across a server restart: the test deploys Pulse with {@code pulse.shutdown.restart=true}, opens pages,
 * undeploys (on Payara Micro: the server process stops, every session gets 1012 with its own retry-after) and deploys
 * again on the same port. The API is protected with a key here, which the monitor page must ask for.
 */
@ExtendWith(ArquillianExtension.class)
@EnabledIfSystemProperty(named = "it.container", matches = "payara.*", disabledReason = "browser tests run on Payara Micro only")
class BrowserRestartIT {

    private static final String NAME = "pulse-browser-restart";
    private static final String KEY = "browser-test-key-0123456789";
    private static final long RETRY_AFTER = 10_000; // longer than a Payara Micro restart (5-11 s here): pages are away meanwhile
    private static final long RETRY_JITTER = 4000;

    @ArquillianResource
    Deployer deployer;

    @Deployment(name = NAME, managed = false, testable = false)
    static WebArchive deployment() {
        return Measure.war("pulse.war", "pulse.shutdown.restart=true\npulse.shutdown.retry-after=" + RETRY_AFTER
                + "\npulse.shutdown.retry-jitter=" + RETRY_JITTER + "\npulse.api.key=" + KEY + "\n");
    }

    private static int port() {
        return Integer.getInteger("it.http.port", 18080);
    }

    private final Api api = new Api(URI.create("http://127.0.0.1:" + port() + "/pulse/"), KEY);

    /** Deploys once the port is free (a previous server may still be stopping), so the pages' URLs stay valid. */
    private long deploy() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (listening(port())) {
            assertTrue(System.currentTimeMillis() < deadline, "port " + port() + " still taken");
            Thread.sleep(100);
        }
        long start = System.currentTimeMillis();
        deployer.deploy(NAME);
        assertTrue(api.up(), "deployed at " + api.base);
        return System.currentTimeMillis() - start;
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The page's state event for the 1012 close: reconnecting, with the wait the server asked for. */
    private static boolean serviceRestart(JsonObject event) {
        return event.getString("state").equals("reconnecting") && String.valueOf(event.get("code")).equals("1012")
                && event.get("delay") instanceof jakarta.json.JsonNumber;
    }

    @Test
    void pageComesBackByItselfAndShowsWhatItMissed() throws Exception {
        deploy();
        boolean deployed = true;
        try (Chromium browser = Chromium.start()) {
            String topic = "room:restart";
            RoomPage page = RoomPage.open(browser.driver, api.base, "rex", "restart");
            api.publish(topic, "server", "r1");
            api.publish(topic, "server", "r2");
            page.await(Duration.ofSeconds(5), d -> page.texts().equals(List.of("r1", "r2")));

            long down = System.currentTimeMillis();
            deployer.undeploy(NAME);
            deployed = false;
            page.await(Duration.ofSeconds(10), d -> page.events().stream().anyMatch(BrowserRestartIT::serviceRestart));
            JsonObject restart = page.events().stream().filter(BrowserRestartIT::serviceRestart).findFirst().orElseThrow();
            long delay = restart.getJsonNumber("delay").longValue();
            assertTrue(delay >= RETRY_AFTER && delay <= RETRY_AFTER + RETRY_JITTER, "waits the server's retry-after: " + restart);

            long took = deploy();
            deployed = true;
            long up = System.currentTimeMillis();
            boolean awayBefore = api.connectionsOf("rex").isEmpty();
            api.publish(topic, "server", "r3");
            api.publish(topic, "server", "r4");
            api.publish(topic, "server", "r5");
            boolean awayAfter = api.connectionsOf("rex").isEmpty();
            report("restart: down at +0, server back at +%d ms (deploy %d ms), close 1012 with retry-after %d ms; "
                    + "page away while r3-r5 were published: %s", up - down, took, delay, awayBefore && awayAfter);
            assertTrue(awayBefore && awayAfter, "r3-r5 were published while the page was away");

            page.await(Duration.ofSeconds(30), d -> page.texts().size() >= 5);
            long back = page.firstEvent("open", down) - down;
            assertEquals(List.of("r1", "r2", "gap:reset", "r3", "r4", "r5"), page.lines(),
                    "what it missed, after a gap that says the history was reset, each once");
            api.publish(topic, "server", "r6");
            page.await(Duration.ofSeconds(5), d -> page.texts().size() == 6);
            assertEquals(List.of("r1", "r2", "r3", "r4", "r5", "r6"), page.texts(), "no duplicate");
            report("restart: page back by itself %d ms after the close, resubscribed, showed r3-r5 once", back);
            browser.screenshot("room-after-restart");
        } finally {
            if (deployed) {
                deployer.undeploy(NAME);
            }
        }
    }

    @Test
    void twentyPagesDoNotComeBackInTheSameInstant() throws Exception {
        deploy();
        boolean deployed = true;
        try (Chromium browser = Chromium.start(480, 400)) {
            List<String> users = IntStream.rangeClosed(1, 20).mapToObj(i -> String.format("crowd%02d", i)).toList();
            for (String user : users) {
                if (!user.equals(users.get(0))) {
                    browser.driver.switchTo().newWindow(WindowType.WINDOW);
                }
                RoomPage.open(browser.driver, api.base, user, "crowd");
            }
            assertEquals(20, api.connectionsStartingWith("crowd").size());

            long down = System.currentTimeMillis();
            deployer.undeploy(NAME);
            deployed = false;
            deploy();
            deployed = true;
            long up = System.currentTimeMillis();
            List<Long> opened = new ArrayList<>();
            long deadline = up + 60_000;
            while (System.currentTimeMillis() < deadline) {
                List<JsonObject> back = api.connectionsStartingWith("crowd");
                if (back.size() >= 20) {
                    back.forEach(c -> opened.add(c.getJsonNumber("openedAt").longValue()));
                    break;
                }
                Thread.sleep(200);
            }
            assertEquals(20, opened.size(), "all 20 pages came back by themselves");
            int busiest = Measure.busiestWindow(opened, 100);
            long first = opened.stream().mapToLong(Long::longValue).min().orElseThrow();
            long last = opened.stream().mapToLong(Long::longValue).max().orElseThrow();
            report("20 pages after a restart: server back at +%d ms; reconnects from +%d to +%d ms after the close "
                    + "(spread %d ms); busiest 100 ms window: %d of 20", up - down, first - down, last - down,
                    last - first, busiest);
            assertTrue(busiest <= 5, "no storm: at most 5 of 20 in any 100 ms, saw " + busiest);

            // the API is protected here: the monitor asks for the key, then lists the pages
            browser.driver.switchTo().newWindow(WindowType.WINDOW);
            browser.driver.manage().window().setSize(new Dimension(1280, 1100));
            browser.driver.get(api.base + "monitor.html");
            MonitorPage monitor = new MonitorPage(browser.driver);
            monitor.await(Duration.ofSeconds(10), d -> monitor.keyRequested());
            browser.screenshot("monitor-key");
            monitor.enterKey(KEY);
            monitor.await(Duration.ofSeconds(10), d -> monitor.users().stream().filter(u -> u.startsWith("crowd")).count() == 20);
            monitor.await(Duration.ofSeconds(5), d -> monitor.rateShown());
            browser.screenshot("monitor-crowd");
        } finally {
            if (deployed) {
                deployer.undeploy(NAME);
            }
        }
    }
}
