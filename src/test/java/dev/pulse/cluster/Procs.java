package dev.pulse.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The processes these tests start (Redis, Payara Micro, nginx), and what the tests need around them: free ports,
 * polling, signals. Every process is registered here; a JVM shutdown hook kills whatever a test class failed to
 * stop (a hung or aborted run leaves nothing behind).
 */
final class Procs {

    private static final List<ProcessHandle> STARTED = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Procs::killAll, "cluster-it-cleanup"));
    }

    private Procs() {
    }

    /** Starts the process and registers it for the last-resort cleanup. */
    static Process start(ProcessBuilder builder) throws IOException {
        Process p = builder.start();
        STARTED.add(p.toHandle());
        return p;
    }

    /** Kills every registered process that is still alive, and its children (a stopped one is resumed first). */
    static void killAll() {
        for (ProcessHandle h : STARTED) {
            if (h.isAlive()) {
                h.descendants().forEach(ProcessHandle::destroyForcibly);
                h.destroyForcibly();
            }
        }
    }

    /** SIGTERM, then SIGKILL after the grace; descendants too. Resumes a SIGSTOPped process first. */
    static void stop(Process p, Duration grace) {
        if (p == null || !p.isAlive()) {
            return;
        }
        List<ProcessHandle> children = p.descendants().toList();
        signalQuietly(p.pid(), "CONT");
        p.destroy();
        try {
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    /** {@code kill -SIG pid}; fails unless kill succeeded. */
    static void signal(long pid, String signal) {
        int rc = signalQuietly(pid, signal);
        if (rc != 0) {
            throw new IllegalStateException("kill -" + signal + " " + pid + " exited " + rc);
        }
    }

    static int signalQuietly(long pid, String signal) {
        try {
            return new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Polls until the condition holds; false after the timeout. */
    static boolean await(Duration timeout, Duration every, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (;;) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(every.toMillis());
        }
    }

    static long millis(long fromNanos, long toNanos) {
        return (toNanos - fromNanos) / 1_000_000;
    }

    static long millisSince(long nanos) {
        return millis(nanos, System.nanoTime());
    }

    /** The last lines of a log file, for failure messages. */
    static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(no " + file + ")";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(could not read " + file + ": " + e + ")";
        }
    }

    /** p50, p99, max of a list of millisecond figures, as text. */
    static String summary(List<Long> values) {
        if (values.isEmpty()) {
            return "n=0";
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return "n=" + sorted.size() + " p50=" + sorted.get((sorted.size() - 1) / 2) + " p99="
                + sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1) + " max=" + sorted.get(sorted.size() - 1)
                + " ms";
    }

    static long max(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /** One line of the measurements these tests report, on stdout (failsafe keeps it in the -output.txt file). */
    static void report(String line) {
        System.out.println("[cluster] " + line);
    }
}
