package dev.pulse.browser;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * One headless Chromium with its own profile (a separate browser context: no shared cookies or storage), driven
 * through the system's chromedriver. Nothing is downloaded: the binary and the driver come from Debian's
 * {@code chromium} and {@code chromium-driver} packages (override with -Dbrowser.chromium / -Dbrowser.chromedriver).
 */
final class Chromium implements AutoCloseable {

    static final String BINARY = System.getProperty("browser.chromium", "/usr/bin/chromium");
    static final String DRIVER = System.getProperty("browser.chromedriver", "/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of(System.getProperty("browser.screenshots", "target/screenshots"));

    final ChromeDriver driver;
    private final Path profile;

    private Chromium(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    static Chromium start() {
        return start(1280, 900);
    }

    static Chromium start(int width, int height) {
        for (String path : new String[] {BINARY, DRIVER}) {
            if (!new File(path).canExecute()) {
                throw new IllegalStateException(path + " is missing: apt-get install -y --no-install-recommends "
                        + "chromium chromium-driver (what .ci/run does)");
            }
        }
        Path profile;
        try {
            profile = Files.createTempDirectory("pulse-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BINARY);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--window-size=" + width + "," + height,
                // each page stands for a browser on its own machine: no timer alignment between background windows
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                "--disable-backgrounding-occluded-windows", "--lang=en-US",
                // the page's badge blinks while it reconnects unless the user prefers reduced motion; 20 software-
                // rendered windows blinking took ~0.6 of this 2-core machine's CPU (1.1-1.6 cores in all while
                // reconnecting vs 0.7-1.0 with this), and a Payara boot meanwhile took 5x as long
                "--force-prefers-reduced-motion");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(DRIVER))
                .usingAnyFreePort()
                .build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(60));
        driver.manage().window().setSize(new Dimension(width, height));
        return new Chromium(driver, profile);
    }

    /** Saves a screenshot of the current window as target/screenshots/{name}.png. */
    Path screenshot(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            Path file = SCREENSHOTS.resolve(name + ".png");
            Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Emulates the network going away (or coming back) for this browser, through the DevTools protocol. */
    void networkOffline(boolean offline) {
        driver.executeCdpCommand("Network.enable", Map.of());
        driver.executeCdpCommand("Network.emulateNetworkConditions", Map.of("offline", offline, "latency", 0,
                "downloadThroughput", -1, "uploadThroughput", -1));
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a temp dir left behind
            }
        }
    }
}
