package dev.pulse.cluster;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** A Redis Cluster of three masters (no replicas) on loopback, each in its own directory. */
final class RedisClusterProc implements AutoCloseable {

    final List<RedisProc> masters = new ArrayList<>();

    private RedisClusterProc() {
    }

    static RedisClusterProc start(Path dir) throws IOException, InterruptedException {
        RedisClusterProc c = new RedisClusterProc();
        try {
            for (int i = 1; i <= 3; i++) {
                c.masters.add(RedisProc.start(dir.resolve("redis-" + i), "--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"));
            }
            List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            c.masters.forEach(m -> command.add("127.0.0.1:" + m.port));
            command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            Path log = dir.resolve("cluster-create.log");
            Process create = Procs.start(new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()));
            try (OutputStream in = create.getOutputStream()) {
                in.write("yes\n".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException ignored) {
                // --cluster-yes made it not ask
            }
            if (!create.waitFor(60, TimeUnit.SECONDS) || create.exitValue() != 0) {
                create.destroyForcibly();
                throw new IllegalStateException("redis-cli --cluster create failed:\n" + Procs.tail(log, 40));
            }
            boolean ok = Procs.await(Duration.ofSeconds(30), Duration.ofMillis(100), () -> c.masters.stream()
                    .allMatch(m -> info(m.port).contains("cluster_state:ok")));
            if (!ok) {
                throw new IllegalStateException("cluster not ok: " + c.masters.stream().map(m -> info(m.port))
                        .collect(Collectors.joining("\n---\n")));
            }
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static String info(int port) {
        try {
            return String.valueOf(Resp.call(port, Duration.ofSeconds(1), "CLUSTER", "INFO"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** The seed URIs, comma-separated, as pulse.redis.uri takes them with pulse.redis.cluster=true. */
    String uris() {
        return masters.stream().map(RedisProc::uri).collect(Collectors.joining(","));
    }

    /** The hash slot of a key. */
    long slot(String key) throws IOException {
        return (Long) Resp.call(masters.get(0).port, Duration.ofSeconds(1), "CLUSTER", "KEYSLOT", key);
    }

    /** Which master (0, 1, 2 in start order) serves a slot, from CLUSTER SLOTS. */
    @SuppressWarnings("unchecked")
    int masterOf(long slot) throws IOException {
        List<Object> slots = (List<Object>) Resp.call(masters.get(0).port, Duration.ofSeconds(1), "CLUSTER", "SLOTS");
        for (Object o : slots) {
            List<Object> range = (List<Object>) o;
            if ((Long) range.get(0) <= slot && slot <= (Long) range.get(1)) {
                long port = (Long) ((List<Object>) range.get(2)).get(1);
                for (int i = 0; i < masters.size(); i++) {
                    if (masters.get(i).port == port) {
                        return i;
                    }
                }
            }
        }
        return -1;
    }

    @Override
    public void close() {
        masters.forEach(RedisProc::close);
    }
}
