package floor;

import jakarta.inject.Inject;
import jakarta.json.JsonException;
import jakarta.json.JsonValue;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** POST /api/topics/{topic}/messages, GET /api/stats and GET /health/ready, as bench/peer/ws-server.mjs has them. */
@WebServlet(urlPatterns = {"/api/*", "/health/ready"})
public class FloorServlet extends HttpServlet {

    private static final Pattern PUBLISH = Pattern.compile("/topics/([A-Za-z0-9:._@-]{1,200})/messages");

    @Inject
    Hub hub;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if ("/health/ready".equals(request.getServletPath())) {
            reply(response, 200, "{\"status\":\"UP\"}");
        } else if ("/stats".equals(request.getPathInfo())) {
            reply(response, 200, hub.stats().toString());
        } else {
            reply(response, 404, "{\"code\":\"not_found\"}");
        }
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Matcher publish = PUBLISH.matcher(String.valueOf(request.getPathInfo()));
        if (!"/api".equals(request.getServletPath()) || !publish.matches()) {
            reply(response, 404, "{\"code\":\"not_found\"}");
            return;
        }
        JsonValue data;
        try (var reader = Hub.JSON.createReader(request.getInputStream())) {
            data = reader.readValue();
        } catch (JsonException e) {
            reply(response, 400, "{\"code\":\"bad_json\"}");
            return;
        }
        String topic = publish.group(1);
        long seq = hub.publish(topic, data);
        reply(response, 202, Hub.JSON.createObjectBuilder().add("topic", topic).add("seq", seq).build().toString());
    }

    private static void reply(HttpServletResponse response, int status, String json) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write(json);
    }
}
