package dev.pulse.cluster;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * This JVM's own stalls, seen by a thread that sleeps 20 ms at a time: a test whose clients answer Pings can blame
 * the node for closing one only if the clients' JVM was running meanwhile (on a busy machine it may not be).
 */
final class Stalls implements AutoCloseable {

    /** A stretch in which the watcher did not run: {@link System#nanoTime()} at its end, and how long it was. */
    record Stall(long endNanos, long millis) {
    }

    private static final long STEP_MILLIS = 20;
    private static final long REPORTED_MILLIS = 300;

    private final List<Stall> stalls = new CopyOnWriteArrayList<>();
    private final Thread watcher;

    private Stalls() {
        watcher = new Thread(this::run, "stall-watcher");
        watcher.setDaemon(true);
        watcher.setPriority(Thread.MAX_PRIORITY);
    }

    static Stalls watch() {
        Stalls stalls = new Stalls();
        stalls.watcher.start();
        return stalls;
    }

    private void run() {
        long last = System.nanoTime();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(STEP_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            long late = (now - last) / 1_000_000 - STEP_MILLIS;
            if (late >= REPORTED_MILLIS) {
                stalls.add(new Stall(now, late));
            }
            last = now;
        }
    }

    /** The longest stall that overlapped [fromNanos, toNanos], in ms (0: none of 300 ms or more). */
    long longestWithin(long fromNanos, long toNanos) {
        return stalls.stream().filter(s -> s.endNanos() >= fromNanos && s.endNanos() - s.millis() * 1_000_000 <= toNanos)
                .mapToLong(Stall::millis).max().orElse(0);
    }

    long longest() {
        return stalls.stream().mapToLong(Stall::millis).max().orElse(0);
    }

    int count() {
        return stalls.size();
    }

    @Override
    public void close() {
        watcher.interrupt();
    }
}
