package dev.pulse.topic.control;

import dev.pulse.connection.entity.Connection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One topic's local subscriptions. Every session of a node joins the broadcast topic as it opens, so joining takes no
 * lock shared by the topic: a join reserves a place first, and a topic left empty is retired only when nobody holds
 * one, after which joins go to a new instance.
 */
final class Members {

    final Map<Connection, Subscription> subscriptions = new ConcurrentHashMap<>();
    /** Subscriptions plus joins under way; -1 once retired. */
    private final AtomicInteger places = new AtomicInteger();

    /** False when retired: the caller starts again with the topic's next instance. */
    boolean reserve() {
        for (;;) {
            int n = places.get();
            if (n < 0) {
                return false;
            }
            if (places.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives a place back (a subscription removed, or a join that found one); true when none is left. */
    boolean release() {
        return places.decrementAndGet() == 0;
    }

    /** Retires this instance if nobody holds a place; true when it did. */
    boolean retire() {
        return places.compareAndSet(0, -1);
    }
}
