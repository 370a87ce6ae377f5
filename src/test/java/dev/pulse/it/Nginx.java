package dev.pulse.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * nginx from the machine (Debian's package; {@code .ci/run} installs it) running the project's own
 * {@code server-config/nginx/nginx.conf}, with only its two ports changed, in front of a deployed Pulse.
 */
final class Nginx implements AutoCloseable {

    private static final Path CONFIG = Path.of("server-config/nginx/nginx.conf");
    private static final String LISTEN = "listen 127.0.0.1:8000;";
    private static final String UPSTREAM = "server 127.0.0.1:8080;";

    final int port;
    private final Process process;
    private final Path dir;

    private Nginx(int port, Process process, Path dir) {
        this.port = port;
        this.process = process;
        this.dir = dir;
    }

    /** The nginx binary, or null when the machine has none. */
    static String binary() {
        for (String candidate : new String[] {"/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"}) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return null;
    }

    /** Starts nginx in front of {@code upstreamPort} and waits until it listens. */
    static Nginx start(int upstreamPort) throws IOException, InterruptedException {
        String template = Files.readString(CONFIG, StandardCharsets.UTF_8);
        if (!template.contains(LISTEN) || !template.contains(UPSTREAM)) {
            throw new AssertionError(CONFIG + " no longer has '" + LISTEN + "' and '" + UPSTREAM
                    + "': update this test together with it");
        }
        int port = freePort();
        Path dir = Path.of("target", "nginx-" + PulseServer.container()).toAbsolutePath();
        Files.createDirectories(dir.resolve("run"));
        Files.writeString(dir.resolve("nginx.conf"), template.replace(LISTEN, "listen 127.0.0.1:" + port + ";")
                .replace(UPSTREAM, "server 127.0.0.1:" + upstreamPort + ";"), StandardCharsets.UTF_8);
        Process process = new ProcessBuilder(binary(), "-p", dir.toString(), "-c", "nginx.conf")
                .redirectErrorStream(true).redirectOutput(dir.resolve("run/stdout.log").toFile()).start();
        Nginx nginx = new Nginx(port, process, dir);
        boolean up = PulseServer.await(Duration.ofSeconds(15), Duration.ofMillis(50),
                () -> PulseServer.listening(port) || !process.isAlive());
        if (!up || !process.isAlive()) {
            String log = nginx.log();
            nginx.close();
            throw new IllegalStateException("nginx did not start on port " + port + ":\n" + log);
        }
        return nginx;
    }

    /** nginx's own output and error log, for failure messages. */
    String log() {
        StringBuilder text = new StringBuilder();
        for (String name : new String[] {"run/stdout.log", "run/error.log"}) {
            Path file = dir.resolve(name);
            try {
                if (Files.exists(file)) {
                    text.append(Files.readString(file, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return text.toString();
    }

    @Override
    public void close() throws InterruptedException {
        var workers = process.descendants().toList();
        process.destroy(); // SIGTERM: nginx's fast shutdown, which ends its worker too
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        workers.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
