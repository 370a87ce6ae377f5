package dev.pulse.browser;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A WebSocket peer that completes the handshake and then never reads nor answers a Ping: what the server sees of a
 * client behind a dead link. The server must evict it (close 4000, counted in {@code evictions.heartbeat}).
 */
final class SilentPeer implements AutoCloseable {

    private final Socket socket;

    private SilentPeer(Socket socket) {
        this.socket = socket;
    }

    /** Connects to {@code ws} (a ws: URI, query included) and returns once the server answered 101. */
    static SilentPeer connect(URI ws) throws IOException {
        Socket socket = new Socket(ws.getHost(), ws.getPort());
        socket.setSoTimeout(10_000);
        byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        String path = ws.getRawPath() + (ws.getRawQuery() == null ? "" : "?" + ws.getRawQuery());
        String request = "GET " + path + " HTTP/1.1\r\n"
                + "Host: " + ws.getHost() + ":" + ws.getPort() + "\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                socket.close();
                throw new IOException("connection closed during the handshake: " + head);
            }
            head.write(b);
        }
        String status = head.toString(StandardCharsets.ISO_8859_1).lines().findFirst().orElse("");
        if (!status.contains(" 101 ")) {
            socket.close();
            throw new IOException("handshake refused: " + status);
        }
        return new SilentPeer(socket); // and from now on: silence
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
