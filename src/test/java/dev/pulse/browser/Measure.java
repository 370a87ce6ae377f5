package dev.pulse.browser;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;

/** What the browser tests share: the archive they deploy, their settings, and the report of what they measured. */
final class Measure {

    /** The heartbeat the failsafe execution sets through PULSE_HEARTBEAT_INTERVAL / _TIMEOUT. */
    static final long INTERVAL = 1000;
    static final long TIMEOUT = 2000;
    /** pulse.js's default probe timeout. */
    static final long PROBE_TIMEOUT = 1000;

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    private Measure() {
    }

    /**
     * The built WAR (context root /pulse/ from its name) with the settings the pages need in its own
     * microprofile-config.properties: names from ?user= (the development switch) and a short presence grace.
     */
    static WebArchive war(String name, String extraSettings) {
        File war = new File("target/pulse.war");
        if (!war.isFile()) {
            throw new IllegalStateException(war.getAbsolutePath() + " is missing: run `mvn verify`, not the ITs alone");
        }
        String settings = "pulse.identity.query-param=true\npulse.presence.grace=2000\n" + extraSettings;
        return ShrinkWrap.create(ZipImporter.class, name).importFrom(war).as(WebArchive.class)
                .addAsResource(new StringAsset(settings), "META-INF/microprofile-config.properties");
    }

    /** Prints a measurement and appends it to target/it-reports/browser.txt. */
    static synchronized void report(String format, Object... args) {
        String text = "[browser " + LocalTime.now().format(TIME) + "] " + String.format(Locale.ROOT, format, args);
        System.out.println("IT-REPORT " + text);
        try {
            Path dir = Path.of(System.getProperty("it.reports", "target/it-reports"));
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("browser.txt"), text + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.out.println("IT-REPORT (could not write the report file: " + e + ")");
        }
    }
}
