package dev.pulse.topic.control;

import dev.pulse.topic.entity.Sequenced;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Queues one message for every local subscriber of its topic. Large topics are cut into slices queued from
 * several threads; every slice is done before this returns, so the caller's order per topic holds. Queueing
 * costs the container's send path per subscriber (tens of microseconds on Payara): 10,000 of them on one
 * thread took half a second.
 */
final class FanOut {

    /** Below this many subscribers one thread delivers faster than handing work to others. */
    static final int PARALLEL_MIN = 2000;

    private final Executor helpers;
    private final Delivery out;

    /** @param helpers threads that help with large topics; {@code null}: the calling thread does it alone */
    FanOut(Executor helpers, Delivery out) {
        this.helpers = helpers;
        this.out = out;
    }

    void deliver(List<Subscription> subscribers, Sequenced message) {
        int size = subscribers.size();
        int slices = helpers == null || size < PARALLEL_MIN ? 1
                : Math.min(4, Math.max(2, Runtime.getRuntime().availableProcessors()));
        List<CompletableFuture<Void>> started = new ArrayList<>();
        for (int i = 1; i < slices; i++) {
            List<Subscription> slice = subscribers.subList(size * i / slices, size * (i + 1) / slices);
            try {
                started.add(CompletableFuture.runAsync(() -> slice(slice, message), helpers));
            } catch (RejectedExecutionException e) {
                slice(slice, message); // no managed thread to spare: this one does it
            }
        }
        slice(subscribers.subList(0, size / slices), message);
        started.forEach(CompletableFuture::join);
    }

    private void slice(List<Subscription> slice, Sequenced message) {
        for (Subscription subscription : slice) {
            subscription.deliver(message, out);
        }
    }
}
