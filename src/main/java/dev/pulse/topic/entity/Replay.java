package dev.pulse.topic.entity;

import java.util.List;

/**
 * What a subscribe gets from the store: the topic's epoch and last seq now, a gap if one applies, then the
 * retained messages after {@code since}, oldest first (none when no {@code since} was given).
 */
public record Replay(String epoch, long lastSeq, Gap gap, List<Sequenced> messages) {
}
