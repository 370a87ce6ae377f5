package dev.pulse.browser;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay between the browser and the server that can cut the link the way a pulled cable does: {@link #stall()}
 * stops forwarding in both directions without closing anything (both ends still think they are connected, new
 * connections are accepted and then hear nothing), {@link #resume()} delivers what was held, in order, and goes on
 * — as TCP does when a link comes back. It also records when bytes arrived from the browser, so a test can see a
 * probe that the stalled link swallows.
 */
final class TcpRelay implements AutoCloseable {

    private final ServerSocket listener;
    private final int upstreamPort;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private final List<Long> clientArrivals = new CopyOnWriteArrayList<>(); // epoch ms of each chunk from a browser
    private final AtomicInteger threads = new AtomicInteger();
    private volatile boolean stalled;
    private volatile boolean closed;

    TcpRelay(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        start("relay-accept", this::acceptLoop);
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Stops forwarding, closing nothing. */
    void stall() {
        stalled = true;
    }

    /** Forwards what was held, in order, and everything after it. */
    void resume() {
        stalled = false;
        for (Link link : links) {
            link.toServer.drain();
            link.toClient.drain();
        }
    }

    boolean stalled() {
        return stalled;
    }

    /** Closes every current connection abruptly (RST), as a crashing middlebox would; new ones are accepted. */
    void resetAll() {
        for (Link link : links) {
            link.reset();
        }
    }

    /** Epoch ms of the first chunk a browser sent at or after {@code since}, or -1. */
    long firstClientBytesSince(long since) {
        return clientArrivals.stream().filter(t -> t >= since).mapToLong(Long::longValue).min().orElse(-1);
    }

    int connectionsAccepted() {
        return links.size();
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
        resetAll();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            try {
                client.setTcpNoDelay(true);
                Socket server = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
                server.setTcpNoDelay(true);
                Link link = new Link(client, server);
                links.add(link);
                start("relay-up", () -> link.pump(client, link.toServer, true));
                start("relay-down", () -> link.pump(server, link.toClient, false));
            } catch (IOException e) {
                closeQuietly(client); // the server is down: the browser sees the connection refused, in effect
            }
        }
    }

    private void start(String name, Runnable body) {
        Thread thread = new Thread(body, name + "-" + threads.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    /** One browser connection and its upstream twin. */
    private final class Link {
        final Socket client;
        final Socket server;
        final Pipe toServer;
        final Pipe toClient;

        Link(Socket client, Socket server) throws IOException {
            this.client = client;
            this.server = server;
            this.toServer = new Pipe(server.getOutputStream());
            this.toClient = new Pipe(client.getOutputStream());
        }

        void pump(Socket from, Pipe to, boolean fromClient) {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                for (int n; (n = in.read(buffer)) >= 0;) {
                    if (fromClient) {
                        clientArrivals.add(System.currentTimeMillis());
                    }
                    to.offer(Arrays.copyOf(buffer, n));
                }
                to.endOfStream(); // a FIN goes through like data: after what was held
            } catch (IOException e) {
                reset();
            }
        }

        void reset() {
            for (Socket s : List.of(client, server)) {
                try {
                    s.setSoLinger(true, 0);
                } catch (SocketException e) {
                    // already closed
                }
                closeQuietly(s);
            }
        }
    }

    /** One direction: chunks are queued and written in order whenever the relay is not stalled. */
    private final class Pipe {
        private final OutputStream out;
        private final ArrayDeque<byte[]> held = new ArrayDeque<>();
        private boolean eof;
        private boolean eofSent;

        Pipe(OutputStream out) {
            this.out = out;
        }

        synchronized void offer(byte[] chunk) {
            held.add(chunk);
            drain();
        }

        synchronized void endOfStream() {
            eof = true;
            drain();
        }

        synchronized void drain() {
            if (stalled) {
                return;
            }
            List<byte[]> chunks = new ArrayList<>(held);
            held.clear();
            try {
                for (byte[] chunk : chunks) {
                    out.write(chunk);
                }
                out.flush();
                if (eof && !eofSent) {
                    eofSent = true;
                    out.close();
                }
            } catch (IOException e) {
                // the other end is gone; its pump notices and resets the link
            }
        }
    }
}
