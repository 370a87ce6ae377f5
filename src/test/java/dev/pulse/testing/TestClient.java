package dev.pulse.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.ContainerProvider;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import java.io.StringReader;
import java.net.URI;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A WebSocket client for tests: queues every text message as JSON and remembers how the server closed it. */
public final class TestClient extends Endpoint implements AutoCloseable {

    /** One client container for all tests: Tyrus shuts a container's executors down with its last session. */
    private static final jakarta.websocket.WebSocketContainer CONTAINER = ContainerProvider.getWebSocketContainer();

    public final BlockingQueue<JsonObject> messages = new LinkedBlockingQueue<>();
    public final CompletableFuture<CloseReason> closed = new CompletableFuture<>();
    private final java.util.function.Consumer<JsonObject> onMessage;
    private Session session;

    private TestClient(java.util.function.Consumer<JsonObject> onMessage) {
        this.onMessage = onMessage;
    }

    public static TestClient connect(URI uri) throws Exception {
        return connect(uri, java.util.Map.of(), java.util.List.of());
    }

    /**
     * Connects, and runs {@code onMessage} on the client's callback thread for every message as it arrives,
     * before it is queued (to react the moment something arrives, as a browser's onmessage does).
     */
    public static TestClient connect(URI uri, java.util.function.Consumer<JsonObject> onMessage) throws Exception {
        return connect(uri, java.util.Map.of(), java.util.List.of(), onMessage);
    }

    /** Connects with extra handshake headers (e.g. Origin) and offered subprotocols. */
    public static TestClient connect(URI uri, java.util.Map<String, String> headers, java.util.List<String> protocols)
            throws Exception {
        return connect(uri, headers, protocols, message -> { });
    }

    private static TestClient connect(URI uri, java.util.Map<String, String> headers, java.util.List<String> protocols,
            java.util.function.Consumer<JsonObject> onMessage) throws Exception {
        TestClient client = new TestClient(onMessage);
        ClientEndpointConfig config = ClientEndpointConfig.Builder.create()
                .preferredSubprotocols(protocols)
                .configurator(new ClientEndpointConfig.Configurator() {
                    @Override
                    public void beforeRequest(java.util.Map<String, java.util.List<String>> request) {
                        headers.forEach((k, v) -> {
                            if (v.isEmpty()) {
                                request.keySet().removeIf(name -> name.equalsIgnoreCase(k)); // send none
                            } else {
                                request.put(k, java.util.List.of(v));
                            }
                        });
                    }
                }).build();
        client.session = CONTAINER.connectToServer(client, config, uri);
        return client;
    }

    @Override
    public void onOpen(Session session, EndpointConfig config) {
        session.addMessageHandler(String.class, (MessageHandler.Whole<String>) text -> {
            JsonObject message = Json.createReader(new StringReader(text)).readObject();
            try {
                onMessage.accept(message);
            } finally {
                messages.add(message);
            }
        });
    }

    @Override
    public void onClose(Session session, CloseReason reason) {
        closed.complete(reason);
    }

    public Session session() {
        return session;
    }

    public void send(String text) throws Exception {
        session.getBasicRemote().sendText(text);
    }

    /** The next message, failing the test if none arrives within 5 s. */
    public JsonObject next() throws InterruptedException {
        JsonObject message = messages.poll(5, TimeUnit.SECONDS);
        assertNotNull(message, "no message within 5 s");
        return message;
    }

    /** The next message of this type, skipping others. */
    public JsonObject next(String type) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            JsonObject message = messages.poll(100, TimeUnit.MILLISECONDS);
            if (message != null && type.equals(message.getString("type", null))) {
                return message;
            }
        }
        throw new AssertionError("no " + type + " message within 5 s");
    }

    public CloseReason awaitClose() throws Exception {
        return closed.get(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        if (session != null && session.isOpen()) {
            session.close();
        }
    }
}
