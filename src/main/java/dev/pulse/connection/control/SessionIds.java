package dev.pulse.connection.control;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Session ids: 128 random bits, unique among the nodes of a cluster, but no secret (nothing takes an id as proof of
 * anything). Not {@code UUID.randomUUID()}: its SecureRandom reads the OS source under one JVM-wide lock that every
 * handshake then queues on, beside the container's own session ids (WildFly's JFR at 10,000 connects).
 */
final class SessionIds {

    private SessionIds() {
    }

    static String next() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return new UUID(random.nextLong(), random.nextLong()).toString();
    }
}
