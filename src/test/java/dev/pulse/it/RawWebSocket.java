package dev.pulse.it;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * A WebSocket client over a plain {@link Socket} (RFC 6455, client side), so a test can be a peer that a real
 * client library would never be: one that reads but never answers Pings, or one that completes the handshake and
 * then never reads a byte. Only the JDK is used, so a separate JVM can run it with nothing but test-classes on the
 * class path ({@link PingAnswerer}).
 */
public final class RawWebSocket implements AutoCloseable {

    /** How the client treats what the server sends. */
    public enum Mode {
        /** Reads everything and answers every Ping with a Pong carrying the same payload, as RFC 6455 requires. */
        ANSWER_PINGS,
        /** Reads everything (Pings included) but never sends a Pong. */
        IGNORE_PINGS,
        /** Never reads a byte after the handshake: the server's data piles up in the kernel buffers. */
        NEVER_READ
    }

    /**
     * How the connection ended, as this client saw it.
     *
     * @param code the close frame's code, 1005 for a close frame without one, 1006 when the socket ended without
     *        a close frame
     * @param frame whether a close frame arrived
     * @param atNanos {@link System#nanoTime()} when it was seen
     */
    public record Close(int code, String reason, boolean frame, long atNanos) {
        @Override
        public String toString() {
            return frame ? code + " \"" + reason + "\"" : code + " (no close frame: " + reason + ")";
        }
    }

    /** The server answered the upgrade request with something other than 101. */
    public static final class HandshakeRefused extends IOException {
        private static final long serialVersionUID = 1L;
        private final int status;
        private final String response;
        private final String body;

        HandshakeRefused(int status, String statusLine, String response, String body) {
            super("handshake refused: " + statusLine);
            this.status = status;
            this.response = response;
            this.body = body;
        }

        /** The HTTP status code, -1 if the status line could not be read. */
        public int status() {
            return status;
        }

        /** The status line and headers. */
        public String response() {
            return response;
        }

        /** The body, if the answer had a Content-Length (else empty). */
        public String body() {
            return body;
        }
    }

    /** What {@link #drain} found in a never-read socket. */
    public record Drained(long bytes, int textFrames, int pings, Close close, boolean eof) {
    }

    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Mode mode;
    private final Object writeLock = new Object();
    private final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    private final List<Long> pings = new ArrayList<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private final CompletableFuture<Long> eof = new CompletableFuture<>();
    private final AtomicLong framesSent = new AtomicLong();
    private final long handshakeStartNanos;
    private final long openNanos;
    private final Map<String, String> responseHeaders = new LinkedHashMap<>();
    private volatile long lastSentNanos;
    private volatile boolean closeSent;
    private volatile boolean mute;
    private volatile LongConsumer onPongSent = t -> { };
    private Thread reader;

    private RawWebSocket(Socket socket, Mode mode, long handshakeStartNanos, long openNanos) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.mode = mode;
        this.handshakeStartNanos = handshakeStartNanos;
        this.openNanos = openNanos;
        this.lastSentNanos = handshakeStartNanos;
    }

    public static RawWebSocket connect(URI uri, Mode mode) throws IOException {
        return connect(uri, mode, 0);
    }

    /**
     * Opens the TCP connection and does the upgrade handshake; throws unless the server answers 101 with the right
     * {@code Sec-WebSocket-Accept}.
     *
     * @param receiveBuffer SO_RCVBUF in bytes, set before connecting (which also caps the TCP window), or 0 for the
     *        system's default
     */
    public static RawWebSocket connect(URI uri, Mode mode, int receiveBuffer) throws IOException {
        return connect(uri, mode, receiveBuffer, Map.of());
    }

    /**
     * As {@link #connect(URI, Mode, int)}, with extra request headers (e.g. {@code Origin},
     * {@code Sec-WebSocket-Protocol}); a refusal throws {@link HandshakeRefused} with the status and body.
     */
    public static RawWebSocket connect(URI uri, Mode mode, int receiveBuffer, Map<String, String> headers)
            throws IOException {
        return connect(uri, mode, receiveBuffer, headers, null);
    }

    /** As {@link #connect(URI, Mode, int, Map)}, from a given local address (e.g. 127.0.0.2), or any when null. */
    public static RawWebSocket connect(URI uri, Mode mode, int receiveBuffer, Map<String, String> headers,
            InetAddress from) throws IOException {
        Socket socket = new Socket();
        if (from != null) {
            socket.bind(new InetSocketAddress(from, 0));
        }
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.setTcpNoDelay(true);
        int port = uri.getPort() > 0 ? uri.getPort() : 80;
        socket.connect(new InetSocketAddress(uri.getHost(), port), 5000);
        try {
            socket.setSoTimeout(10_000); // only for the handshake
            String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                    + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
            byte[] nonce = new byte[16];
            RANDOM.nextBytes(nonce);
            String key = Base64.getEncoder().encodeToString(nonce);
            String request = "GET " + path + " HTTP/1.1\r\n"
                    + "Host: " + uri.getHost() + ":" + port + "\r\n"
                    + "Upgrade: websocket\r\n"
                    + "Connection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: " + key + "\r\n"
                    + "Sec-WebSocket-Version: 13\r\n";
            StringBuilder extra = new StringBuilder();
            headers.forEach((name, value) -> extra.append(name).append(": ").append(value).append("\r\n"));
            request += extra + "\r\n";
            long start = System.nanoTime();
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String response = readHeaders(socket.getInputStream());
            long open = System.nanoTime();
            String[] lines = response.split("\r\n");
            if (!lines[0].matches("HTTP/1\\.1 101( .*)?")) {
                throw refused(socket, lines, response);
            }
            String expected = accept(key);
            boolean accepted = false;
            for (String line : lines) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Sec-WebSocket-Accept")
                        && line.substring(colon + 1).trim().equals(expected)) {
                    accepted = true;
                }
            }
            if (!accepted) {
                throw new IOException("no valid Sec-WebSocket-Accept in: " + response);
            }
            socket.setSoTimeout(0);
            RawWebSocket ws = new RawWebSocket(socket, mode, start, open);
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    ws.responseHeaders.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            lines[i].substring(colon + 1).trim());
                }
            }
            if (mode != Mode.NEVER_READ) {
                ws.startReader();
            }
            return ws;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    private static HandshakeRefused refused(Socket socket, String[] lines, String response) {
        int status = -1;
        String[] parts = lines[0].split(" ");
        if (parts.length > 1 && parts[1].matches("\\d{3}")) {
            status = Integer.parseInt(parts[1]);
        }
        String body = "";
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                try {
                    int length = Integer.parseInt(line.substring(colon + 1).trim());
                    if (length > 0 && length <= 65_536) {
                        body = new String(socket.getInputStream().readNBytes(length), StandardCharsets.UTF_8);
                    }
                } catch (IOException | NumberFormatException e) {
                    // the status is what matters
                }
            }
        }
        return new HandshakeRefused(status, lines[0], response, body);
    }

    /** A header of the server's 101 answer (name case-insensitive), or null. */
    public String responseHeader(String name) {
        return responseHeaders.get(name.toLowerCase(Locale.ROOT));
    }

    /** Called with {@link System#currentTimeMillis()} after each Pong this client sent (ANSWER_PINGS). */
    public RawWebSocket onPongSent(LongConsumer listener) {
        this.onPongSent = listener;
        return this;
    }

    /** From now on Pings are read but never answered: a peer that goes silent without closing. */
    public void stopAnswering() {
        mute = true;
    }

    public Mode mode() {
        return mode;
    }

    public int localPort() {
        return socket.getLocalPort();
    }

    public int remotePort() {
        return socket.getPort();
    }

    /** {@link System#nanoTime()} when the upgrade request was sent. */
    public long handshakeStartNanos() {
        return handshakeStartNanos;
    }

    /** {@link System#nanoTime()} when the 101 answer was read. */
    public long openNanos() {
        return openNanos;
    }

    /** {@link System#nanoTime()} when the last complete frame (or the upgrade request) was written. */
    public long lastSentNanos() {
        return lastSentNanos;
    }

    public long framesSent() {
        return framesSent.get();
    }

    /** {@link System#nanoTime()} of every Ping received so far. */
    public List<Long> pings() {
        synchronized (pings) {
            return new ArrayList<>(pings);
        }
    }

    public int pingCount() {
        synchronized (pings) {
            return pings.size();
        }
    }

    /** Completes when the connection ends (close frame or end of stream); never for a NEVER_READ client. */
    public CompletableFuture<Close> closed() {
        return closed;
    }

    /** Completes with {@link System#nanoTime()} when the server's side of the TCP connection ended (EOF). */
    public CompletableFuture<Long> eof() {
        return eof;
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    /** The next text message, or null after the timeout. */
    public String nextText(Duration timeout) throws InterruptedException {
        return texts.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public void sendText(String text) throws IOException {
        sendFrame(0x1, text.getBytes(StandardCharsets.UTF_8));
    }

    public void sendPing(byte[] payload) throws IOException {
        sendFrame(0x9, payload);
    }

    public void sendPong(byte[] payload) throws IOException {
        sendFrame(0xA, payload);
    }

    public void sendClose(int code, String reason) throws IOException {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[2 + text.length];
        payload[0] = (byte) (code >> 8);
        payload[1] = (byte) code;
        System.arraycopy(text, 0, payload, 2, text.length);
        closeSent = true;
        sendFrame(0x8, payload);
    }

    /** Writes one complete, masked frame (clients must mask, RFC 6455 5.3). May block if the server stops reading. */
    public void sendFrame(int opcode, byte[] payload) throws IOException {
        sendFrame(true, opcode, payload);
    }

    /**
     * Writes one masked frame; {@code fin} false starts or continues a fragmented message (opcode 0x0 for the
     * continuation frames).
     */
    public void sendFrame(boolean fin, int opcode, byte[] payload) throws IOException {
        int len = payload.length;
        ByteArrayOutputStream frame = new ByteArrayOutputStream(len + 14);
        frame.write((fin ? 0x80 : 0) | opcode);
        if (len < 126) {
            frame.write(0x80 | len);
        } else if (len <= 0xFFFF) {
            frame.write(0x80 | 126);
            frame.write(len >> 8);
            frame.write(len);
        } else {
            frame.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) len >> shift));
            }
        }
        byte[] mask = new byte[4];
        RANDOM.nextBytes(mask);
        frame.write(mask, 0, 4);
        byte[] masked = new byte[len];
        for (int i = 0; i < len; i++) {
            masked[i] = (byte) (payload[i] ^ mask[i & 3]);
        }
        frame.write(masked, 0, len);
        synchronized (writeLock) {
            out.write(frame.toByteArray());
            out.flush();
            lastSentNanos = System.nanoTime();
            framesSent.incrementAndGet();
        }
    }

    /**
     * For a NEVER_READ client, after the experiment: reads (and discards) whatever the server managed to send,
     * until a close frame and the end of stream or until nothing arrives for {@code quiet}.
     */
    public Drained drain(Duration quiet) throws IOException {
        if (mode != Mode.NEVER_READ) {
            throw new IllegalStateException("only a NEVER_READ client can be drained");
        }
        socket.setSoTimeout((int) quiet.toMillis());
        long[] bytes = {0};
        int textFrames = 0;
        int pingFrames = 0;
        Close close = null;
        boolean ended = false;
        CountingInput counting = new CountingInput(in, bytes);
        try {
            for (;;) {
                Frame f = readFrame(counting);
                if (f == null) {
                    ended = true;
                    break;
                }
                switch (f.opcode) {
                    case 0x1, 0x0 -> textFrames++;
                    case 0x9 -> pingFrames++;
                    case 0x8 -> close = closeOf(f.payload);
                    default -> {
                    }
                }
            }
        } catch (SocketTimeoutException e) {
            // nothing more arrived: the server neither sent more nor ended the connection
        } catch (IOException e) {
            ended = true; // reset
        }
        return new Drained(bytes[0], textFrames, pingFrames, close, ended);
    }

    /** Ends the connection at once, without a closing handshake. */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    /** Resets the connection (RST: SO_LINGER 0), as a client process that dies or a middlebox that gives up does. */
    public void reset() {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    /** Sends a close frame (if none was sent yet) and waits briefly for the server's, then closes the socket. */
    public void closeGracefully() {
        try {
            if (!closeSent && !closed.isDone() && mode != Mode.NEVER_READ) {
                sendClose(1000, "bye");
                closed.get(2, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            // closing anyway
        } finally {
            close();
        }
    }

    private void startReader() {
        reader = new Thread(this::readLoop, "raw-ws-" + socket.getLocalPort());
        reader.setDaemon(true);
        reader.start();
    }

    private void readLoop() {
        ByteArrayOutputStream message = null;
        try {
            for (;;) {
                Frame f = readFrame(in);
                long now = System.nanoTime();
                if (f == null) {
                    eof.complete(now);
                    closed.complete(new Close(1006, "end of stream", false, now));
                    return;
                }
                switch (f.opcode) {
                    case 0x1 -> {
                        if (f.fin) {
                            texts.add(new String(f.payload, StandardCharsets.UTF_8));
                        } else {
                            message = new ByteArrayOutputStream();
                            message.write(f.payload);
                        }
                    }
                    case 0x0 -> {
                        if (message != null) {
                            message.write(f.payload);
                            if (f.fin) {
                                texts.add(message.toString(StandardCharsets.UTF_8));
                                message = null;
                            }
                        }
                    }
                    case 0x9 -> {
                        synchronized (pings) {
                            pings.add(now);
                        }
                        if (mode == Mode.ANSWER_PINGS && !closeSent && !mute) {
                            try {
                                sendPong(f.payload);
                                onPongSent.accept(System.currentTimeMillis());
                            } catch (IOException e) {
                                // the server may have closed already (e.g. while this process was stopped): keep
                                // reading, its close frame may still be waiting in the receive buffer
                            }
                        }
                    }
                    case 0x8 -> {
                        Close close = closeOf(f.payload);
                        closed.complete(new Close(close.code(), close.reason(), true, now));
                        if (!closeSent) {
                            try {
                                // RFC 6455 5.5.1: answer with a close frame (echoing the code)
                                sendClose(close.code() == 1005 ? 1000 : close.code(), "");
                            } catch (IOException e) {
                                // the server may already be gone
                            }
                        }
                    }
                    default -> {
                        // pong (0xA) or binary: nothing to do
                    }
                }
            }
        } catch (IOException e) {
            long now = System.nanoTime();
            eof.complete(now);
            closed.complete(new Close(1006, String.valueOf(e), false, now));
        }
    }

    private record Frame(boolean fin, int opcode, byte[] payload) {
    }

    /** One frame, or null at the end of the stream before a frame starts. */
    private static Frame readFrame(InputStream in) throws IOException {
        int b0 = in.read();
        if (b0 < 0) {
            return null;
        }
        int b1 = readByte(in);
        long len = b1 & 0x7F;
        if (len == 126) {
            len = ((long) readByte(in) << 8) | readByte(in);
        } else if (len == 127) {
            len = 0;
            for (int i = 0; i < 8; i++) {
                len = (len << 8) | readByte(in);
            }
        }
        if (len > Integer.MAX_VALUE - 8) {
            throw new IOException("frame too large: " + len);
        }
        byte[] mask = null;
        if ((b1 & 0x80) != 0) { // servers must not mask, but tolerate it
            mask = in.readNBytes(4);
        }
        byte[] payload = in.readNBytes((int) len);
        if (payload.length < len) {
            throw new EOFException("end of stream inside a frame");
        }
        if (mask != null) {
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i & 3];
            }
        }
        return new Frame((b0 & 0x80) != 0, b0 & 0x0F, payload);
    }

    private static int readByte(InputStream in) throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException("end of stream inside a frame header");
        }
        return b;
    }

    private static Close closeOf(byte[] payload) {
        if (payload.length < 2) {
            return new Close(1005, "", true, System.nanoTime());
        }
        int code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        return new Close(code, new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8), true,
                System.nanoTime());
    }

    private static String readHeaders(InputStream in) throws IOException {
        ByteArrayOutputStream headers = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read(); // byte by byte: nothing after the headers may be consumed here
            if (b < 0) {
                throw new EOFException("connection closed during the handshake: " + headers);
            }
            headers.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (headers.size() > 16_384) {
                throw new IOException("handshake answer too long");
            }
        }
        return headers.toString(StandardCharsets.ISO_8859_1);
    }

    private static String accept(String key) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            return Base64.getEncoder().encodeToString(
                    sha1.digest((key + GUID).getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class CountingInput extends InputStream {
        private final InputStream in;
        private final long[] count;

        CountingInput(InputStream in, long[] count) {
            this.in = in;
            this.count = count;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count[0]++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                count[0] += n;
            }
            return n;
        }
    }

    @Override
    public String toString() {
        return "RawWebSocket[" + mode.name().toLowerCase(Locale.ROOT) + ", local port " + socket.getLocalPort() + "]";
    }
}
