package dev.pulse.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One Pulse node: Payara Micro (the jar failsafe passes as {@code payara.microJar}) running the WAR on its own free
 * port at context root {@code /}, without Hazelcast, configured through the environment, its runtime and log in
 * its own directory. Only {@code --nohazelcast}: together with {@code --nocluster} Payara Micro 6.2025.10 still
 * starts a Hazelcast member (seen in the log: "Hazelcast Member UUID", ports 6900+), which costs seconds per boot.
 */
final class PayaraNode extends NodeProcess {

    private final Path war;
    private final Map<String, String> env;
    /** Put before the java command, e.g. {@code taskset -c 1}. */
    private final List<String> launcher;
    private volatile Process process;
    private volatile long deadNanos;

    private PayaraNode(String id, Path dir, Path war, Map<String, String> env, List<String> launcher) {
        super(id, Procs.freePort(), dir, dir.resolve("server.log"));
        this.launcher = List.copyOf(launcher);
        this.war = war;
        this.env = env;
    }

    static Path microJar() {
        return Path.of(System.getProperty("payara.microJar", "target/payara-micro.jar")).toAbsolutePath();
    }

    /** Starts the JVM (does not wait: see {@link #awaitReady}); pulse.node.id is the node's id. */
    static PayaraNode start(String id, Path dir, Path war, Map<String, String> env) throws IOException {
        return start(id, dir, war, env, List.of());
    }

    /** As {@link #start(String, Path, Path, Map)}, the JVM started through {@code launcher} (e.g. taskset, nice). */
    static PayaraNode start(String id, Path dir, Path war, Map<String, String> env, List<String> launcher)
            throws IOException {
        Map<String, String> all = new LinkedHashMap<>(env);
        all.put("PULSE_NODE_ID", id);
        PayaraNode node = new PayaraNode(id, dir, war, all, launcher);
        node.start();
        return node;
    }

    synchronized void start() throws IOException {
        Path root = dir.resolve("payara");
        deleteTree(root);
        Files.createDirectories(root);
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", microJar().toString(), "--deploy", war.toString(), "--port", Integer.toString(port),
                "--contextroot", "/", "--nohazelcast", "--rootdir", root.toString(),
                "--prebootcommandfile", Path.of("server-config/payara/pulse-tuning.asadmin").toAbsolutePath().toString()));
        ProcessBuilder b = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        b.environment().putAll(env);
        process = Procs.start(b);
        deadNanos = 0;
    }

    /** Waits until /health/ready answers 200; fails early if the JVM exits. */
    void awaitReady(Duration timeout) throws InterruptedException {
        awaitReady(timeout, Duration.ofMillis(200), "node");
    }

    @Override
    Process process() {
        return process;
    }

    int status(String path) {
        return Http.get(http.resolve(path)).status();
    }

    boolean alive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** SIGKILL (Process.destroyForcibly): the node dies without closing anything; returns when it is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("node " + id + " still alive 10 s after SIGKILL");
        }
        deadNanos = System.nanoTime();
    }

    long deadNanos() {
        return deadNanos;
    }

    @Override
    public void close() {
        Procs.stop(process, Duration.ofSeconds(15));
        deleteTree(dir.resolve("payara")); // the unpacked runtime (~100 MB); the log stays
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // best effort: it is in a temporary directory
        }
    }

    @Override
    public String toString() {
        return id + "@" + port;
    }
}
