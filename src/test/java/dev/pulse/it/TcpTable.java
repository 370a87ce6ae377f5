package dev.pulse.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The kernel's view of loopback TCP sockets (Linux {@code /proc/net/tcp} and {@code tcp6}): lets a test see
 * whether the server's end of a connection is still open, and how much it has queued, without reading from it.
 */
final class TcpTable {

    /** One socket: ports, state name (as {@code ss} prints it) and queued bytes. */
    record Entry(int localPort, int remotePort, String state, long txQueue, long rxQueue) {
        @Override
        public String toString() {
            return state + " send-q=" + txQueue + " recv-q=" + rxQueue;
        }
    }

    private static final String[] STATES = {"?", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
        "TIME-WAIT", "CLOSE", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING"};

    private TcpTable() {
    }

    static boolean available() {
        return Files.isReadable(Path.of("/proc/net/tcp"));
    }

    static List<Entry> entries() {
        List<Entry> all = new ArrayList<>();
        for (String file : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            try {
                List<String> lines = Files.readAllLines(Path.of(file));
                for (int i = 1; i < lines.size(); i++) {
                    String[] f = lines.get(i).trim().split("\\s+");
                    if (f.length < 5) {
                        continue;
                    }
                    int local = Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1), 16);
                    int remote = Integer.parseInt(f[2].substring(f[2].lastIndexOf(':') + 1), 16);
                    int st = Integer.parseInt(f[3], 16);
                    String[] q = f[4].split(":");
                    all.add(new Entry(local, remote, st < STATES.length ? STATES[st] : "st" + st,
                            Long.parseLong(q[0], 16), Long.parseLong(q[1], 16)));
                }
            } catch (IOException | RuntimeException e) {
                // not Linux, or the file changed under us: treat as unknown
            }
        }
        return all;
    }

    /** The server's end of the connection whose client uses {@code clientPort}; empty once the server closed it. */
    static Optional<Entry> serverSide(int serverPort, int clientPort) {
        return entries().stream().filter(e -> e.localPort() == serverPort && e.remotePort() == clientPort)
                .filter(e -> !e.state().equals("TIME-WAIT")).findFirst();
    }

    /** The client's end of that connection. */
    static Optional<Entry> clientSide(int serverPort, int clientPort) {
        return entries().stream().filter(e -> e.localPort() == clientPort && e.remotePort() == serverPort)
                .findFirst();
    }
}
