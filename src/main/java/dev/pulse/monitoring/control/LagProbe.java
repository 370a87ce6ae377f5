package dev.pulse.monitoring.control;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Measures what no request can tell: every 100 ms a thread of its own asks how much later than asked it woke (the CPU
 * was given to others, or the JVM was stopped at a safepoint) and how much GC pause time the JVM reported meanwhile,
 * and records both in {@link Lag}. Its own thread, so that nothing queued on the container's schedulers delays it.
 */
public final class LagProbe implements AutoCloseable {

    static final long PERIOD_NANOS = 100_000_000L; // ten looks a second: a stall of 0.1 s is seen, at no cost

    private final Lag lag;
    private final LongSupplier nanos;
    private final List<GarbageCollectorMXBean> pausing;
    private ScheduledExecutorService thread;
    private long lastEnd;
    private long lastGcMillis;

    public LagProbe(Lag lag, LongSupplier nanos) {
        this.lag = lag;
        this.nanos = nanos;
        // ZGC and Shenandoah report their concurrent cycles as beans of their own: those are not pauses
        this.pausing = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .filter(b -> !b.getName().contains("Cycles") && !b.getName().contains("Concurrent")).toList();
        this.lastEnd = nanos.getAsLong();
        this.lastGcMillis = gcMillis();
    }

    /** Starts the probe thread. */
    public synchronized void start() {
        if (thread != null) {
            return;
        }
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pulse-lag-probe");
            t.setDaemon(true);
            return t;
        });
        lastEnd = nanos.getAsLong();
        thread.scheduleWithFixedDelay(this::look, PERIOD_NANOS, PERIOD_NANOS, TimeUnit.NANOSECONDS);
    }

    /** One look: how late this run is, and the GC pauses since the last. Package-private for tests. */
    void look() {
        long now = nanos.getAsLong();
        lag.late(Lag.Source.PROBE, now, now - lastEnd - PERIOD_NANOS);
        long gc = gcMillis();
        if (gc > lastGcMillis) {
            lag.late(Lag.Source.GC, now, (gc - lastGcMillis) * 1_000_000);
            lag.gcMillis.add(gc - lastGcMillis);
        }
        lastGcMillis = gc;
        lastEnd = nanos.getAsLong();
    }

    private long gcMillis() {
        long total = 0;
        for (GarbageCollectorMXBean bean : pausing) {
            total += Math.max(0, bean.getCollectionTime());
        }
        return total;
    }

    @Override
    public synchronized void close() {
        if (thread != null) {
            thread.shutdownNow();
            thread = null;
        }
    }
}
