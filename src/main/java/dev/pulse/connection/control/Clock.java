package dev.pulse.connection.control;

/** Wall-clock and monotonic time, replaceable in tests. */
public interface Clock {

    Clock SYSTEM = new Clock() {
        @Override
        public long millis() {
            return System.currentTimeMillis();
        }

        @Override
        public long nanos() {
            return System.nanoTime();
        }
    };

    /** Epoch milliseconds, for what the wire and the API show. */
    long millis();

    /** Monotonic nanoseconds, for every duration the heartbeat measures. */
    long nanos();
}
