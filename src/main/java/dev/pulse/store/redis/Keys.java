package dev.pulse.store.redis;

/**
 * Key names. Every key of one topic carries the topic as its hash tag ({@code {topic}}), so each script touches
 * one slot and runs unchanged on a Redis Cluster.
 */
final class Keys {

    /** The one channel every node subscribes to: messages, presence events and probes. */
    static final String CHANNEL = "pulse:bus";
    /** Nodes and the time each last said it is alive. */
    static final String NODES = "pulse:nodes";
    /** Topics with users in their grace period, scored by the earliest leave. */
    static final String LEAVING = "pulse:leaving";

    private Keys() {
    }

    static String[] topic(String topic) {
        return new String[] {"pulse:{" + topic + "}:meta", "pulse:{" + topic + "}:stream"};
    }

    static String[] presence(String topic) {
        String tag = "pulse:{" + topic + "}:";
        return new String[] {tag + "members", tag + "sessions", tag + "counts", tag + "leaving", tag + "reasons"};
    }

    /** The topics in which a node has (or had) sessions listed in presence. */
    static String nodeTopics(String node) {
        return "pulse:node:" + node + ":topics";
    }
}
