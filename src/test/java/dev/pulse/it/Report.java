package dev.pulse.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;

/**
 * Measurements the integration tests report besides pass/fail: printed (into failsafe's *-output.txt) and
 * appended to {@code target/it-reports/<container>.txt}.
 */
final class Report {

    private Report() {
    }

    static synchronized void line(String format, Object... args) {
        String text = "[" + PulseServer.container() + " " + LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + "] "
                + String.format(java.util.Locale.ROOT, format, args);
        System.out.println("IT-REPORT " + text);
        try {
            Path dir = Path.of(System.getProperty("it.reports", "target/it-reports"));
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(PulseServer.container() + ".txt"), text + System.lineSeparator(),
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.out.println("IT-REPORT (could not write the report file: " + e + ")");
        }
    }
}
