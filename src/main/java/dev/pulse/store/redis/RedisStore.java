package dev.pulse.store.redis;

import dev.pulse.config.PulseSettings;
import dev.pulse.config.StoreSettings;
import dev.pulse.connection.control.Clock;
import dev.pulse.monitoring.control.StoreStats;
import dev.pulse.presence.control.Presence;
import dev.pulse.presence.control.PresenceListener;
import dev.pulse.protocol.StoreUnavailableException;
import dev.pulse.store.Store;
import dev.pulse.topic.control.TopicStore;
import dev.pulse.topic.control.Topics;
import io.lettuce.core.RedisException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Topics and presence in Redis, shared by every node. Connects lazily and keeps retrying in the background (a
 * Redis that is down at deployment delays nothing), and verifies delivery, not only TCP: a probe goes round
 * this node's own subscription four times a second; when probes stop coming back the subscription is opened
 * again, and after every (re)subscription the node reads back what it may have missed.
 */
public final class RedisStore implements Store {

    private static final Logger LOG = System.getLogger(RedisStore.class.getName());
    static final long MAINTAIN_MILLIS = 250;
    /** Probes not back for this long mean the subscription is deaf. */
    static final long PROBE_TIMEOUT_MILLIS = 3000;

    private final StoreSettings settings;
    private final Clock clock;
    private final StoreStats stats;
    private final ScheduledExecutorService scheduler;
    private final Executor pool;
    private final RedisLink link;
    private final RedisTopicStore topics;
    private final RedisPresence presence;
    private final NodeLiveness nodes;
    private final Bus bus;
    private final Probes probes = new Probes(PROBE_TIMEOUT_MILLIS);
    private volatile boolean available;
    private volatile Topics target;
    private ScheduledFuture<?> maintenance;

    public RedisStore(PulseSettings pulse, StoreSettings settings, PresenceListener listener, Clock clock,
            StoreStats stats, Executor pool) {
        this.settings = settings;
        this.clock = clock;
        this.stats = stats;
        this.pool = pool;
        // its own thread: the node's beat and probes must not wait behind deliveries (a container's shared
        // scheduler has few threads; behind them both nodes once beat 18 s late and a live node was taken for dead)
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "pulse-redis-" + settings.nodeId());
            thread.setDaemon(true);
            return thread;
        });
        this.link = new RedisLink(settings);
        this.topics = new RedisTopicStore(link, pulse.historySize(), pulse.historyTtl());
        this.presence = new RedisPresence(link, settings.nodeId(), pulse.presenceGrace());
        this.nodes = new NodeLiveness(link, presence, settings.nodeId(), settings.nodeTimeout(), pulse.presenceGrace());
        this.bus = new Bus(settings.nodeId(), new SerialLanes(8, pool), listener, stats, clock::millis,
                probes::answered, this::resubscribed);
    }

    @Override
    public TopicStore topics() {
        return topics;
    }

    @Override
    public Presence presence() {
        return presence;
    }

    @Override
    public synchronized void start(Topics delivery) {
        this.target = delivery;
        bus.deliverTo(delivery);
        maintenance = scheduler.scheduleWithFixedDelay(this::maintain, 0, MAINTAIN_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean available() {
        return available;
    }

    private void maintain() {
        long now = clock.millis();
        try {
            if (!link.connected()) {
                link.connect(bus);
                probes.listening(now);
            }
            long n = probes.next();
            link.call(r -> r.publish(Keys.CHANNEL, "p|" + settings.nodeId() + "|" + n));
            probes.sent(n, now);
            if (nodes.beat(now)) {
                LOG.log(Level.WARNING, () -> "Node " + settings.nodeId() + " was taken for dead (a pause over "
                        + settings.nodeTimeout() + " ms?): listing its sessions in presence again");
                pool.execute(this::relist);
            }
            nodes.claimDead(now).forEach(pool::execute);
            boolean deaf = probes.deaf(now);
            if (deaf) {
                stats.probeFailures.increment();
                link.resetSubscription(); // the next round subscribes again, then catches up
            }
            changed(!deaf, deaf ? "the subscription stopped delivering; subscribing again" : null);
        } catch (StoreUnavailableException | RedisException e) {
            stats.errors.increment();
            changed(false, e.getMessage());
        } catch (RuntimeException e) {
            stats.errors.increment();
            changed(false, String.valueOf(e));
        }
    }

    private void changed(boolean nowAvailable, String why) {
        if (nowAvailable == available) {
            return;
        }
        available = nowAvailable;
        if (nowAvailable) {
            LOG.log(Level.INFO, () -> "Redis store available (node " + settings.nodeId() + ")");
            catchUp();
            pool.execute(this::relist);
        } else {
            LOG.log(Level.WARNING, () -> "Redis store unavailable (node " + settings.nodeId() + "): " + why);
        }
    }

    /**
     * Makes the store's presence match this node's sessions: whatever it lists of this node goes (into the grace
     * period), then every local session is listed again, which cancels those leaves. Covers sessions that came
     * or went while the store was unavailable, a Redis that lost its data, and an earlier run under this id.
     */
    private void relist() {
        Topics delivery = target;
        try {
            nodes.forgetSessions(clock.millis());
            if (delivery != null) {
                delivery.reannounce();
            }
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, () -> "Presence not relisted yet: " + e);
        }
    }

    private void resubscribed() {
        stats.resubscribed.increment();
        probes.listening(clock.millis());
        pool.execute(this::catchUp);
    }

    private void catchUp() {
        Topics delivery = target;
        if (delivery != null) {
            delivery.catchUp();
        }
    }

    @Override
    public synchronized void close() {
        if (maintenance != null) {
            maintenance.cancel(false);
        }
        scheduler.shutdown();
        try {
            if (link.connected()) {
                nodes.leave(clock.millis());
            }
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, () -> "Could not deregister node " + settings.nodeId() + ": " + e);
        } finally {
            link.close();
        }
    }
}
