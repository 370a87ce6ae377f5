package dev.pulse.testing;

import dev.pulse.connection.entity.Peer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** A peer that records what the server did to it; sends complete at once unless {@link #stall()} was called. */
public final class FakePeer implements Peer {

    /** One factory: {@code Json.createReader} looks the provider up again for every message. */
    private static final jakarta.json.JsonReaderFactory READERS = jakarta.json.Json.createReaderFactory(null);

    public final List<ByteBuffer> pings = new ArrayList<>();
    public final List<String> texts = java.util.Collections.synchronizedList(new ArrayList<>());
    public final List<Consumer<Throwable>> pending = new ArrayList<>();
    public Integer closeCode;
    public String closeReason;
    public boolean open = true;
    public boolean failPings;
    /** Whether close() really closes; a peer that stopped reading stays open. */
    public boolean closable = true;
    private boolean stalled;

    public FakePeer stall() {
        stalled = true;
        return this;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void ping(ByteBuffer payload) throws Exception {
        if (failPings) {
            throw new java.io.IOException("broken pipe");
        }
        pings.add(payload);
    }

    @Override
    public void sendText(String text, Consumer<Throwable> done) {
        texts.add(text);
        if (stalled) {
            pending.add(done);
        } else {
            done.accept(null);
        }
    }

    @Override
    public void close(int code, String reason) {
        if (closeCode == null) {
            closeCode = code;
            closeReason = reason;
        }
        if (closable) {
            open = false;
        }
    }

    @Override
    public int closedWith() {
        return closeCode == null ? 0 : closeCode;
    }

    /** Every text sent so far, parsed. */
    public List<jakarta.json.JsonObject> json() {
        synchronized (texts) {
            return texts.stream().map(t -> READERS.createReader(new java.io.StringReader(t)).readObject()).toList();
        }
    }

    /** The parsed messages of one type. */
    public List<jakarta.json.JsonObject> json(String type) {
        return json().stream().filter(m -> type.equals(m.getString("type"))).toList();
    }

    /** The payload of the last Ping, as the peer would echo it in a Pong. */
    public ByteBuffer lastPing() {
        return pings.get(pings.size() - 1).duplicate();
    }
}
