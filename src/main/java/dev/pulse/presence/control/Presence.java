package dev.pulse.presence.control;

import dev.pulse.presence.entity.Leave;
import dev.pulse.presence.entity.Member;
import java.util.List;
import java.util.Optional;

/**
 * Members of topics by user. In memory by default; a shared store implements it for several nodes.
 * Callers serialize calls per topic.
 */
public interface Presence {

    /** A session of {@code user} subscribed; true when this made the user join (not on a reconnect in grace). */
    boolean add(String topic, String user, String session, long now);

    /**
     * A session of {@code user} is no longer subscribed. When it was the user's last: an unsubscribe leaves at
     * once (returned), a close or eviction leaves after the grace period (returned later by {@link #expire}).
     */
    Optional<Leave> remove(String topic, String user, String session, String reason, long now);

    /** Leaves whose grace period ended by {@code now}, removed from the members. */
    List<Leave> expire(String topic, long now);

    /** The members of a topic, users still in their grace period included (with 0 connections). */
    List<Member> members(String topic);

    /** Whether anybody is listed, or about to leave. */
    boolean empty(String topic);
}
