package dev.pulse.topic.entity;

import java.util.List;

/**
 * What a subscribe with {@code since} gets: the topic's epoch and last seq now, a gap if one applies, then the
 * retained messages after {@code since}, oldest first.
 */
public record Replay(String epoch, long lastSeq, Gap gap, List<TopicMessage> messages) {
}
