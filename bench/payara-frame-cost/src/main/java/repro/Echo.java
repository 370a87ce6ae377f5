package repro;

import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;
import java.util.List;

/**
 * Does nothing but set the session's max idle timeout from {@code ?idle=} (milliseconds, e.g. 0 or -1).
 * The load is the client's Pings, which the container answers with Pongs by itself.
 */
@ServerEndpoint("/echo")
public class Echo {
    @OnOpen
    public void open(Session session) {
        List<String> idle = session.getRequestParameterMap().get("idle");
        if (idle != null && !idle.isEmpty()) {
            session.setMaxIdleTimeout(Long.parseLong(idle.get(0)));
        }
    }
}
