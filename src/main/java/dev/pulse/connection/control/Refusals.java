package dev.pulse.connection.control;

import dev.pulse.connection.entity.Peer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Sessions that must not be served (an invalid token: 4001), closed without being registered. The first close
 * runs on {@link #closeOn}, 100 ms after the open callback rather than inside it. On Payara a close soon after
 * the handshake makes the container finish request objects it has already recycled: NPEs in its log, and now and
 * then a 101 lost, so that the client sees a failed handshake instead of the close frame (README "Known issues",
 * {@code UpgradeRacesIT}); a longer delay did not avoid it. {@link #sweep} closes again a session that stays open,
 * from a second on, for up to 10 s; on Tyrus it never does, as {@code Session.isOpen()} is false from the first
 * close on.
 */
public final class Refusals {

    static final long RETRY_AFTER_MILLIS = 1000;
    static final long GIVE_UP_MILLIS = 10_000;

    private record Refusal(int code, String reason, long at) {
    }

    private final Clock clock;
    private final Map<Peer, Refusal> refused = new ConcurrentHashMap<>();
    private volatile Executor closer = Runnable::run;

    public Refusals(Clock clock) {
        this.clock = clock;
    }

    public void refuse(Peer peer, int code, String reason) {
        refused.put(peer, new Refusal(code, reason, clock.millis()));
        try {
            closer.execute(() -> peer.close(code, reason));
        } catch (RejectedExecutionException e) {
            peer.close(code, reason);
        }
    }

    /** Runs the first close of each refused handshake there, typically a little after the open callback. */
    public void closeOn(Executor executor) {
        this.closer = executor;
    }

    /** Closes again what is still open; on every heartbeat tick. */
    public void sweep() {
        long now = clock.millis();
        refused.entrySet().removeIf(e -> {
            Refusal r = e.getValue();
            long age = now - r.at();
            if (!e.getKey().isOpen() || age > GIVE_UP_MILLIS) {
                return true;
            }
            if (age >= RETRY_AFTER_MILLIS) { // the first close has had its time; a second one sooner would race it
                e.getKey().close(r.code(), r.reason());
            }
            return false;
        });
    }
}
