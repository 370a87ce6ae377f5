package dev.pulse.browser;

import static dev.pulse.browser.Measure.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.WindowType;

/**
 * The demo as `mvn -Prun package` starts it: demo mode on ({@code pulse.demo=true}, what the run profile sets) and
 * the {@code ?user=} development switch off. Two people type their names, get demo tokens, and see each other.
 */
@ExtendWith(ArquillianExtension.class)
@EnabledIfSystemProperty(named = "it.container", matches = "payara.*", disabledReason = "browser tests run on Payara Micro only")
class BrowserDemoIT {

    @ArquillianResource
    URL deployed;

    @Deployment(testable = false)
    static WebArchive deployment() {
        return Measure.war("pulse.war", "pulse.demo=true\npulse.identity.query-param=false\n");
    }

    @Test
    void twoNamedUsersSeeEachOtherInTheDemoRoom() {
        Api api = new Api(URI.create("http://127.0.0.1:" + deployed.getPort() + "/pulse/"));
        try (Chromium a = Chromium.start(); Chromium b = Chromium.start(390, 844)) {
            // as a new user does: open the page, type a name, Join
            a.driver.get(api.base.toString());
            a.driver.findElement(By.id("join-user")).sendKeys("alice");
            a.driver.findElement(By.id("join-room")).clear();
            a.driver.findElement(By.id("join-room")).sendKeys("demo");
            a.driver.findElement(By.cssSelector("#join button[type=submit]")).click();
            new org.openqa.selenium.support.ui.WebDriverWait(a.driver, Duration.ofSeconds(10))
                    .until(d -> d.getCurrentUrl().contains("user=alice"));
            RoomPage alice = RoomPage.open(a.driver, api.base, "alice", "demo");
            alice.await(Duration.ofSeconds(10), d -> alice.people().equals(List.of("alice")));
            RoomPage bob = RoomPage.open(b.driver, api.base, "bob", "demo");
            bob.await(Duration.ofSeconds(10), d -> bob.people().equals(List.of("bob", "alice")));
            alice.await(Duration.ofSeconds(10), d -> alice.people().equals(List.of("alice", "bob")));
            assertEquals("alice", a.driver.findElement(By.id("user")).getText(), "named, not anonymous");
            assertTrue(a.driver.findElement(By.id("identity-note")).getText().contains("demo token"),
                    "the page says it is a demo sign-in");
            assertTrue(a.driver.findElement(By.id("people-count")).getText().contains("2"), "Who's here · 2");

            alice.say("Hello from the first command");
            bob.await(Duration.ofSeconds(10), d -> bob.texts().contains("Hello from the first command"));
            List<JsonObject> sessions = api.connectionsOf("alice");
            assertEquals(1, sessions.size(), "alice's session carries her name: " + sessions);
            assertEquals(List.of("bob"), api.connectionsOf("bob").stream().map(c -> c.getString("user")).toList());
            report("demo mode: alice and bob signed in with demo tokens, see each other and chat");
            a.screenshot("demo-room");
        }
    }

    /** With {@code ?share=1} the shared worker holds the socket; the token function stays in the pages, asked by it. */
    @Test
    void sharedWorkerSignsInWithATokenFromAWindow() {
        Api api = new Api(URI.create("http://127.0.0.1:" + deployed.getPort() + "/pulse/"));
        try (Chromium browser = Chromium.start(480, 400)) {
            RoomPage first = RoomPage.open(browser.driver, api.base, "carol", "shared", "&share=1");
            assertEquals("worker", first.js("return window.pulse.sharing"));
            browser.driver.switchTo().newWindow(WindowType.WINDOW);
            RoomPage second = RoomPage.open(browser.driver, api.base, "carol", "shared", "&share=1");
            second.await(Duration.ofSeconds(10), d -> second.people().equals(List.of("carol")));
            assertEquals("carol", browser.driver.findElement(By.id("user")).getText(), "named by the demo token");
            List<JsonObject> sessions = api.connectionsOf("carol");
            assertEquals(1, sessions.size(), "two windows, one session: " + sessions);
            report("demo mode, shared worker: two windows of carol, one session named by a token a window fetched");
        }
    }
}
