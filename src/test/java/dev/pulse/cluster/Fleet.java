package dev.pulse.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The servers of one test class, in a work directory of their own (under the system's temporary directory, so
 * that a {@code mvn clean} meanwhile does not pull it from under running servers; its path is printed): a private
 * copy of the WAR (a rebuild meanwhile does not change it under the nodes), each process's directory and log.
 * Closing stops nginx, then every node (in parallel), then Redis.
 */
final class Fleet implements AutoCloseable {

    final Path dir;
    final Path war;
    private final List<AutoCloseable> proxies = new ArrayList<>();
    private final List<PayaraNode> nodes = Collections.synchronizedList(new ArrayList<>());
    private final List<AutoCloseable> stores = new ArrayList<>();

    private Fleet(Path dir, Path war) {
        this.dir = dir;
        this.war = war;
    }

    static Fleet create(String name) throws IOException {
        Path dir = Files.createTempDirectory("pulse-" + name + "-").toAbsolutePath();
        Path source = Path.of("target", "pulse.war");
        if (!Files.exists(source)) {
            throw new IllegalStateException("target/pulse.war is missing: build it first (mvn package)");
        }
        Path war = dir.resolve("pulse.war");
        Files.copy(source, war, StandardCopyOption.REPLACE_EXISTING);
        Procs.report(name + ": work directory " + dir);
        return new Fleet(dir, war);
    }

    /** The environment every node of a shared Redis gets (identity from ?user=, behind a proxy on 127.0.0.1). */
    static Map<String, String> env(String redisUri, boolean cluster) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PULSE_STORE", "redis");
        env.put("PULSE_REDIS_URI", redisUri);
        env.put("PULSE_REDIS_CLUSTER", Boolean.toString(cluster));
        env.put("PULSE_IDENTITY_QUERY_PARAM", "true");
        env.put("PULSE_PROXIES", "127.0.0.1");
        env.put("PULSE_HEARTBEAT_INTERVAL", "1000");
        env.put("PULSE_HEARTBEAT_TIMEOUT", "2000");
        env.put("PULSE_RATE_MESSAGES_PER_SECOND", "500"); // publishers here are fast on purpose
        return env;
    }

    RedisProc redis(String name) throws IOException, InterruptedException {
        RedisProc r = RedisProc.start(dir.resolve(name));
        stores.add(r);
        return r;
    }

    RedisClusterProc redisCluster(String name) throws IOException, InterruptedException {
        RedisClusterProc c = RedisClusterProc.start(dir.resolve(name));
        stores.add(c);
        return c;
    }

    /** Starts the nodes at once and waits until every one is ready (their boots overlap). */
    List<PayaraNode> nodes(Map<String, String> env, String... ids) throws IOException, InterruptedException {
        long start = System.nanoTime();
        List<PayaraNode> started = new ArrayList<>();
        for (String id : ids) {
            PayaraNode n = PayaraNode.start(id, dir.resolve(id), war, env);
            nodes.add(n);
            started.add(n);
        }
        for (PayaraNode n : started) {
            n.awaitReady(java.time.Duration.ofSeconds(180));
        }
        Procs.report(String.join(", ", ids) + " ready in " + Procs.millisSince(start) + " ms");
        return started;
    }

    ProxyNginx nginx(PayaraNode... upstreams) throws IOException, InterruptedException {
        int[] ports = new int[upstreams.length];
        for (int i = 0; i < upstreams.length; i++) {
            ports[i] = upstreams[i].port;
        }
        ProxyNginx n = ProxyNginx.start(dir.resolve("nginx"), ports);
        proxies.add(n);
        return n;
    }

    /** Registers a node started by the test itself (e.g. a restart), so that closing stops it too. */
    void adopt(PayaraNode node) {
        nodes.add(node);
    }

    @Override
    public void close() {
        long start = System.nanoTime();
        proxies.forEach(Fleet::quietly);
        List<Thread> stopping = new ArrayList<>();
        synchronized (nodes) {
            for (PayaraNode n : nodes) {
                Thread t = new Thread(n::close, "stop-" + n.id);
                t.start();
                stopping.add(t);
            }
        }
        for (Thread t : stopping) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stores.forEach(Fleet::quietly);
        try {
            Files.deleteIfExists(war); // the logs stay
        } catch (IOException e) {
            // best effort
        }
        Procs.report("fleet " + dir.getFileName() + " stopped in " + Procs.millisSince(start) + " ms");
    }

    private static void quietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            System.err.println("[cluster] closing " + c + ": " + e);
        }
    }
}
