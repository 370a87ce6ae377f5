package dev.pulse.topic.control;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Queues work and runs it on at most {@code max} tasks of another executor, each running until the queue is
 * empty. When 10,000 sessions close at once (a restart, a network blip) their cleanups cost a handful of
 * container tasks instead of 10,000: Payara captures the thread's context for every task it accepts, with a scan
 * of the application's jars (JFR: 5 % of the CPU of a mass disconnect). Work the executor refuses runs on the
 * caller's thread. No order between pieces of work is kept.
 */
final class FewTasks implements Executor {

    private static final Logger LOG = System.getLogger(FewTasks.class.getName());

    private final Executor tasks;
    private final int max;
    private final Queue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger running = new AtomicInteger();

    FewTasks(Executor tasks, int max) {
        this.tasks = tasks;
        this.max = max;
    }

    @Override
    public void execute(Runnable work) {
        queue.add(work);
        startIfNeeded();
    }

    private void startIfNeeded() {
        for (;;) {
            int now = running.get();
            if (now >= max || queue.isEmpty()) {
                return;
            }
            if (running.compareAndSet(now, now + 1)) {
                try {
                    tasks.execute(this::drain);
                } catch (RejectedExecutionException e) {
                    drain(); // no thread to spare: the caller does it, as it would without this queue
                }
                return;
            }
        }
    }

    private void drain() {
        try {
            for (Runnable work = queue.poll(); work != null; work = queue.poll()) {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "A cleanup failed; the others go on", e); // a bug: store failures are handled
                }
            }
        } finally {
            running.decrementAndGet();
        }
        startIfNeeded(); // work queued after the last poll, while every task was still counted as running
    }
}
