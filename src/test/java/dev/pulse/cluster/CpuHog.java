package dev.pulse.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Busy loops pinned with {@code taskset} to one CPU, to take that CPU from a server pinned to it as well: the server
 * is saturated while the rest of the (shared) machine is not touched. Every loop is a process registered with
 * {@link Procs}, so a failed or aborted test kills it too; {@link #close} kills them all and waits until they are gone.
 */
final class CpuHog implements AutoCloseable {

    private final List<Process> loops = new ArrayList<>();
    private final int cpu;

    private CpuHog(int cpu) {
        this.cpu = cpu;
    }

    /** Whether {@code taskset} (util-linux) is there. */
    static boolean available() {
        return Files.isExecutable(Path.of("/usr/bin/taskset")) || Files.isExecutable(Path.of("/bin/taskset"));
    }

    /** The highest CPU this process may run on (the one the test pins the server and the loops to). */
    static int lastCpu() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("taskset", "-cp", Long.toString(ProcessHandle.current().pid()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        p.waitFor();
        String list = out.substring(out.lastIndexOf(':') + 1).trim(); // "pid 123's current affinity list: 0-3,5"
        Set<Integer> cpus = new TreeSet<>();
        for (String part : list.split(",")) {
            String[] range = part.trim().split("-");
            int from = Integer.parseInt(range[0]);
            int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
            for (int c = from; c <= to; c++) {
                cpus.add(c);
            }
        }
        return ((TreeSet<Integer>) cpus).last();
    }

    /** Starts {@code count} busy loops on {@code cpu}. */
    static CpuHog start(int cpu, int count) throws IOException {
        CpuHog hog = new CpuHog(cpu);
        try {
            for (int i = 0; i < count; i++) {
                hog.add();
            }
        } catch (IOException | RuntimeException e) {
            hog.close();
            throw e;
        }
        return hog;
    }

    /** One more loop. */
    synchronized void add() throws IOException {
        loops.add(Procs.start(new ProcessBuilder("taskset", "-c", Integer.toString(cpu), "sh", "-c",
                "while :; do :; done").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)));
    }

    /** One loop fewer (never below one). */
    synchronized void remove() throws InterruptedException {
        if (loops.size() > 1) {
            Process p = loops.remove(loops.size() - 1);
            p.destroyForcibly();
            p.waitFor();
        }
    }

    synchronized int size() {
        return loops.size();
    }

    /** SIGKILL to every loop; returns once all are gone. */
    @Override
    public synchronized void close() {
        for (Process p : loops) {
            p.destroyForcibly();
        }
        for (Process p : loops) {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        loops.clear();
    }
}
