package dev.pulse.testing;

import dev.pulse.connection.control.Clock;

/** A clock that moves only when a test advances it. */
public final class FakeClock implements Clock {

    private long nanos = 1_000_000_000_000L;
    private long epochMillis = 1_700_000_000_000L;

    @Override
    public synchronized long millis() {
        return epochMillis;
    }

    @Override
    public synchronized long nanos() {
        return nanos;
    }

    public synchronized void advanceMillis(long ms) {
        nanos += ms * 1_000_000;
        epochMillis += ms;
    }

    /** Monotonic time in ms, for readable assertions. */
    public synchronized long nowMillis() {
        return nanos / 1_000_000;
    }
}
