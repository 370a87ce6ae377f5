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
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay between the browser and the server that can cut the link the way a pulled cable does: {@link #stall()}
 * stops forwarding in both directions without closing anything (both ends still think they are connected, new
 * connections are accepted and then hear nothing), {@link #resume()} delivers what was held, in order, and goes on
 * — as TCP does when a link comes back. {@link #refuseNew(boolean)} holds the browser out instead, as a server that
 * is down does: new connections are reset, open ones go on. It also records when bytes arrived from the browser, so
 * a test can see a probe that the stalled link swallows, and every connection attempt with its request line (e.g.
 * {@code GET /pulse/ws?user=rex HTTP/1.1}), refused or not, so a test can see when each page tried to come back.
 */
final class TcpRelay implements AutoCloseable {

    private final ServerSocket listener;
    private final int upstreamPort;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private final List<Socket> accepting = new CopyOnWriteArrayList<>(); // accepted, upstream not yet connected
    private final List<Long> clientArrivals = new CopyOnWriteArrayList<>(); // epoch ms of each chunk from a browser
    private final AtomicInteger threads = new AtomicInteger();
    private final List<Attempt> attempts = new CopyOnWriteArrayList<>();
    private volatile boolean stalled;
    private volatile boolean refusing;
    private volatile boolean closed;

    /**
     * One connection from the browser: when the relay accepted it (epoch ms), the first line the browser sent on it
     * ("" if none came), and whether the relay refused it.
     */
    record Attempt(long at, String requestLine, boolean refused) {
    }

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

    /**
     * While {@code refuse} is true, each new connection is accepted only to read its request line (recorded as a
     * refused {@link Attempt}) and is then reset, never reaching the server: to the browser, a server that is down.
     * Connections already relayed are not touched. False lets new connections through again.
     */
    void refuseNew(boolean refuse) {
        refusing = refuse;
    }

    /** Every connection attempt so far, refused or relayed, in the order they were accepted. */
    List<Attempt> attempts() {
        List<Attempt> sorted = new ArrayList<>(attempts);
        sorted.sort(Comparator.comparingLong(Attempt::at));
        return sorted;
    }

    /**
     * Closes every current connection abruptly (RST), as a crashing middlebox would; new ones are accepted. A
     * connection accepted while its upstream twin is still being connected is reset too, on both sides.
     */
    synchronized void resetAll() {
        for (Socket client : accepting) {
            resetQuietly(client); // acceptLoop sees it closed once upstream is connected, and resets that one
        }
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
            long acceptedAt = System.currentTimeMillis();
            if (refusing) {
                start("relay-refuse", () -> refuse(client, acceptedAt));
                continue;
            }
            accepting.add(client);
            try {
                client.setTcpNoDelay(true);
                Socket server = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
                server.setTcpNoDelay(true);
                Link link;
                synchronized (this) { // with resetAll: either it saw the client among accepting, or sees the link
                    accepting.remove(client);
                    if (client.isClosed()) { // reset while upstream was being connected: the server side too
                        resetQuietly(server);
                        continue;
                    }
                    link = new Link(client, server, acceptedAt);
                    links.add(link);
                }
                start("relay-up", () -> link.pump(client, link.toServer, true));
                start("relay-down", () -> link.pump(server, link.toClient, false));
            } catch (IOException e) {
                accepting.remove(client);
                closeQuietly(client); // the server is down: the browser sees the connection refused, in effect
            }
        }
    }

    /** Reads the request line (a browser sends it at once), records the attempt, then resets the connection. */
    private void refuse(Socket client, long acceptedAt) {
        StringBuilder line = new StringBuilder();
        try {
            client.setSoTimeout(5000);
            InputStream in = client.getInputStream();
            for (int b; line.length() < 4096 && (b = in.read()) >= 0 && b != '\n';) {
                if (b != '\r') {
                    line.append((char) b);
                }
            }
        } catch (IOException e) {
            // nothing (more) came: record what did
        }
        attempts.add(new Attempt(acceptedAt, line.toString(), true));
        try {
            client.setSoLinger(true, 0);
        } catch (SocketException e) {
            // already closed
        }
        closeQuietly(client);
    }

    private void start(String name, Runnable body) {
        Thread thread = new Thread(body, name + "-" + threads.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
    }

    private static void resetQuietly(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException e) {
            // already closed
        }
        closeQuietly(socket);
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
        final long acceptedAt;
        private final StringBuilder requestLine = new StringBuilder();
        private boolean requestLineDone;

        Link(Socket client, Socket server, long acceptedAt) throws IOException {
            this.client = client;
            this.server = server;
            this.acceptedAt = acceptedAt;
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
                        recordRequestLine(buffer, n);
                    }
                    to.offer(Arrays.copyOf(buffer, n));
                }
                if (fromClient) {
                    recordRequestLine(buffer, 0);
                }
                to.endOfStream(); // a FIN goes through like data: after what was held
            } catch (IOException e) {
                reset();
            }
        }

        /** The first line the browser sends on this connection makes it an {@link Attempt}; n == 0: no more comes. */
        private void recordRequestLine(byte[] chunk, int n) {
            if (requestLineDone) {
                return;
            }
            for (int i = 0; i < n && !requestLineDone; i++) {
                if (chunk[i] == '\n' || requestLine.length() >= 4096) {
                    requestLineDone = true;
                } else if (chunk[i] != '\r') {
                    requestLine.append((char) chunk[i]);
                }
            }
            if (n == 0) {
                requestLineDone = true;
            }
            if (requestLineDone) {
                attempts.add(new Attempt(acceptedAt, requestLine.toString(), false));
            }
        }

        void reset() {
            for (Socket s : List.of(client, server)) {
                resetQuietly(s);
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
