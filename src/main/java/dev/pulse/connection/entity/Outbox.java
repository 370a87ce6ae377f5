package dev.pulse.connection.entity;

import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The bounded outbound queue of one session. Only one asynchronous send is handed to the container at a
 * time, so a peer that stops reading can hold at most one message plus this bounded queue, never the heap,
 * and never a thread.
 */
public final class Outbox {

    private final Peer peer;
    private final int maxMessages;
    private final long maxChars;
    private final Consumer<Throwable> onFailure;
    private final Object lock = new Object();
    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private long queuedChars;
    private boolean inFlight;
    private boolean draining;
    private boolean sendingThreadContinues;
    private boolean closed;

    public Outbox(Peer peer, int maxMessages, long maxChars, Consumer<Throwable> onFailure) {
        this.peer = peer;
        this.maxMessages = maxMessages;
        this.maxChars = maxChars;
        this.onFailure = onFailure;
    }

    /** Queues a text frame; false when the queue is full or closed (the caller decides the session's fate). */
    public boolean offer(String text) {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            if (queue.size() >= maxMessages || queuedChars + text.length() > maxChars) {
                return false;
            }
            queue.addLast(text);
            queuedChars += text.length();
            if (draining) {
                return true;
            }
            draining = true;
        }
        drain();
        return true;
    }

    /** Messages waiting, including the one the container is sending. */
    public int depth() {
        synchronized (lock) {
            return queue.size() + (inFlight ? 1 : 0);
        }
    }

    /** Drops everything queued; later offers are refused. */
    public void close() {
        synchronized (lock) {
            closed = true;
            queue.clear();
            queuedChars = 0;
        }
    }

    // A loop rather than recursion: a container may complete a send on the calling thread.
    private void drain() {
        for (;;) {
            String next;
            synchronized (lock) {
                next = queue.pollFirst();
                if (next == null) {
                    draining = false;
                    return;
                }
                queuedChars -= next.length();
                inFlight = true;
                sendingThreadContinues = true;
            }
            try {
                peer.sendText(next, this::sent);
            } catch (RuntimeException e) {
                sent(e);
            }
            synchronized (lock) {
                sendingThreadContinues = false;
                if (inFlight) {
                    return;
                }
            }
        }
    }

    private void sent(Throwable failure) {
        if (failure != null) {
            close();
            onFailure.accept(failure);
        }
        synchronized (lock) {
            inFlight = false;
            if (sendingThreadContinues) {
                return;
            }
        }
        drain();
    }
}
