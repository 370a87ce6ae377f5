package dev.pulse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The structure a new engineer can rely on: no cycles between packages (read by the JDK's jdeps from the
 * compiled classes), no static mutable state in production code, no oversized classes.
 */
class ArchitectureTest {

    private static final Path CLASSES = Path.of("target/classes");
    private static final Path SOURCES = Path.of("src/main/java");

    @Test
    void packagesDependOnEachOtherWithoutCycles() {
        Map<String, Set<String>> graph = packageGraph();
        assertTrue(graph.size() > 10, "jdeps read the packages: " + graph.keySet());
        List<String> cycles = new ArrayList<>();
        for (String start : graph.keySet()) {
            for (String next : graph.get(start)) {
                if (reaches(graph, next, start)) {
                    cycles.add(start + " -> " + next);
                }
            }
        }
        assertEquals(List.of(), cycles, "package dependencies that are part of a cycle");
    }

    @Test
    void noStaticMutableStateInProductionCode() throws Exception {
        List<String> found = new ArrayList<>();
        for (String name : classNames()) {
            Class<?> type = Class.forName(name, false, getClass().getClassLoader());
            for (Field field : type.getDeclaredFields()) {
                int m = field.getModifiers();
                if (Modifier.isStatic(m) && !field.isSynthetic() && !field.isEnumConstant() && !Modifier.isFinal(m)) {
                    found.add(name + "." + field.getName());
                }
            }
        }
        assertEquals(List.of(), found, "static fields that are not final");
    }

    @Test
    void classesStaySmall() throws IOException {
        List<String> large = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                long lines = Files.lines(file).count();
                if (lines > 250) {
                    large.add(file + ": " + lines);
                }
            }
        }
        assertEquals(List.of(), large, "source files over 250 lines");
    }

    private static boolean reaches(Map<String, Set<String>> graph, String from, String to) {
        Deque<String> todo = new ArrayDeque<>(List.of(from));
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            String next = todo.pop();
            if (next.equals(to)) {
                return true;
            }
            if (seen.add(next)) {
                todo.addAll(graph.getOrDefault(next, Set.of()));
            }
        }
        return false;
    }

    private static Map<String, Set<String>> packageGraph() {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        jdeps.run(new PrintStream(out, true, StandardCharsets.UTF_8), System.err, "-verbose:package",
                CLASSES.toString());
        Map<String, Set<String>> graph = new HashMap<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length >= 3 && parts[1].equals("->") && parts[0].startsWith("dev.pulse")
                    && parts[2].startsWith("dev.pulse") && !parts[0].equals(parts[2])) {
                graph.computeIfAbsent(parts[0], k -> new TreeSet<>()).add(parts[2]);
                graph.computeIfAbsent(parts[2], k -> new TreeSet<>());
            }
        }
        return graph;
    }

    private static List<String> classNames() throws IOException {
        try (Stream<Path> files = Files.walk(CLASSES)) {
            return files.filter(f -> f.toString().endsWith(".class"))
                    .map(f -> CLASSES.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", ""))
                    .toList();
        }
    }
}
