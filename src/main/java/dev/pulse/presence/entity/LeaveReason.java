package dev.pulse.presence.entity;

import java.util.Locale;

/** Why a user left a topic; {@link #wire()} is the {@code reason} of the contract's {@code leave} event. */
public enum LeaveReason {
    /** The user's last session closed, and the grace period passed without a new one. */
    CLOSED,
    /** The user's last session was dropped by the server (heartbeat, queue, error, or its node died). */
    EVICTED,
    /** The user unsubscribed: announced at once, without grace. */
    UNSUBSCRIBED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The reason a wire name stands for; an unknown name (from a newer node) counts as {@link #CLOSED}. */
    public static LeaveReason fromWire(String name) {
        for (LeaveReason r : values()) {
            if (r.wire().equals(name)) {
                return r;
            }
        }
        return CLOSED;
    }
}
