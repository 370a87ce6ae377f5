package dev.pulse.identity.entity;

/** What an API key may do; each role includes the ones before it. */
public enum Role {
    /** read-only: /api/stats, /api/connections, presence */
    MONITOR,
    /** also publish to topics, broadcast and users */
    PUBLISH,
    /** also mint tokens and drain the node */
    ADMIN;

    public boolean includes(Role other) {
        return compareTo(other) >= 0;
    }
}
