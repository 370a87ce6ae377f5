package dev.pulse.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pulse.it.RawWebSocket;
import dev.pulse.it.RawWebSocket.Close;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * One Payara Micro node whose CPU is taken by busy loops (pinned with taskset to the CPU the node is pinned to, the
 * node started with a lower priority; loops are added until the node is behind by more than the heartbeat timeout),
 * while 500 clients answer every Ping and 20 stop answering during the overload.
 * The node must evict the 20 and nobody else, within interval + timeout + tick + the lag it reports (+ the time its
 * last Pong waited in the node), refuse new handshakes with 1013 and a retry-after while it is behind, say so on
 * readiness, and take clients again once the loops are gone. Heartbeat 1 s / 2 s; lag allowance 8 s.
 */
@EnabledIfSystemProperty(named = "it.container", matches = "payara.*") // its own Payara node: once per mvn verify
@DisabledIfSystemProperty(named = "it.overload", matches = "false") // -Dit.overload=false skips its minute
class OverloadIT {

    static final int HEALTHY = Integer.getInteger("overload.healthy", 500);
    static final int SILENT = 20;
    static final long INTERVAL = 1000;
    static final long TIMEOUT = 2000;
    static final long TICK = 1000;
    static final long ALLOWANCE = Long.getLong("overload.allowance", 8000);
    static final long MAX_LAG = 400; // low, so that the starved node surely sheds; the default is 1500
    static final long RETRY_AFTER = 1000;
    static final long RETRY_JITTER = 2000;
    /** Delivery of the close, the client JVM's own scheduling on a busy machine. */
    static final long SLACK = 1500;
    static final Duration OVERLOAD = Duration.ofSeconds(Long.getLong("overload.seconds", 25));
    static final int LOOPS = Integer.getInteger("overload.loops", 2);
    /** The lag the busy loops are steered to: more than the timeout, so that without the allowance peers would go. */
    static final long TARGET_LAG = 2500;
    static final int NICE = Integer.getInteger("overload.nice", 10);
    private static final Pattern RETRY = Pattern.compile("retry-after=(\\d+)");

    @Test
    void aStarvedNodeEvictsOnlyTheSilentShedsNewHandshakesAndRecovers() throws Exception {
        assumeTrue(CpuHog.available(), "taskset (util-linux) is needed to pin the node and the busy loops");
        int cpu = CpuHog.lastCpu();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PULSE_HEARTBEAT_INTERVAL", Long.toString(INTERVAL));
        env.put("PULSE_HEARTBEAT_TIMEOUT", Long.toString(TIMEOUT));
        env.put("PULSE_HEARTBEAT_LAG_ALLOWANCE", Long.toString(ALLOWANCE));
        env.put("PULSE_ADMISSION_MAX_LAG", Long.toString(MAX_LAG));
        env.put("PULSE_ADMISSION_RETRY_AFTER", Long.toString(RETRY_AFTER));
        env.put("PULSE_ADMISSION_RETRY_JITTER", Long.toString(RETRY_JITTER));
        List<RawWebSocket> healthy = new ArrayList<>();
        List<RawWebSocket> silent = new ArrayList<>();
        Map<RawWebSocket, AtomicLong> lastPong = new java.util.HashMap<>();
        try (Fleet fleet = Fleet.create("overload"); Stalls stalls = Stalls.watch()) {
            PayaraNode node = PayaraNode.start("overload", fleet.dir.resolve("node"), fleet.war, env,
                    List.of("taskset", "-c", Integer.toString(cpu), "nice", "-n", Integer.toString(NICE)));
            fleet.adopt(node);
            node.awaitReady(Duration.ofSeconds(300));
            try {
                long connectStart = System.nanoTime();
                for (int i = 0; i < HEALTHY + SILENT; i++) {
                    RawWebSocket ws = admitted(node);
                    (i < HEALTHY ? healthy : silent).add(ws);
                    AtomicLong last = new AtomicLong(System.nanoTime());
                    lastPong.put(ws, last);
                    ws.onPongSent(epochMillis -> last.set(System.nanoTime()));
                }
                Procs.report("overload: " + (HEALTHY + SILENT) + " clients connected in "
                        + Procs.millisSince(connectStart) + " ms, all answering Pings, node pinned to CPU " + cpu);
                Watch quiet = new Watch(node);
                long quietStart = System.nanoTime();
                while (Procs.millisSince(quietStart) < 5000) {
                    quiet.look();
                }
                JsonObject before = node.stats();
                Procs.report("overload: before the loops, " + (HEALTHY + SILENT) + " clients: lag.ms at most "
                        + quiet.mostRecentLagMs + " ms over " + quiet.looks + " looks; " + before.getJsonObject("lag"));
                assertEquals(0, closed(healthy) + closed(silent), "nobody closed before the overload: " + before);

                Watch watch = new Watch(node);
                long hogStart;
                try (CpuHog hog = CpuHog.start(cpu, LOOPS)) {
                    hogStart = System.nanoTime();
                    Procs.report("overload: " + LOOPS + " busy loops on CPU " + cpu + " (node at nice " + NICE + ")");
                    while (Procs.millisSince(hogStart) < 5000) {
                        watch.look();
                        watch.steer(hog);
                    }
                    for (RawWebSocket ws : silent) {
                        ws.stopAnswering();
                    }
                    Procs.report("overload: " + SILENT + " clients stopped answering " + Procs.millisSince(hogStart)
                            + " ms into the overload");
                    while (Procs.millisSince(hogStart) < OVERLOAD.toMillis()) {
                        watch.look();
                        watch.steer(hog);
                        watch.handshake(node);
                    }
                    Procs.report("overload: busy loops at the end: " + hog.size() + ", most " + watch.mostLoops);
                }
                long hogEnd = System.nanoTime();
                Procs.report("overload: busy loops killed after " + Procs.millis(hogStart, hogEnd) + " ms");
                long recovered = -1;
                while (Procs.millisSince(hogEnd) < 60_000) {
                    watch.look();
                    if (watch.lastLagMs < MAX_LAG && node.ready() && watch.handshake(node)) {
                        recovered = Procs.millisSince(hogEnd);
                        break;
                    }
                }
                assertTrue(recovered >= 0, "the node takes clients again within 60 s of the loops' end: " + watch);

                long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                List<String> outside = new ArrayList<>();
                for (RawWebSocket ws : silent) {
                    try {
                        ws.closed().get(Math.max(1, waitUntil - System.nanoTime()), TimeUnit.NANOSECONDS);
                    } catch (TimeoutException e) {
                        outside.add("not closed: " + ws);
                    }
                }
                JsonObject stats = node.stats();
                long lagMs = Math.round(stats.getJsonObject("lag").getJsonNumber("maxMs").doubleValue());
                // the last Pong may have waited in the node up to its lag; then the deadline moved by the lag
                long bound = INTERVAL + TIMEOUT + TICK + Math.min(ALLOWANCE, lagMs) + lagMs + SLACK;
                List<Long> evictedAfter = new ArrayList<>();
                for (RawWebSocket ws : silent) {
                    Close close = ws.closed().getNow(null);
                    if (close != null) {
                        long after = Procs.millis(lastPong.get(ws).get(), close.atNanos());
                        evictedAfter.add(after);
                        if (close.code() != 4000 || after < TIMEOUT || after > bound) {
                            outside.add(close + " " + after + " ms after its last Pong (bound " + bound + ")");
                        }
                    }
                }
                Procs.report("overload: silent evicted after their last Pong: " + Procs.summary(evictedAfter));
                Procs.report("overload: " + watch);
                Procs.report("overload: recovered " + recovered + " ms after the loops ended; lag "
                        + stats.getJsonObject("lag") + ", admission " + stats.getJsonObject("admission")
                        + ", evictions " + stats.getJsonObject("evictions") + ", heartbeat "
                        + stats.getJsonObject("heartbeat"));
                // a healthy client closed while this JVM stalled for a second or more since its last Pong may have
                // left a Ping unanswered that long: that one is this machine's doing, not the node's
                List<String> blamed = new ArrayList<>();
                List<String> excused = new ArrayList<>();
                for (RawWebSocket ws : healthy) {
                    Close close = ws.closed().getNow(null);
                    if (close != null) {
                        long from = lastPong.get(ws).get();
                        long stalled = stalls.longestWithin(from, close.atNanos());
                        String what = close + " " + Procs.millis(from, close.atNanos()) + " ms after its last Pong, "
                                + "this JVM stalled up to " + stalled + " ms meanwhile";
                        (stalled >= 1000 ? excused : blamed).add(what);
                    }
                }
                Procs.report("overload: this JVM's stalls of 300 ms or more: " + stalls.count() + ", longest "
                        + stalls.longest() + " ms; healthy closed while it stalled: " + excused);
                assertEquals(List.of(), blamed, "healthy clients closed while this JVM kept up");
                assertEquals(List.of(), outside, "silent peers outside [timeout, extended bound]");
                assertTrue(watch.maxLagMs > MAX_LAG, "the busy loops starved the node: " + watch);
                assertTrue(watch.refused > 0, "handshakes refused with 1013 while shedding: " + watch);
                assertEquals(List.of(), watch.badRefusals, "1013 reasons");
                assertTrue(watch.notReady > 0, "readiness DOWN while shedding: " + watch);
            } finally {
                healthy.forEach(RawWebSocket::close);
                silent.forEach(RawWebSocket::close);
            }
        }
    }

    /** Connects until welcomed, honouring a 1013's retry-after as pulse.js does (the node may be busy already). */
    private static RawWebSocket admitted(PayaraNode node) throws IOException, InterruptedException {
        for (int attempt = 0; ; attempt++) {
            RawWebSocket ws = RawWebSocket.connect(node.ws, RawWebSocket.Mode.ANSWER_PINGS);
            String first = ws.nextText(Duration.ofSeconds(30));
            if (first != null && first.contains("\"welcome\"")) {
                return ws;
            }
            Close close = ws.closed().getNow(null);
            ws.close();
            Matcher m = close == null ? null : RETRY.matcher(close.reason());
            if (attempt > 20 || m == null || close.code() != 1013 || !m.matches()) {
                throw new IllegalStateException("not welcomed: " + first + ", close " + close);
            }
            Thread.sleep(Long.parseLong(m.group(1)));
        }
    }

    private static int closed(List<RawWebSocket> clients) {
        return (int) clients.stream().filter(RawWebSocket::isClosed).count();
    }

    /** What the test saw of the node while it was starved: its lag, readiness, and how handshakes were answered. */
    private static final class Watch {
        final PayaraNode node;
        long maxLagMs;
        long lastLagMs;
        long mostRecentLagMs;
        int looks;
        int notReady;
        int refused;
        int welcomed;
        int unanswered;
        final List<String> badRefusals = new ArrayList<>();
        private long nextHandshake;
        private long nextSteer;
        int mostLoops;

        /**
         * Keeps the node behind by more than the timeout but well within the allowance, whatever the machine: a
         * loop more while its lag is below {@link #TARGET_LAG}, one fewer above half the allowance, every 2 s.
         */
        void steer(CpuHog hog) throws IOException, InterruptedException {
            if (System.nanoTime() - nextSteer < 0) {
                return;
            }
            nextSteer = System.nanoTime() + 2_000_000_000L;
            if (lastLagMs < TARGET_LAG && hog.size() < 12) {
                hog.add();
            } else if (lastLagMs > ALLOWANCE / 2) {
                hog.remove();
            }
            mostLoops = Math.max(mostLoops, hog.size());
        }

        Watch(PayaraNode node) {
            this.node = node;
        }

        void look() throws InterruptedException {
            Http.Answer a = Http.get(node.http.resolve("api/stats"));
            if (a.status() == 200) {
                JsonObject lag = a.json().getJsonObject("lag");
                lastLagMs = Math.round(lag.getJsonNumber("ms").doubleValue());
                mostRecentLagMs = Math.max(mostRecentLagMs, lastLagMs);
                maxLagMs = Math.max(maxLagMs, Math.round(lag.getJsonNumber("maxMs").doubleValue()));
                looks++;
            }
            if (Http.get(node.http.resolve("health/ready")).status() == 503) {
                notReady++;
            }
            Thread.sleep(250);
        }

        /** A new client tries at most once a second; true when it was welcomed. */
        boolean handshake(PayaraNode node) throws InterruptedException {
            if (System.nanoTime() - nextHandshake < 0) {
                return false;
            }
            nextHandshake = System.nanoTime() + 1_000_000_000L;
            try (RawWebSocket ws = RawWebSocket.connect(node.ws, RawWebSocket.Mode.ANSWER_PINGS)) {
                String first = ws.nextText(Duration.ofSeconds(10));
                if (first != null && first.contains("\"welcome\"")) {
                    welcomed++;
                    ws.closeGracefully();
                    return true;
                }
                Close close = ws.closed().get(10, TimeUnit.SECONDS);
                Matcher m = RETRY.matcher(close.reason());
                if (close.code() == 1013 && m.matches()) {
                    long ms = Long.parseLong(m.group(1));
                    refused++;
                    if (ms < RETRY_AFTER || ms > RETRY_AFTER + RETRY_JITTER) {
                        badRefusals.add(close.toString());
                    }
                } else {
                    badRefusals.add(String.valueOf(close));
                }
            } catch (IOException | java.util.concurrent.ExecutionException | TimeoutException e) {
                unanswered++; // a starved node may not even finish the upgrade in time: not a wrong answer
            }
            return false;
        }

        @Override
        public String toString() {
            return "max lag " + maxLagMs + " ms over " + looks + " looks, readiness 503 " + notReady + " times, "
                    + "handshakes refused " + refused + ", welcomed " + welcomed + ", unanswered " + unanswered;
        }
    }
}
