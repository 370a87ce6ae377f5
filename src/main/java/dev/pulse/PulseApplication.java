package dev.pulse;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The HTTP API lives under /api; pages and the WebSocket keep the rest of the context. */
@ApplicationPath("api")
public class PulseApplication extends Application {
}
