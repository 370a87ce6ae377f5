package dev.pulse.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@code redis-server} on 127.0.0.1, in memory only (nothing saved), in its own directory; can be stopped,
 * started again on the same port (empty: its data is gone), killed, frozen (SIGSTOP) and thawed (SIGCONT).
 */
final class RedisProc implements AutoCloseable {

    final int port;
    final Path dir;
    private final List<String> extra;
    private volatile Process process;
    private volatile boolean frozen;

    private RedisProc(Path dir, int port, List<String> extra) {
        this.dir = dir;
        this.port = port;
        this.extra = extra;
    }

    static boolean available() {
        return Files.isExecutable(Path.of("/usr/bin/redis-server")) || Files.isExecutable(Path.of("/usr/local/bin/redis-server"));
    }

    /** Starts a Redis on a free port and waits until it answers PING. */
    static RedisProc start(Path dir, String... extra) throws IOException, InterruptedException {
        RedisProc r = new RedisProc(dir, Procs.freePort(), List.of(extra));
        r.start();
        return r;
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** (Re)starts the server on its port and waits until it answers PING (10 s at most). */
    synchronized void start() throws IOException, InterruptedException {
        if (alive()) {
            throw new IllegalStateException("Redis on " + port + " is already running");
        }
        Files.createDirectories(dir);
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "",
                "--dir", dir.toString()));
        command.addAll(extra);
        process = Procs.start(new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile())));
        frozen = false;
        Process p = process;
        if (!Procs.await(Duration.ofSeconds(10), Duration.ofMillis(20), () -> !p.isAlive() || Resp.ping(port, Duration.ofMillis(500)))
                || !p.isAlive()) {
            throw new IllegalStateException("Redis did not start on " + port + ":\n" + Procs.tail(dir.resolve("redis.log"), 30));
        }
    }

    /** SIGTERM (Redis closes its connections and exits at once: clients are refused), and waits for the exit. */
    synchronized void stop() throws InterruptedException {
        Process p = process;
        if (frozen) {
            thaw();
        }
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** SIGSTOP: the port still accepts connections (the kernel does) but nothing is answered. */
    void freeze() {
        Procs.signal(process.pid(), "STOP");
        frozen = true;
    }

    void thaw() {
        Procs.signal(process.pid(), "CONT");
        frozen = false;
    }

    @Override
    public void close() {
        Procs.stop(process, Duration.ofSeconds(5));
    }
}
