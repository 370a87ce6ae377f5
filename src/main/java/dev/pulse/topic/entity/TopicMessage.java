package dev.pulse.topic.entity;

/**
 * One sequenced message of a topic, with its wire form encoded once so that fan-out to thousands of
 * subscribers and replays share the same string.
 */
public record TopicMessage(String topic, long seq, String epoch, long time, String wire) {
}
