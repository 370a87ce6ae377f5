package dev.pulse.connection.boundary;

import dev.pulse.config.PulseSettings;
import dev.pulse.connection.control.Clock;
import dev.pulse.connection.control.ErrorLog;
import dev.pulse.identity.control.Tokens;
import jakarta.inject.Inject;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerContainer;

/**
 * Adds the endpoint at {@code /ws} while the application deploys, built from the node's object graph: the
 * container then never creates endpoints or configurators of its own that would have to look the graph up.
 */
@WebListener
public class EndpointRegistration implements ServletContextListener {

    @Inject
    PulseSettings settings;

    @Inject
    ErrorLog errors;

    @Inject
    Clock clock;

    @Inject
    PulseEndpoint endpoint;

    @Inject
    Tokens tokens;

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServerContainer container = (ServerContainer) event.getServletContext()
                .getAttribute(ServerContainer.class.getName());
        // liveness is the heartbeat's (each session also gets -1 as it opens): a container default above 0 has Tyrus
        // schedule an idle-timeout task as it creates each session, and Payara captures the context of that task
        // with a scan of the application's jars (bench/README.md, item 4), once per handshake
        container.setDefaultMaxSessionIdleTimeout(-1);
        try {
            container.addEndpoint(HandshakeConfigurator.endpointConfig(settings, errors, clock, tokens, endpoint));
        } catch (DeploymentException e) {
            throw new IllegalStateException("Could not add the WebSocket endpoint", e);
        }
    }
}
