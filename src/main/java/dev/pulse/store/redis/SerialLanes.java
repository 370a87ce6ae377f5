package dev.pulse.store.redis;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs tasks one at a time per key (a topic), on a shared pool, in the order they were handed in: what the
 * subscription delivers leaves Redis's event loop at once and still reaches each topic's subscribers in order.
 */
final class SerialLanes {

    private final Lane[] lanes;

    SerialLanes(int count, Executor pool) {
        lanes = new Lane[count];
        for (int i = 0; i < count; i++) {
            lanes[i] = new Lane(pool);
        }
    }

    void execute(String key, Runnable task) {
        lanes[Math.floorMod(key.hashCode(), lanes.length)].execute(task);
    }

    private static final class Lane {
        private final Executor pool;
        private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        private boolean running;

        Lane(Executor pool) {
            this.pool = pool;
        }

        void execute(Runnable task) {
            synchronized (this) {
                queue.add(task);
                if (running) {
                    return;
                }
                running = true;
            }
            try {
                pool.execute(this::drain);
            } catch (RejectedExecutionException e) {
                drain(); // the pool is shutting down: finish here
            }
        }

        private void drain() {
            for (;;) {
                Runnable next;
                synchronized (this) {
                    next = queue.poll();
                    if (next == null) {
                        running = false;
                        return;
                    }
                }
                try {
                    next.run();
                } catch (RuntimeException e) {
                    System.getLogger(SerialLanes.class.getName()).log(System.Logger.Level.WARNING,
                            "Delivery from Redis failed", e);
                }
            }
        }
    }
}
