package dev.pulse.connection.control;

import dev.pulse.connection.entity.Connection;

/** What other features need to hear about sessions from the {@link SessionRegistry}: when one is gone. */
public interface SessionListener {

    /** Called once per session, when it closed ({@code evicted} false) or the server dropped it. */
    default void gone(Connection connection, boolean evicted) {
    }
}
