package dev.pulse.store.redis;

import dev.pulse.config.StoreSettings;
import dev.pulse.protocol.StoreUnavailableException;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.pubsub.RedisPubSubListener;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The two connections of a node to Redis (commands, and the one subscription), with settings that fail fast:
 * commands time out after {@link #COMMAND_TIMEOUT}, are refused at once while disconnected (and so never run
 * late), and reconnects are retried within two seconds. Lettuce's defaults would block callers for 60 s and
 * replay queued writes after a reconnect.
 */
final class RedisLink implements AutoCloseable {

    static final Duration COMMAND_TIMEOUT = Duration.ofMillis(2000);
    private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(1000);
    private static final long RETRY_PAUSE_MILLIS = 100;

    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final boolean cluster;
    private volatile StatefulConnection<String, String> commands;
    private volatile RedisClusterCommands<String, String> sync;
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;

    RedisLink(StoreSettings settings) {
        this.resources = ClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        this.cluster = settings.cluster();
        SocketOptions socket = SocketOptions.builder().connectTimeout(CONNECT_TIMEOUT).keepAlive(true).build();
        TimeoutOptions timeouts = TimeoutOptions.enabled(COMMAND_TIMEOUT);
        if (cluster) {
            List<RedisURI> seeds = Arrays.stream(settings.redisUri().split(",")).map(String::trim)
                    .filter(s -> !s.isEmpty()).map(RedisLink::uri).toList();
            RedisClusterClient c = RedisClusterClient.create(resources, seeds);
            c.setOptions(ClusterClientOptions.builder().autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .socketOptions(socket).timeoutOptions(timeouts)
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers().enablePeriodicRefresh(Duration.ofSeconds(10)).build())
                    .build());
            this.client = c;
        } else {
            RedisClient c = RedisClient.create(resources, uri(settings.redisUri()));
            c.setOptions(ClientOptions.builder().autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .socketOptions(socket).timeoutOptions(timeouts).build());
            this.client = c;
        }
    }

    private static RedisURI uri(String text) {
        RedisURI uri = RedisURI.create(text);
        uri.setTimeout(COMMAND_TIMEOUT);
        return uri;
    }

    /** Opens both connections; throws {@link RedisException} while Redis cannot be reached. */
    synchronized void connect(RedisPubSubListener<String, String> listener) {
        if (commands == null) {
            if (cluster) {
                var c = ((RedisClusterClient) client).connect();
                // one connection per master now: Lettuce opens them lazily, and with REJECT_COMMANDS the
                // command that would open one is refused ("not connected") though the cluster is healthy
                c.getPartitions().forEach(node -> c.getConnection(node.getNodeId()));
                commands = c;
                sync = c.sync();
            } else {
                var c = ((RedisClient) client).connect();
                commands = c;
                sync = c.sync();
            }
        }
        if (pubSub == null) {
            StatefulRedisPubSubConnection<String, String> p = cluster ? ((RedisClusterClient) client).connectPubSub()
                    : ((RedisClient) client).connectPubSub();
            p.addListener(listener);
            p.sync().subscribe(Keys.CHANNEL);
            pubSub = p;
        }
    }

    /** Drops the subscription so that the next {@link #connect} opens a fresh one. */
    synchronized void resetSubscription() {
        StatefulRedisPubSubConnection<String, String> p = pubSub;
        pubSub = null;
        if (p != null) {
            p.closeAsync();
        }
    }

    boolean connected() {
        StatefulConnection<String, String> c = commands;
        StatefulRedisPubSubConnection<String, String> p = pubSub;
        return c != null && c.isOpen() && p != null && p.isOpen();
    }

    /** Runs commands, turning every Redis failure (refused, timed out, not connected yet) into one exception. */
    <T> T call(Function<RedisClusterCommands<String, String>, T> work) {
        RedisClusterCommands<String, String> s = sync;
        if (s == null) {
            throw new StoreUnavailableException("not connected to Redis yet");
        }
        try {
            return work.apply(s);
        } catch (RedisException e) {
            if (cluster && String.valueOf(e.getMessage()).contains("not connected")) {
                return retry(s, work); // a master Lettuce had no connection to yet (e.g. after a topology change)
            }
            throw new StoreUnavailableException(String.valueOf(e.getMessage()), e);
        }
    }

    /** Once, shortly after: a refused command was never sent, so running it again cannot run it twice. */
    private <T> T retry(RedisClusterCommands<String, String> s, Function<RedisClusterCommands<String, String>, T> work) {
        try {
            Thread.sleep(RETRY_PAUSE_MILLIS);
            return work.apply(s);
        } catch (RedisException e) {
            throw new StoreUnavailableException(String.valueOf(e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted", e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        } finally {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }
}
