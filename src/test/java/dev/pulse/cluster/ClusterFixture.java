package dev.pulse.cluster;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster of this package's tests (a {@link Fleet}: one Redis, Payara Micro nodes sharing it with
 * {@code pulse.store=redis}, nginx in front, all on free loopback ports) for tests in other packages, e.g. the
 * browser tests: Fleet and its parts are package-private, this is the little they need of them. Closing stops
 * everything it started.
 */
public final class ClusterFixture implements AutoCloseable {

    private final Fleet fleet;
    private final Map<String, PayaraNode> nodes = new LinkedHashMap<>();
    private final ProxyNginx nginx;

    private ClusterFixture(Fleet fleet, List<PayaraNode> started, ProxyNginx nginx) {
        this.fleet = fleet;
        started.forEach(n -> nodes.put(n.id, n));
        this.nginx = nginx;
    }

    /** Whether redis-server and nginx are installed. */
    public static boolean available() {
        return RedisProc.available() && ProxyNginx.binary() != null;
    }

    /**
     * Starts Redis, one Payara Micro node per id (the environment of {@link Fleet#env} plus {@code extraEnv}) and
     * nginx in front of them (round robin), and waits until every node is ready. Whatever was started is stopped
     * if a later part fails.
     */
    public static ClusterFixture start(String name, Map<String, String> extraEnv, String... nodeIds) throws Exception {
        Fleet fleet = Fleet.create(name);
        try {
            RedisProc redis = fleet.redis("redis");
            Map<String, String> env = Fleet.env(redis.uri(), false);
            env.putAll(extraEnv);
            List<PayaraNode> started = fleet.nodes(env, nodeIds);
            ProxyNginx nginx = fleet.nginx(started.toArray(PayaraNode[]::new));
            return new ClusterFixture(fleet, started, nginx);
        } catch (Exception | Error e) {
            fleet.close();
            throw e;
        }
    }

    /** The base of nginx, e.g. {@code http://127.0.0.1:41234/}. */
    public URI proxy() {
        return nginx.http;
    }

    public int proxyPort() {
        return nginx.port;
    }

    public List<String> nodeIds() {
        return List.copyOf(nodes.keySet());
    }

    /** The base of one node, directly (not through nginx). */
    public URI http(String nodeId) {
        return node(nodeId).http;
    }

    /** SIGKILL: the node dies without closing anything; returns when the process is gone. */
    public void kill(String nodeId) throws InterruptedException {
        node(nodeId).kill();
    }

    public boolean alive(String nodeId) {
        return node(nodeId).alive();
    }

    /** The work directory (logs stay there after closing). */
    public Path dir() {
        return fleet.dir;
    }

    /** The tail of nginx's error log and of each node's log, for failure messages. */
    public String diagnostics() {
        StringBuilder b = new StringBuilder("nginx error log:\n").append(nginx.errorLog());
        for (PayaraNode n : nodes.values()) {
            b.append("\n").append(n).append(" log ").append(n.log).append(":\n").append(Procs.tail(n.log, 30));
        }
        return b.toString();
    }

    /** Polls until the condition holds; false after the timeout. */
    public static boolean await(Duration timeout, Duration every, java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        return Procs.await(timeout, every, condition);
    }

    /** One line of measurements on stdout (failsafe keeps it in the test's -output.txt file). */
    public static void report(String line) {
        Procs.report(line);
    }

    private PayaraNode node(String id) {
        PayaraNode n = nodes.get(id);
        if (n == null) {
            throw new IllegalArgumentException("no node " + id + " (nodes: " + nodes.keySet() + ")");
        }
        return n;
    }

    @Override
    public void close() {
        fleet.close();
    }
}
