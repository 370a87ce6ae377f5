package dev.pulse.topic.entity;

import java.util.Locale;

/** Why a subscriber cannot get messages it asked for; {@link #wire()} is the {@code reason} of a {@code gap}. */
public enum GapReason {
    /** The messages were trimmed from the history (size or age). */
    EXPIRED,
    /** The topic's data is gone: a new epoch, so the subscriber's seq means nothing any more. */
    RESET;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
