package dev.pulse.connection.entity;

/** Why the server dropped a session, with the close code the peer is sent; the names are the keys of /api/stats. */
public enum EvictionReason {
    HEARTBEAT(4000, "heartbeat timeout"),
    QUEUE(1008, "send queue full"),
    ERROR(1011, "server error");

    private final int code;
    private final String reason;

    EvictionReason(int code, String reason) {
        this.code = code;
        this.reason = reason;
    }

    public int code() {
        return code;
    }

    public String reason() {
        return reason;
    }

    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
