package dev.pulse.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real {@code redis-server} for one test class, on a free port of 127.0.0.1, without persistence; started
 * before the class (ready once it answers PING) and stopped after it. Also usable on its own
 * ({@link #start()}/{@link #stop()}) for a Redis that a test takes away.
 *
 * <p>Needs {@code redis-server} on the PATH (Debian/Ubuntu: {@code apt-get install redis-server}). Without it the
 * tests fail, naming what is missing; {@code -Dpulse.test.redis=skip} skips them instead.
 */
public final class RedisServer implements BeforeAllCallback, AfterAllCallback {

    private static final long START_TIMEOUT_MILLIS = 10_000;

    private Process process;
    private int port;
    private Path log;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse("skip".equals(System.getProperty("pulse.test.redis")),
                "Redis store tests skipped (-Dpulse.test.redis=skip)");
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    /** Starts a server and returns once it answers. */
    public RedisServer start() throws Exception {
        String executable = executable();
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        log = Files.createTempFile("pulse-redis-" + port + "-", ".log");
        process = new ProcessBuilder(List.of(executable, "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
        while (true) {
            try {
                if ("+PONG".equals(command("PING"))) {
                    return this;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String output = Files.readString(log);
                stop();
                throw new IllegalStateException("redis-server on port " + port + " did not answer within "
                        + START_TIMEOUT_MILLIS + " ms:\n" + output);
            }
            Thread.sleep(20); // polling until it answers
        }
    }

    /** Stops the server (and waits until it is gone). Idempotent. */
    public void stop() {
        Process p = process;
        process = null;
        if (p != null) {
            p.destroy();
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (log != null) {
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                // a temp file
            }
        }
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:PORT} */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Forgets every key, between tests. */
    public void flushAll() throws IOException {
        String reply = command("FLUSHALL");
        if (!"+OK".equals(reply)) {
            throw new IOException("FLUSHALL answered " + reply);
        }
    }

    /** Sends one inline command and returns the first line of the reply. */
    public String command(String inline) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write((inline + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\r') {
                line.append((char) c);
            }
            return line.toString();
        }
    }

    private static String executable() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            File candidate = new File(dir, "redis-server");
            if (candidate.canExecute()) {
                return candidate.getPath();
            }
        }
        File usual = new File("/usr/bin/redis-server");
        if (usual.canExecute()) {
            return usual.getPath();
        }
        throw new IllegalStateException("redis-server not found on the PATH: the Redis store tests need it "
                + "(apt-get install redis-server), or skip them with -Dpulse.test.redis=skip");
    }
}
