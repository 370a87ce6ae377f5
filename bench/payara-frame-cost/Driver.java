import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load for the reproducer: opens N WebSockets to one URL, then sends each a Ping every interval (spread evenly over
 * the interval) and counts the Pongs. Measures the server's CPU from /proc/PID/stat: first a baseline window with the
 * connections open and no Pings, then (after a warm-up) a window with Pings.
 *
 *   java Driver.java --url ws://127.0.0.1:8080/echo/echo?idle=0 --pid 1234 [--clients 2000] [--interval-ms 1000]
 *        [--baseline-s 4] [--warmup-s 6] [--measure-s 15] [--label x]
 *
 * Prints one tab-separated line: label, clients open, Pings sent in the window, Pongs received in it, server CPU s in
 * the window, server CPU s/s at baseline, server CPU ms per 1,000 Pings net of the baseline, driver CPU s.
 * Plain JDK 17 (java.net.http); nothing else.
 */
public class Driver {
    static final AtomicLong pongs = new AtomicLong(), closed = new AtomicLong(), errors = new AtomicLong();

    public static void main(String[] a) throws Exception {
        String url = null, label = "run";
        long pid = -1;
        int clients = 2000, intervalMs = 1000, baselineS = 4, warmupS = 6, measureS = 15;
        for (int i = 0; i < a.length; i += 2) {
            switch (a[i]) {
                case "--url" -> url = a[i + 1];
                case "--pid" -> pid = Long.parseLong(a[i + 1]);
                case "--clients" -> clients = Integer.parseInt(a[i + 1]);
                case "--interval-ms" -> intervalMs = Integer.parseInt(a[i + 1]);
                case "--baseline-s" -> baselineS = Integer.parseInt(a[i + 1]);
                case "--warmup-s" -> warmupS = Integer.parseInt(a[i + 1]);
                case "--measure-s" -> measureS = Integer.parseInt(a[i + 1]);
                case "--label" -> label = a[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + a[i]);
            }
        }
        if (url == null || pid < 0) throw new IllegalArgumentException("--url and --pid are required");

        HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(2)).build();
        WebSocket.Listener listener = new WebSocket.Listener() {
            @Override public void onOpen(WebSocket ws) { ws.request(Long.MAX_VALUE); }
            @Override public CompletionStage<?> onPong(WebSocket ws, ByteBuffer m) { pongs.incrementAndGet(); return null; }
            @Override public CompletionStage<?> onClose(WebSocket ws, int code, String r) { closed.incrementAndGet(); return null; }
            @Override public void onError(WebSocket ws, Throwable e) { errors.incrementAndGet(); }
        };
        ConcurrentLinkedQueue<WebSocket> open = new ConcurrentLinkedQueue<>();
        Semaphore inFlight = new Semaphore(50);
        long t0 = System.nanoTime();
        for (int i = 0; i < clients; i++) {
            inFlight.acquire();
            http.newWebSocketBuilder().buildAsync(URI.create(url), listener).whenComplete((ws, e) -> {
                if (ws != null) open.add(ws); else errors.incrementAndGet();
                inFlight.release();
            });
        }
        inFlight.acquire(50);
        List<WebSocket> all = new ArrayList<>(open);
        System.err.printf("%s: %d open in %.1f s (%d failed)%n", label, all.size(), (System.nanoTime() - t0) / 1e9,
            errors.get());
        if (all.isEmpty()) System.exit(1);

        Thread.sleep(2000); // let the handshakes' work settle
        double base0 = cpu(pid);
        Thread.sleep(baselineS * 1000L);
        double baseline = (cpu(pid) - base0) / baselineS;

        // Pings: every 10 ms the next slice of the connections, so each gets one per interval
        ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor();
        AtomicLong sent = new AtomicLong(), busy = new AtomicLong();
        int perTick = Math.max(1, (int) Math.round(all.size() * 10.0 / intervalMs));
        int[] next = {0};
        ByteBuffer payload = ByteBuffer.wrap(new byte[] {1, 2, 3, 4});
        pinger.scheduleAtFixedRate(() -> {
            for (int k = 0; k < perTick; k++) {
                WebSocket ws = all.get(next[0]);
                next[0] = (next[0] + 1) % all.size();
                try {
                    ws.sendPing(payload.duplicate());
                    sent.incrementAndGet();
                } catch (IllegalStateException e) { // the previous Ping to it is still being sent
                    busy.incrementAndGet();
                }
            }
        }, 0, 10, TimeUnit.MILLISECONDS);
        Thread.sleep(warmupS * 1000L);

        long s0 = sent.get(), p0 = pongs.get();
        double c0 = cpu(pid), d0 = selfCpu();
        Thread.sleep(measureS * 1000L);
        double c1 = cpu(pid), d1 = selfCpu();
        long s1 = sent.get(), p1 = pongs.get();
        pinger.shutdownNow();

        double cpuWindow = c1 - c0;
        long pongsWindow = p1 - p0;
        double netMsPer1000 = (cpuWindow - baseline * measureS) * 1000 / (pongsWindow / 1000.0);
        System.out.printf("%s\t%d\t%d\t%d\t%.2f\t%.3f\t%.1f\t%.2f%n", label, all.size(), s1 - s0, pongsWindow,
            cpuWindow, baseline, netMsPer1000, d1 - d0);
        if (closed.get() > 0 || busy.get() > 0)
            System.err.printf("%s: %d closed by the server, %d Pings skipped (previous one still being sent)%n", label,
                closed.get(), busy.get());

        for (WebSocket ws : all) ws.sendClose(WebSocket.NORMAL_CLOSURE, "");
        Thread.sleep(1500);
        for (WebSocket ws : all) ws.abort();
        System.exit(0);
    }

    /** CPU seconds (user + system) of a process: fields 14 and 15 of /proc/PID/stat, in clock ticks (100 a second). */
    static double cpu(long pid) throws Exception {
        String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }

    static double selfCpu() throws Exception {
        return cpu(ProcessHandle.current().pid());
    }
}
