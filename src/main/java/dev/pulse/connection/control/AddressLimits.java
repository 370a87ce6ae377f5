package dev.pulse.connection.control;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Open sessions per client address, for {@code pulse.limits.per-address}; counting is atomic per address. */
public final class AddressLimits {

    private final Map<String, AtomicInteger> perAddress = new ConcurrentHashMap<>();

    /** Counts one more session from {@code remote} unless {@code limit} (0: none) are open from it already. */
    boolean admit(String remote, int limit) {
        boolean[] counted = {false};
        perAddress.compute(address(remote), (a, count) -> { // atomic per address, as the release when one goes
            AtomicInteger n = count == null ? new AtomicInteger() : count;
            if (limit <= 0 || n.get() < limit) {
                n.incrementAndGet();
                counted[0] = true;
            }
            return n.get() == 0 ? null : n;
        });
        return counted[0];
    }

    void release(String remote) {
        perAddress.computeIfPresent(address(remote), (a, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    /** Open sessions from one client address (without port). */
    public int from(String address) {
        AtomicInteger count = perAddress.get(address);
        return count == null ? 0 : count.get();
    }

    /** The address part of a remote: "a.b.c.d:port", "v6:port" (as servlets give it), "a.b.c.d" or "[v6]". */
    public static String address(String remote) {
        if (remote.startsWith("[")) {
            int end = remote.indexOf(']');
            return end > 0 ? remote.substring(1, end) : remote;
        }
        int colon = remote.lastIndexOf(':');
        return colon > 0 ? remote.substring(0, colon) : remote;
    }
}
