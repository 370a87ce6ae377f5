package dev.pulse.monitoring.control;

import java.util.concurrent.atomic.LongAdder;

/** What the shared store cost and how it behaved, for /api/stats and /metrics. */
public final class StoreStats {

    /** Commands that failed or timed out. */
    public final LongAdder errors = new LongAdder();
    /** Reads of missed messages (a hole in the announcements, or after a reconnect). */
    public final LongAdder catchUpReads = new LongAdder();
    /** Messages delivered by those reads. */
    public final LongAdder caughtUp = new LongAdder();
    /** Probes published to this node's own subscription that did not come back in time. */
    public final LongAdder probeFailures = new LongAdder();
    /** Reconnects of the subscription after which this node caught up. */
    public final LongAdder resubscribed = new LongAdder();
    /** Publish-to-delivery lag of messages from the store, recorded in ns, as seen by this node. */
    public final RttWindow lag = new RttWindow();
}
