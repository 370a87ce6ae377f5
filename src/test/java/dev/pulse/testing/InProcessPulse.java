package dev.pulse.testing;

import dev.pulse.config.PulseSettings;
import dev.pulse.config.StoreSettings;
import dev.pulse.connection.boundary.HandshakeConfigurator;
import dev.pulse.connection.boundary.PulseEndpoint;
import dev.pulse.connection.control.Clock;
import dev.pulse.connection.control.SessionRegistry;
import dev.pulse.heartbeat.control.Pacer;
import dev.pulse.monitoring.control.Stats;
import dev.pulse.topic.control.Topics;
import dev.pulse.wiring.PulseGraph;
import jakarta.websocket.Endpoint;
import jakarta.websocket.server.ServerApplicationConfig;
import jakarta.websocket.server.ServerEndpointConfig;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.glassfish.tyrus.server.Server;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A Pulse node on Tyrus's in-process server: for every test a fresh {@link PulseGraph} built from the test
 * class's settings, with real threads, and its endpoint registered exactly as the application registers it
 * ({@link HandshakeConfigurator#endpointConfig}). After the test its sessions are closed, the server stopped and
 * the threads shut down. Register it as a static field:
 *
 * <pre>
 * &#64;RegisterExtension
 * static final InProcessPulse PULSE = new InProcessPulse()
 *         .settings(PulseSettings.builder().heartbeat(1000, 2000).build());
 * </pre>
 */
public final class InProcessPulse implements BeforeEachCallback, AfterEachCallback, AfterAllCallback {

    /** Like the container's: long enough for the upgrade to finish before a refused session is closed. */
    private static final long REFUSAL_CLOSE_DELAY_MILLIS = 100;

    /**
     * The graph whose endpoint the server being started registers. Tyrus instantiates {@link Application}
     * itself, so it can only find the graph statically; set only while {@link Server#start} runs.
     */
    private static volatile Deploying deploying;

    private PulseSettings settings = PulseSettings.defaults();
    private Function<PulseGraph, PulseEndpoint> endpoints = PulseGraph::endpoint;
    private Node node;

    private record Deploying(PulseGraph graph, PulseEndpoint endpoint) {
    }

    /** What one test runs on: a graph, its threads and the server in front of it. */
    private record Node(PulseGraph graph, PulseEndpoint endpoint, Server server, URI uri, ExecutorService pool,
            ScheduledThreadPoolExecutor scheduler) {

        void stop() {
            try {
                graph.shutdown().shutdown(); // closes every session (1001), as the container's undeploy does
                server.stop();
                graph.close();
            } finally {
                scheduler.shutdownNow();
                pool.shutdownNow();
            }
        }
    }

    /** The settings every test of the class starts with. */
    public InProcessPulse settings(PulseSettings settings) {
        this.settings = settings;
        return this;
    }

    /**
     * Which endpoint the server registers, built from each node's graph: by default the graph's own; a test may
     * build one of its own from the graph's parts (e.g. with a collaborator that fails).
     */
    public InProcessPulse endpoint(Function<PulseGraph, PulseEndpoint> endpoints) {
        this.endpoints = endpoints;
        return this;
    }

    /**
     * Replaces this test's node by a fresh one with other settings (settings are fixed for a node's life): call
     * it before connecting; sessions of the node it replaces are closed, and {@link #uri()} changes.
     */
    public void use(PulseSettings other) throws Exception {
        stop();
        node = start(other, endpoints);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        node = start(settings, endpoints);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        stop();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop(); // in case a test's own start failed half-way
    }

    private void stop() {
        Node current = node;
        node = null;
        if (current != null) {
            current.stop();
        }
    }

    private static Node start(PulseSettings settings, Function<PulseGraph, PulseEndpoint> endpoints)
            throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool(daemon("pulse-test-worker"));
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, daemon("pulse-test-scheduler"));
        scheduler.setRemoveOnCancelPolicy(true);
        PulseGraph graph = new PulseGraph(settings, StoreSettings.memory(), Clock.SYSTEM,
                new PulseGraph.Threads(pool, pool, scheduler,
                        CompletableFuture.delayedExecutor(REFUSAL_CLOSE_DELAY_MILLIS, TimeUnit.MILLISECONDS, pool)),
                Pacer.NONE);
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort(); // Tyrus binds 8025 when given port 0
        }
        Server server = new Server("127.0.0.1", port, "/", Map.of(), Application.class);
        PulseEndpoint endpoint;
        synchronized (InProcessPulse.class) {
            try {
                endpoint = endpoints.apply(graph);
                deploying = new Deploying(graph, endpoint);
                server.start();
            } catch (Exception | Error e) {
                graph.close();
                scheduler.shutdownNow();
                pool.shutdownNow();
                throw e;
            } finally {
                deploying = null;
            }
        }
        return new Node(graph, endpoint, server, URI.create("ws://127.0.0.1:" + port + "/ws"), pool, scheduler);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    private Node node() {
        if (node == null) {
            throw new IllegalStateException("no node: InProcessPulse runs one per test (register it with "
                    + "@RegisterExtension on a static field)");
        }
        return node;
    }

    /** ws://127.0.0.1:PORT/ws */
    public URI uri() {
        return node().uri();
    }

    /** The endpoint's URI with a query string. */
    public URI uri(String query) {
        return URI.create(uri() + "?" + query);
    }

    public PulseGraph graph() {
        return node().graph();
    }

    /** The endpoint the server calls. */
    public PulseEndpoint endpoint() {
        return node().endpoint();
    }

    public SessionRegistry registry() {
        return graph().registry();
    }

    public Topics topics() {
        return graph().topics();
    }

    public Stats stats() {
        return graph().stats();
    }

    /** What Tyrus deploys: the endpoint of the graph being started, configured as the application does. */
    public static final class Application implements ServerApplicationConfig {

        @Override
        public Set<ServerEndpointConfig> getEndpointConfigs(Set<Class<? extends Endpoint>> scanned) {
            Deploying current = deploying;
            if (current == null) {
                throw new IllegalStateException("Application is deployed by InProcessPulse only");
            }
            PulseGraph graph = current.graph();
            return Set.of(HandshakeConfigurator.endpointConfig(graph.settings(), graph.errors(),
                    graph.clock(), graph.tokens(), current.endpoint()));
        }

        @Override
        public Set<Class<?>> getAnnotatedEndpointClasses(Set<Class<?>> scanned) {
            return Set.of();
        }
    }
}
