package dev.pulse.topic.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Many pieces of work on few tasks of the container's executor, none left behind. */
class FewTasksTest {

    /** An executor whose tasks run only when the test says so. */
    private static final class Held implements java.util.concurrent.Executor {
        final Deque<Runnable> tasks = new ArrayDeque<>();
        int accepted;

        @Override
        public void execute(Runnable task) {
            accepted++;
            tasks.add(task);
        }

        void runAll() {
            while (!tasks.isEmpty()) {
                tasks.poll().run();
            }
        }
    }

    @Test
    void aThousandCleanupsTakeAtMostMaxTasksAndAllRun() {
        Held held = new Held();
        FewTasks few = new FewTasks(held, 4);
        List<Integer> done = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            int n = i;
            few.execute(() -> done.add(n));
        }
        assertEquals(4, held.accepted, "tasks handed to the executor");
        held.runAll();
        assertEquals(1000, done.size());
        few.execute(() -> done.add(-1));
        assertEquals(5, held.accepted, "a task again once the others ended");
        held.runAll();
        assertEquals(1001, done.size());
    }

    @Test
    void workTheExecutorRefusesRunsOnTheCallersThread() {
        FewTasks few = new FewTasks(task -> {
            throw new RejectedExecutionException("shutting down");
        }, 4);
        Thread[] ranOn = new Thread[1];
        few.execute(() -> ranOn[0] = Thread.currentThread());
        assertEquals(Thread.currentThread(), ranOn[0]);
        few.execute(() -> ranOn[0] = null);
        assertEquals(null, ranOn[0], "and again: nothing counted as running after a refusal");
    }

    @Test
    void aFailingCleanupDoesNotStrandTheOthers() {
        Held held = new Held();
        FewTasks few = new FewTasks(held, 1);
        AtomicInteger done = new AtomicInteger();
        few.execute(() -> {
            throw new IllegalStateException("a bug");
        });
        few.execute(done::incrementAndGet);
        held.runAll();
        assertEquals(1, done.get());
    }

    @Test
    void noWorkIsLeftInTheQueueWhenSubmittedFromManyThreadsAsTasksEnd() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        ExecutorService submitters = Executors.newFixedThreadPool(4);
        try {
            FewTasks few = new FewTasks(pool, 2);
            int total = 40_000;
            CountDownLatch done = new CountDownLatch(total);
            for (int s = 0; s < 4; s++) {
                submitters.execute(() -> {
                    for (int i = 0; i < total / 4; i++) {
                        few.execute(done::countDown);
                    }
                });
            }
            assertTrue(done.await(30, TimeUnit.SECONDS), "left: " + done.getCount());
        } finally {
            submitters.shutdownNow();
            pool.shutdownNow();
        }
    }
}
