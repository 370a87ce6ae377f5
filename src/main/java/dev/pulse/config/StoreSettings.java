package dev.pulse.config;

import java.util.List;
import java.util.UUID;

/**
 * Where topics and presence live and how this node names itself among others.
 *
 * @param kind {@code memory} (one node, nothing shared) or {@code redis}
 * @param redisUri a Lettuce URI, or with {@code cluster} comma-separated seed URIs
 * @param cluster whether {@code redisUri} names a Redis Cluster
 * @param nodeId this node's name in the store
 * @param nodeTimeout ms a node that stopped renewing its presence in the store counts as alive
 */
public record StoreSettings(String kind, String redisUri, boolean cluster, String nodeId, long nodeTimeout) {

    public static final String MEMORY = "memory";
    public static final String REDIS = "redis";

    public static StoreSettings memory() {
        return new StoreSettings(MEMORY, null, false, generatedNodeId(), 10_000);
    }

    public static StoreSettings redis(String uri, String nodeId, long nodeTimeout) {
        return new StoreSettings(REDIS, uri, false, nodeId, nodeTimeout);
    }

    public boolean shared() {
        return REDIS.equals(kind);
    }

    /** A node id for this start: short, random, readable in logs. */
    public static String generatedNodeId() {
        return "node-" + UUID.randomUUID().toString().substring(0, 8);
    }

    void validate(List<String> problems) {
        if (!MEMORY.equals(kind) && !REDIS.equals(kind)) {
            problems.add("pulse.store=" + kind + " must be memory or redis");
        }
        if (REDIS.equals(kind) && (redisUri == null || redisUri.isBlank())) {
            problems.add("pulse.store=redis needs pulse.redis.uri");
        }
        if (nodeId == null || !nodeId.matches("[A-Za-z0-9._-]{1,64}")) {
            problems.add("pulse.node.id=" + nodeId + " must be 1-64 characters of [A-Za-z0-9._-]");
        }
        if (nodeTimeout < 1000) {
            problems.add("pulse.node.timeout=" + nodeTimeout + " must be >= 1000");
        }
    }

    /** Returns these settings, or throws naming every key whose value makes no sense. */
    public StoreSettings validate() {
        List<String> problems = new java.util.ArrayList<>();
        validate(problems);
        if (!problems.isEmpty()) {
            throw new InvalidSettingsException("Invalid Pulse configuration: " + String.join("; ", problems));
        }
        return this;
    }
}
