package dev.pulse.topic.control;

import dev.pulse.connection.entity.Connection;
import dev.pulse.protocol.Wire;
import dev.pulse.topic.entity.Gap;
import dev.pulse.topic.entity.GapReason;
import dev.pulse.topic.entity.Replay;
import dev.pulse.topic.entity.Sequenced;
import java.util.ArrayList;
import java.util.List;

/**
 * One session's subscription to one topic. It remembers the last seq it delivered and drops anything at or
 * below it, so each message reaches the session once and in order whatever path it came by (replay, live,
 * catch-up); while a replay is read, live messages wait in a buffer and are merged after it by seq.
 */
final class Subscription {

    private final Connection connection;
    private final String topic;
    private volatile boolean presence;
    private String epoch;
    private long last = -1; // unknown until the first replay or message
    private List<Object> buffer; // messages, and presence events as wire text

    /**
     * @param replaying true for a subscribe that answers with a replay: live messages wait from the first moment the
     *     subscription can be found, so none overtakes the answer
     */
    Subscription(Connection connection, String topic, boolean presence, boolean replaying) {
        this.connection = connection;
        this.topic = topic;
        this.presence = presence;
        this.buffer = replaying ? new ArrayList<>() : null;
    }

    Connection connection() {
        return connection;
    }

    boolean presence() {
        return presence;
    }

    void presence(boolean wanted) {
        presence = wanted;
    }

    /** From now until {@link #replayed}, live messages wait. */
    synchronized void buffering() {
        if (buffer == null) {
            buffer = new ArrayList<>();
        }
    }

    /** Stops buffering without an answer (the replay could not be read); buffered messages still go out. */
    synchronized void abandon(Delivery out) {
        flush(out);
    }

    synchronized void deliver(Sequenced message, Delivery out) {
        if (buffer != null) {
            buffer.add(message);
        } else {
            forward(message, out);
        }
    }

    /** A presence event: after the subscribe's answer, in order with the messages. */
    synchronized void event(String wire, Delivery out) {
        if (buffer != null) {
            buffer.add(wire);
        } else {
            out.send(connection, wire);
        }
    }

    /** Sends the subscribe's answer, its gap and replay, then whatever arrived meanwhile that is newer. */
    synchronized void replayed(Replay replay, boolean resumed, String answer, Delivery out) {
        out.send(connection, answer);
        if (replay.gap() != null) {
            Gap gap = replay.gap();
            out.gap(connection, Wire.gap(topic, gap.from(), gap.to(), gap.reason().wire()));
        }
        long lastSent = replay.lastSeq();
        for (Sequenced message : replay.messages()) {
            out.replayed(connection, message);
            lastSent = Math.max(lastSent, message.seq());
        }
        if (resumed || last < 0 || !replay.epoch().equals(epoch)) {
            last = lastSent;
        } // else a repeated subscribe without since: what was in flight to this live subscription is still owed
        epoch = replay.epoch();
        flush(out);
    }

    private void flush(Delivery out) {
        List<Object> waiting = buffer;
        buffer = null;
        if (waiting != null) {
            for (Object item : waiting) {
                if (item instanceof Sequenced message) {
                    forward(message, out);
                } else {
                    out.send(connection, (String) item);
                }
            }
        }
    }

    private void forward(Sequenced message, Delivery out) {
        if (epoch != null && !epoch.equals(message.epoch())) {
            out.gap(connection, Wire.gap(topic, null, null, GapReason.RESET.wire())); // the store lost the topic's data
            last = -1;
        } else if (last >= 0 && message.seq() <= last) {
            return;
        } else if (last >= 0 && message.seq() > last + 1) {
            out.gap(connection, Wire.gap(topic, last + 1, message.seq() - 1, GapReason.EXPIRED.wire())); // never silently
        }
        epoch = message.epoch();
        last = message.seq();
        out.message(connection, message);
    }
}
