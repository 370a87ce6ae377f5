package dev.pulse.testing;

import dev.pulse.connection.boundary.PulseEndpoint;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.topic.control.Topics;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Map;
import org.glassfish.tyrus.server.Server;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The endpoint on Tyrus's in-process server for one test class, with the shared registry and topics emptied
 * before every test (they are static, as in the container).
 */
public final class InProcessPulse implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback {

    private Server server;
    private URI uri;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort(); // Tyrus binds 8025 when given port 0
        }
        server = new Server("127.0.0.1", port, "/", Map.of(), PulseEndpoint.class);
        server.start();
        uri = URI.create("ws://127.0.0.1:" + port + "/ws");
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        reset();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        server.stop();
        reset();
    }

    /** ws://127.0.0.1:PORT/ws */
    public URI uri() {
        return uri;
    }

    /** The endpoint's URI with a query string. */
    public URI uri(String query) {
        return URI.create(uri + "?" + query);
    }

    private static void reset() {
        SessionRegistry.shared().reset();
        Topics.shared().reset();
    }
}
