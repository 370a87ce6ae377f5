package dev.pulse.identity.boundary;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.Clock;
import dev.pulse.identity.control.Tokens;
import dev.pulse.protocol.UserNames;
import dev.pulse.protocol.Wire;
import jakarta.inject.Inject;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * POST /demo/sign-in {"user":"alice"} → a token for that name, for the demo room only: with {@code pulse.demo=true}
 * (what {@code mvn -Prun package} sets) anybody becomes whoever they type, so that a first run shows named users and
 * presence, and how a page uses a token. Never in production: there the application's backend signs its users in
 * and mints their tokens (POST /api/tokens with an admin key, or any JWT library with the same secret), or the
 * container's login names the user. Outside /api, so an API key does not hide it; 404 when demo mode is off.
 */
@WebServlet(urlPatterns = "/demo/sign-in", loadOnStartup = 1) // at startup, so that its warning is in the boot log
public class DemoSignIn extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = System.getLogger(DemoSignIn.class.getName());
    private static final int MAX_BODY = 1024; // {"user":"<64 characters>"} and then some

    @Inject
    transient PulseSettings settings;

    @Inject
    transient Clock clock;

    @Inject
    transient Tokens tokens;

    private boolean demo;

    @Override
    public void init() {
        demo = ConfigProvider.getConfig().getOptionalValue("pulse.demo", Boolean.class).orElse(false);
        if (demo) {
            LOG.log(System.Logger.Level.WARNING, "pulse.demo=true: /demo/sign-in gives anybody a token for any name "
                    + "they type. For trying Pulse only; never in production");
        }
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Cache-Control", "no-store");
        if (!demo) {
            answer(response, 404, "{\"code\":\"not_found\",\"message\":\"demo mode is off (pulse.demo)\"}");
            return;
        }
        byte[] body = request.getInputStream().readNBytes(MAX_BODY + 1);
        String user = null;
        if (body.length <= MAX_BODY) {
            try {
                if (Wire.parse(new String(body, StandardCharsets.UTF_8)) instanceof JsonObject o
                        && o.get("user") instanceof JsonString s && UserNames.valid(s.getString())) {
                    user = s.getString();
                }
            } catch (JsonException e) {
                // answered below
            }
        }
        if (user == null) {
            answer(response, 400, Wire.object().add("code", "bad_request")
                    .add("message", "a JSON object with \"user\": " + UserNames.RULE).build().toString());
            return;
        }
        long now = clock.millis();
        long expiresAt = now + settings.guard().auth().tokenTtl();
        String token = tokens.mint(user, expiresAt, now);
        answer(response, 200, Wire.object().add("token", token).add("user", user)
                .add("expiresAt", expiresAt / 1000 * 1000).add("demo", true).build().toString());
    }

    private static void answer(HttpServletResponse response, int status, String json) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write(json);
    }
}
