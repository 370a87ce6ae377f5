package dev.pulse.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * One Pulse node on WildFly, as a process of its own: {@code bin/standalone.sh -c standalone.xml} of the WildFly at
 * {@code wildfly.home} (unpacked by {@code dependency:unpack@wildfly-dist} and set up by
 * {@code exec:exec@wildfly-tuning}, as for the it-wildfly execution), with a private copy of its
 * {@code standalone/configuration} as the server base directory, the WAR deployed there as {@code ROOT.war}
 * (context root {@code /}, as {@code server-config/wildfly/deploy.sh} does), on loopback only, every port moved by
 * a port offset whose ports were all free, and configured through the environment like {@link PayaraNode}
 * ({@code PULSE_NODE_ID} is the node's id). The installation itself is only read.
 */
final class WildFlyNode extends NodeProcess {

    /** The socket bindings of standalone.xml that the offset moves (every one it opens). */
    private static final int[] BASE_PORTS = {8080, 8443, 9990, 9993, 8009, 4712, 4713};

    final int offset;
    private final Process process;

    private WildFlyNode(String id, int offset, Path dir, Process process) {
        super(id, 8080 + offset, dir, dir.resolve("log/server.log"));
        this.offset = offset;
        this.process = process;
    }

    /** The WildFly installation failsafe passes as {@code wildfly.home}. */
    static Path home() {
        return Path.of(System.getProperty("wildfly.home", "target/wildfly-39.0.1.Final")).toAbsolutePath();
    }

    /** Starts the server (does not wait: see {@link #awaitReady}). */
    static WildFlyNode start(String id, Path dir, Path war, Map<String, String> env) throws IOException {
        Path home = home();
        Path script = home.resolve("bin/standalone.sh");
        if (!Files.isExecutable(script)) {
            throw new IllegalStateException(script + " is missing: unpack WildFly first (mvn dependency:unpack@wildfly-dist "
                    + "exec:exec@wildfly-tuning, which mvn verify runs before the integration tests)");
        }
        Files.createDirectories(dir.resolve("deployments"));
        copyTree(home.resolve("standalone/configuration"), dir.resolve("configuration"));
        Files.copy(war, dir.resolve("deployments/ROOT.war"), StandardCopyOption.REPLACE_EXISTING);
        int offset = freeOffset();
        ProcessBuilder b = new ProcessBuilder(script.toString(), "-c", "standalone.xml",
                "-Djboss.server.base.dir=" + dir, "-Djboss.socket.binding.port-offset=" + offset,
                "-Djboss.bind.address=127.0.0.1", "-Djboss.bind.address.management=127.0.0.1")
                .directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("console.log").toFile()));
        Map<String, String> all = new LinkedHashMap<>(env);
        all.put("PULSE_NODE_ID", id);
        b.environment().putAll(all);
        b.environment().put("JBOSS_HOME", home.toString());
        // standalone.sh forwards SIGTERM to the JVM and waits for it: a stop is a clean shutdown
        b.environment().put("LAUNCH_JBOSS_IN_BACKGROUND", "true");
        b.environment().put("JAVA_OPTS", "-Xms64m -Xmx512m -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "
                + "-Djava.net.preferIPv4Stack=true -Djboss.modules.system.pkgs=org.jboss.byteman -Djava.awt.headless=true");
        return new WildFlyNode(id, offset, dir, Procs.start(b));
    }

    /** A port offset for which every port of {@link #BASE_PORTS} is free now (below the ephemeral range). */
    private static int freeOffset() {
        for (int i = 0; i < 200; i++) {
            int offset = ThreadLocalRandom.current().nextInt(1000, 22000);
            boolean free = true;
            for (int p : BASE_PORTS) {
                free &= free(p + offset);
            }
            if (free) {
                return offset;
            }
        }
        throw new IllegalStateException("no port offset with all of " + java.util.Arrays.toString(BASE_PORTS) + " free");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Waits until /health/ready answers 200 (the WAR deployed and its store connected); fails early if it exits. */
    void awaitReady(Duration timeout) throws InterruptedException {
        awaitReady(timeout, Duration.ofMillis(250), "WildFly node");
    }

    @Override
    String moreOnFailure() {
        return "\nconsole:\n" + Procs.tail(dir.resolve("console.log"), 20);
    }

    @Override
    Process process() {
        return process;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGTERM to standalone.sh, which stops the server cleanly; SIGKILL to both after 30 s. The logs stay. */
    @Override
    public void close() {
        Procs.stop(process, Duration.ofSeconds(30));
        for (String d : List.of("data", "tmp", "deployments")) {
            deleteTree(dir.resolve(d));
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: it is in a temporary directory
        }
    }

    @Override
    public String toString() {
        return id + "@" + port + " (WildFly, port offset " + offset + ")";
    }
}
