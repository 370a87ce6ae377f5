package dev.pulse.presence.control;

import dev.pulse.presence.entity.LeaveReason;
import dev.pulse.presence.entity.Member;
import java.util.List;

/**
 * Members of topics by user, with the grace period that makes a reload no leave. Joins and leaves are told to
 * the {@link PresenceListener} the store was built with (on every node, for a shared store). Every method may
 * throw {@link dev.pulse.protocol.StoreUnavailableException}.
 */
public interface Presence {

    /** A session of {@code user} subscribed; the user joins unless listed already (or back within grace). */
    void add(String topic, String user, String session, long now);

    /**
     * A session of {@code user} is no longer subscribed. When it was the user's last: an unsubscribe leaves at
     * once, a close or eviction after the grace period (told by {@link #expire}).
     */
    void remove(String topic, String user, String session, LeaveReason reason, long now);

    /** Ends the grace periods that are over. */
    void expire(long now);

    /** The members of a topic, users still in their grace period included (with 0 connections). */
    List<Member> members(String topic);

    /** Whether anybody is listed in the topic, or about to leave it. */
    boolean listed(String topic);
}
