package floor;

import jakarta.inject.Inject;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;
import java.io.StringReader;

/** WebSocket at /ws: welcome on open, subscribe answered with subscribed, every frame counts as life. */
@ServerEndpoint("/ws")
public class FloorEndpoint {

    @Inject
    Hub hub;
    private Hub.Peer peer;

    @OnOpen
    public void open(Session session) {
        peer = hub.open(session);
    }

    @OnMessage
    public void pong(PongMessage pong) {
        peer.alive();
    }

    @OnMessage
    public void text(String text) {
        peer.alive();
        try (var reader = Hub.JSON.createReader(new StringReader(text))) {
            JsonObject m = reader.readObject();
            if ("subscribe".equals(m.getString("type", null)) && m.get("topic") instanceof JsonString topic) {
                hub.subscribe(peer, topic.getString());
            }
        } catch (JsonException | ClassCastException e) {
            // ignored, as the reference ignores it
        }
    }

    @OnClose
    public void close(Session session) {
        hub.drop(session);
    }

    @OnError
    public void error(Session session, Throwable failure) {
        hub.drop(session);
    }
}
