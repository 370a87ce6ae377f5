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
        try {
            container.addEndpoint(HandshakeConfigurator.endpointConfig(settings, errors, clock, tokens, endpoint));
        } catch (DeploymentException e) {
            throw new IllegalStateException("Could not add the WebSocket endpoint", e);
        }
    }
}
