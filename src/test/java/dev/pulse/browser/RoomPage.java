package dev.pulse.browser;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The demo room page (/) in one browser window, read through its DOM and its console handle {@code window.pulse}. */
final class RoomPage {

    /**
     * Keeps every state change and welcome with the browser's Date.now(), to time them against the test's clock, and
     * the time of every answer to the page's pings (an 'rtt' event): proof that the socket still works.
     */
    private static final String RECORD = """
            if (!window.__events) {
              window.__events = [];
              window.__answers = [];
              window.pulse.on('state', (s) => window.__events.push({ t: Date.now(), state: s.state, code: s.code,
                  reason: s.reason, delay: s.delay, retryAt: s.retryAt }));
              window.pulse.on('welcome', (w) => window.__events.push({ t: Date.now(), state: 'welcome', session: w.session }));
              window.pulse.on('rtt', () => window.__answers.push(Date.now()));
            }""";

    final WebDriver driver;
    final String user;
    final String room;

    private RoomPage(WebDriver driver, String user, String room) {
        this.driver = driver;
        this.user = user;
        this.room = room;
    }

    /** Opens the room as {@code user} (the page at {@code base}, e.g. through a relay) and waits until it is open. */
    static RoomPage open(WebDriver driver, URI base, String user, String room) {
        return open(driver, base, user, room, "");
    }

    /** The same, with more of the page's query (e.g. {@code "&share=1"}). */
    static RoomPage open(WebDriver driver, URI base, String user, String room, String query) {
        driver.get(base + "?user=" + user + "&room=" + room + query);
        RoomPage page = new RoomPage(driver, user, room);
        page.await(Duration.ofSeconds(60), d -> page.js("return !!window.pulse") == Boolean.TRUE);
        page.js(RECORD);
        page.awaitState("open", Duration.ofSeconds(60));
        return page;
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    <T> T await(Duration timeout, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, timeout, Duration.ofMillis(50)).until(condition);
    }

    String state() {
        return driver.findElement(By.id("badge")).getAttribute("data-state");
    }

    void awaitState(String state, Duration timeout) {
        await(timeout, d -> state.equals(state()));
    }

    /** The session id the page shows ('–' while not open). */
    String session() {
        return driver.findElement(By.id("session")).getText();
    }

    String rtt() {
        return driver.findElement(By.id("rtt-last")).getText();
    }

    /** The chat as "seq text" lines, in page order. */
    @SuppressWarnings("unchecked")
    List<String> messages() {
        return (List<String>) js("return Array.from(document.querySelectorAll('#messages li.msg'))"
                + ".map((li) => li.dataset.seq + ' ' + li.querySelector('.msg-text').textContent)");
    }

    /** The texts of the chat, in page order. */
    @SuppressWarnings("unchecked")
    List<String> texts() {
        return (List<String>) js("return Array.from(document.querySelectorAll('#messages li.msg .msg-text'))"
                + ".map((p) => p.textContent)");
    }

    /** Every line of the chat: "gap:<reason>" for gaps, the text for messages. */
    @SuppressWarnings("unchecked")
    List<String> lines() {
        return (List<String>) js("return Array.from(document.querySelectorAll('#messages li'))"
                + ".map((li) => li.classList.contains('gap') ? 'gap:' + li.dataset.reason"
                + " : li.classList.contains('msg') ? li.querySelector('.msg-text').textContent : li.textContent)");
    }

    @SuppressWarnings("unchecked")
    List<String> people() {
        return (List<String>) js("return Array.from(document.querySelectorAll('#people li')).map((li) => li.dataset.user)");
    }

    void say(String text) {
        await(Duration.ofSeconds(10), d -> d.findElement(By.id("text")).isEnabled());
        driver.findElement(By.id("text")).sendKeys(text);
        driver.findElement(By.id("send")).click();
    }

    void leave() {
        driver.findElement(By.id("leave")).click();
    }

    /** The recorded state changes and welcomes: {t, state, code, reason, delay, retryAt, session}. */
    List<JsonObject> events() {
        String json = (String) js("return JSON.stringify(window.__events || [])");
        JsonArray array = Json.createReader(new StringReader(json)).readArray();
        return array.getValuesAs(JsonObject.class);
    }

    /** How many answers to its pings (or probes) the page got at or after {@code since} (epoch ms). */
    long answersSince(long since) {
        return ((Number) js("return window.__answers.filter((t) => t >= arguments[0]).length", since)).longValue();
    }

    /**
     * Waits until the page got {@code count} answers to its pings at or after {@code since}: the socket it holds
     * works, and whatever a dead-link verdict it might have reached by then has been reached.
     */
    void awaitAnswers(long since, int count, Duration timeout) {
        await(timeout, d -> answersSince(since) >= count);
    }

    /** Epoch ms of the first recorded event with this state at or after {@code since}; -1 if none yet. */
    long firstEvent(String state, long since) {
        return events().stream()
                .filter(e -> e.getString("state").equals(state) && e.getJsonNumber("t").longValue() >= since)
                .mapToLong(e -> e.getJsonNumber("t").longValue()).min().orElse(-1);
    }

    /** Epoch ms of the first event at or after {@code since} whose state is not "open" (nor a welcome); -1 if none. */
    long firstTrouble(long since) {
        return events().stream()
                .filter(e -> !List.of("open", "welcome").contains(e.getString("state"))
                        && e.getJsonNumber("t").longValue() >= since)
                .mapToLong(e -> e.getJsonNumber("t").longValue()).min().orElse(-1);
    }

    /** Blocks the page's main thread for {@code millis} (a sleeping laptop); returns the browser's Date.now() after. */
    long blockMainThread(long millis) {
        Object end = js("const until = Date.now() + arguments[0]; while (Date.now() < until) { /* busy */ } return Date.now();",
                millis);
        return ((Number) end).longValue();
    }

    void dispatchWindowEvent(String type) {
        js("window.dispatchEvent(new Event(arguments[0]))", type);
    }
}
