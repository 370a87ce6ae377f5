package dev.pulse.browser;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The monitor page (/monitor.html) in the current window, read through its DOM. */
final class MonitorPage {

    final WebDriver driver;

    MonitorPage(WebDriver driver) {
        this.driver = driver;
    }

    <T> T await(Duration timeout, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, timeout, Duration.ofMillis(100)).until(condition);
    }

    @SuppressWarnings("unchecked")
    List<String> sessions() {
        return (List<String>) ((JavascriptExecutor) driver).executeScript(
                "return Array.from(document.querySelectorAll('#conn-rows tr')).map((tr) => tr.dataset.session)");
    }

    @SuppressWarnings("unchecked")
    List<String> users() {
        return (List<String>) ((JavascriptExecutor) driver).executeScript(
                "return Array.from(document.querySelectorAll('#conn-rows tr')).map((tr) => tr.dataset.user)");
    }

    // read in one script each: the page re-renders every second, so element handles go stale between two calls

    String userOf(String session) {
        return (String) js("const row = Array.from(document.querySelectorAll('#conn-rows tr'))"
                + ".find((tr) => tr.dataset.session === arguments[0]); return row ? row.cells[0].textContent : null", session);
    }

    /** The total the legend shows for an eviction reason; 0 when it lists none. */
    long evictions(String reason) {
        String n = (String) js("const n = Array.from(document.querySelectorAll('#ev-legend li'))"
                + ".find((li) => li.dataset.reason === arguments[0]); return n ? n.querySelector('.n').textContent : '0'", reason);
        return Long.parseLong(n.replaceAll("[^0-9]", ""));
    }

    /** Bars drawn in the evictions-over-time chart. */
    long evictionBars() {
        return (Long) js("return document.querySelectorAll('#ev-chart rect.bar').length");
    }

    boolean rateShown() {
        return Boolean.TRUE.equals(js("return /^[0-9.,]+$/.test(document.getElementById('t-pings').textContent)"));
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    boolean keyRequested() {
        return driver.findElement(By.id("key-card")).isDisplayed();
    }

    void enterKey(String key) {
        driver.findElement(By.id("key")).sendKeys(key);
        driver.findElement(By.cssSelector("#key-form button")).click();
    }
}
