package dev.pulse.connection.control;

import dev.pulse.connection.entity.Connection;
import dev.pulse.monitoring.control.Stats;
import dev.pulse.protocol.ErrorCode;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts every client error and logs them without flooding: at most one line a second, with the number
 * suppressed since the last line, so a client sending garbage in a loop cannot fill the disk.
 */
public final class ErrorLog {

    private static final Logger LOG = System.getLogger(ErrorLog.class.getName());
    private static final long QUIET_NANOS = 1_000_000_000L;

    private final Stats stats;
    private final AtomicLong lastLogged = new AtomicLong(System.nanoTime() - QUIET_NANOS);
    private final AtomicLong suppressed = new AtomicLong();

    public ErrorLog(Stats stats) {
        this.stats = stats;
    }

    public void record(Connection connection, ErrorCode code, String detail) {
        stats.error(code.wire());
        long now = System.nanoTime();
        long last = lastLogged.get();
        if (now - last >= QUIET_NANOS && lastLogged.compareAndSet(last, now)) {
            long skipped = suppressed.getAndSet(0);
            LOG.log(Level.INFO, () -> "Client error " + code.wire() + " from session "
                    + (connection == null ? "-" : connection.id()) + ": " + detail
                    + (skipped > 0 ? " (" + skipped + " more errors not logged)" : ""));
        } else {
            suppressed.incrementAndGet();
        }
    }
}
