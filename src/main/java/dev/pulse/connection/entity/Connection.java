package dev.pulse.connection.entity;

import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/** One open WebSocket session as Pulse tracks it: who, from where, since when, how alive, what is queued. */
public final class Connection {

    private final String id;
    private final Peer peer;
    private final String user;
    private final String remote;
    private final long openedAt;
    private final Liveness liveness;
    private volatile Outbox outbox;
    private volatile long lastSeenAt;
    private volatile long rttNanos = -1;
    /** The fastest round trip this peer ever had: its network's share of every round trip. */
    private volatile long bestRttNanos = Long.MAX_VALUE;
    private final Set<String> topics = ConcurrentHashMap.newKeySet();
    private volatile RateLimiter rateLimiter;
    /** Characters of text frames queued for the peer since open. */
    private final java.util.concurrent.atomic.AtomicLong offered = new java.util.concurrent.atomic.AtomicLong();
    /** Of those, how many the peer has provably read: it answered a Ping sent after them. */
    private volatile long acknowledged;
    /** {@link #offered} when the last probe Ping went out, or -1 when none is waiting for its Pong. */
    private volatile long probeMark = -1;
    /** Replayed characters not held against the limit until the peer acknowledges up to {@link #exemptUntil}. */
    private long exemptChars;
    private long exemptUntil = -1;
    private final AtomicBoolean gone = new AtomicBoolean();

    public Connection(String id, Peer peer, String user, String remote, long openedAt, Liveness liveness) {
        this.id = id;
        this.peer = peer;
        this.user = user;
        this.remote = remote;
        this.openedAt = openedAt;
        this.lastSeenAt = openedAt;
        this.liveness = liveness;
    }

    /** The inbound budget; set once at open. */
    public void limit(RateLimiter limiter) {
        this.rateLimiter = limiter;
    }

    public RateLimiter rateLimiter() {
        return rateLimiter;
    }

    /** Set once, right after construction, because the outbox reports failures back to the registry. */
    public void attach(Outbox outbox) {
        this.outbox = outbox;
    }

    public String id() {
        return id;
    }

    public Peer peer() {
        return peer;
    }

    /** The user name, or null for an anonymous connection. */
    public String user() {
        return user;
    }

    /** The peer's address as far as it is known, or null. */
    public String remote() {
        return remote;
    }

    /** Epoch ms of the handshake. */
    public long openedAt() {
        return openedAt;
    }

    /** Epoch ms of the last frame received. */
    public long lastSeenAt() {
        return lastSeenAt;
    }

    /** The topics this session is subscribed to, kept by the topic registry. */
    public Set<String> topics() {
        return topics;
    }

    /** True exactly once: for the first caller that reports this session gone. */
    public boolean markGone() {
        return gone.compareAndSet(false, true);
    }

    public boolean isGone() {
        return gone.get();
    }

    public Liveness liveness() {
        return liveness;
    }

    public Outbox outbox() {
        return outbox;
    }

    /** A frame arrived; true when the heartbeat had postponed this session's eviction for the node's own lag. */
    public boolean seen(long nowNanos, long nowMillis) {
        lastSeenAt = nowMillis;
        return liveness.seen(nowNanos);
    }

    /** Records a round trip; returns how much longer it took than this peer's fastest (what it waited beyond its network). */
    public long rtt(long nanos) {
        rttNanos = nanos;
        if (nanos < bestRttNanos) {
            bestRttNanos = nanos; // only the thread handling this peer's Pongs writes
        }
        return nanos - bestRttNanos;
    }

    /** The last measured round-trip time in ms, or null before the first Pong. */
    public Double rttMillis() {
        long rtt = rttNanos;
        return rtt < 0 ? null : rtt / 1_000_000.0;
    }

    /**
     * Sends a Ping frame whose payload is its send time, so the Pong yields the round-trip time, and the amount
     * of text queued so far: a Pong proves the peer read everything before the Ping (frames arrive in order).
     */
    public void ping(long nowNanos) throws Exception {
        peer.ping(ByteBuffer.allocate(2 * Long.BYTES).putLong(0, nowNanos).putLong(Long.BYTES, offered.get()));
    }

    /** Counts a text frame about to be queued; returns the characters the peer has not provably read yet. */
    public long offer(int chars) {
        return offered.addAndGet(chars) - acknowledged;
    }

    public long unacknowledged() {
        return offered.get() - acknowledged;
    }

    /**
     * Counts replayed text: history a resuming peer asked for is bounded by the history size, and is not held
     * against the unread limit until the peer has had a round trip to acknowledge it.
     */
    public synchronized long offerExempt(int chars) {
        exemptChars += chars;
        exemptUntil = offered.addAndGet(chars);
        return exemptUntil - acknowledged;
    }

    /** Unread output as the limit sees it: without replayed text that is not yet due for acknowledgement. */
    public synchronized long unreadCounted() {
        if (exemptUntil >= 0 && acknowledged >= exemptUntil) {
            exemptChars = 0;
            exemptUntil = -1;
        }
        return offered.get() - acknowledged - exemptChars;
    }

    /** Records a Pong's proof that the peer has read {@code upTo} characters. */
    public void acknowledge(long upTo) {
        if (upTo > acknowledged) {
            acknowledged = upTo;
        }
        long mark = probeMark;
        if (mark >= 0 && upTo >= mark) {
            probeMark = -1;
        }
    }

    /**
     * Sends an extra Ping when much is unacknowledged, so that a peer that reads fast acknowledges long before
     * the next regular Ping; false (and nothing sent) while an earlier probe still waits for its Pong.
     */
    public synchronized boolean probe(long nowNanos) {
        if (probeMark >= 0) {
            return false;
        }
        probeMark = offered.get();
        try {
            ping(nowNanos);
        } catch (Exception e) {
            return false; // the heartbeat finds out about a broken peer
        }
        return true;
    }

    /** Reads the send time back from a Pong payload written by {@link #ping}, or -1 if it is not one of ours. */
    public static long pingTime(ByteBuffer payload) {
        return payload != null && payload.remaining() == 2 * Long.BYTES ? payload.getLong(payload.position()) : -1;
    }

    /** Reads the characters acknowledged by a Pong payload written by {@link #ping}, or -1. */
    public static long pingOffered(ByteBuffer payload) {
        return payload != null && payload.remaining() == 2 * Long.BYTES
                ? payload.getLong(payload.position() + Long.BYTES) : -1;
    }
}
