package dev.pulse.topic.entity;

/**
 * One message of a topic as the store sequenced it: {@code data} is its JSON text, kept as text so that a
 * message read back from a store is never parsed. The wire form is built once and shared by every delivery.
 */
public final class Sequenced {

    private final String topic;
    private final long seq;
    private final String epoch;
    private final long time;
    private final String data;
    private volatile String wire;

    public Sequenced(String topic, long seq, String epoch, long time, String data) {
        this.topic = topic;
        this.seq = seq;
        this.epoch = epoch;
        this.time = time;
        this.data = data;
    }

    public String topic() {
        return topic;
    }

    public long seq() {
        return seq;
    }

    public String epoch() {
        return epoch;
    }

    public long time() {
        return time;
    }

    public String data() {
        return data;
    }

    /** {@code {"type":"message",...}}; topic names and epochs never need escaping (their alphabets are fixed). */
    public String wire() {
        String w = wire;
        if (w == null) {
            w = "{\"type\":\"message\",\"topic\":\"" + topic + "\",\"seq\":" + seq + ",\"epoch\":\"" + epoch
                    + "\",\"time\":" + time + ",\"data\":" + data + "}";
            wire = w;
        }
        return w;
    }

    @Override
    public String toString() {
        return topic + "#" + seq + "@" + epoch;
    }
}
