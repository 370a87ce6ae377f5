package dev.pulse.connection.boundary;

import dev.pulse.connection.control.ErrorLog;
import dev.pulse.connection.entity.Connection;
import dev.pulse.protocol.ErrorCode;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.UnsupportedEncodingException;
import java.nio.charset.CharacterCodingException;

/**
 * Frames the container refused before any handler saw them, closing the session itself: a message over
 * {@code setMaxTextMessageBufferSize} (1009; Undertow whole, Tyrus fragmented), invalid UTF-8 in a text message
 * (1007), a protocol error (1002). Counted where the session closes, as {@code too_large} and {@code bad_frame}. A
 * peer may close with 1002 or 1007 itself: counted the same, a peer that saw bad frames.
 */
final class RefusedFrames {

    private static final String INVALID_UTF8 = "dev.pulse.invalid-utf8";

    private final ErrorLog errors;

    RefusedFrames(ErrorLog errors) {
        this.errors = errors;
    }

    /**
     * The container reported a failure of a session it already closed. Undertow sends the peer 1007 for invalid
     * UTF-8, then reports the close as 1006: remembered here so that {@link #code} can tell. (It reports its 1002
     * closes as 1006 too, with nothing portable to tell them by: on WildFly those count as abrupt disconnects.)
     */
    void failed(Session session, Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CharacterCodingException || t instanceof UnsupportedEncodingException) {
                session.getUserProperties().put(INVALID_UTF8, Boolean.TRUE);
                return;
            }
        }
    }

    /** The code the session closed with, as the peer was told it. */
    int code(Session session, CloseReason reason) {
        int code = reason == null ? CloseReason.CloseCodes.CLOSED_ABNORMALLY.getCode() : reason.getCloseCode().getCode();
        return code == 1006 && session.getUserProperties().containsKey(INVALID_UTF8) ? 1007 : code;
    }

    /** Counts a close that answered a refused frame; a session Pulse closed itself was counted when it did. */
    void closed(Connection connection, Session session, int code, CloseReason reason) {
        if (session.getUserProperties().containsKey(SessionPeer.CLOSED_WITH)) {
            return;
        }
        String phrase = reason == null ? "" : reason.getReasonPhrase();
        switch (code) {
            case 1009 -> errors.record(connection, ErrorCode.TOO_LARGE, "message over the limit: " + phrase);
            case 1007 -> errors.record(connection, ErrorCode.BAD_FRAME, "invalid UTF-8: " + phrase);
            case 1002 -> errors.record(connection, ErrorCode.BAD_FRAME, "protocol error: " + phrase);
            default -> {
                // a normal or abrupt end: not bad input
            }
        }
    }
}
