package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A test's main class run in a JVM of its own, with this JVM's class path, for what one JVM cannot show twice. */
public final class ChildJvm {

    private ChildJvm() {
    }

    /**
     * Runs {@code main} with the module openings Spark needs on Java 17 (as the build passes them to tests),
     * JavaCPP's cache, a heap of {@code heap}, {@code options}, and the environment changed by {@code env} (a null
     * value removes a variable); fails the test unless it exits 0 within five minutes, and returns its output.
     */
    public static String run(Class<?> main, String heap, List<String> options, Map<String, String> env)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        String opens = System.getProperty("sparkbert.java17.opens", "");
        if (!opens.isBlank()) {
            command.addAll(Arrays.asList(opens.trim().split("\\s+")));
        }
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) {
            command.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        }
        command.add("-Xmx" + heap);
        command.addAll(options);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        env.forEach((name, value) -> {
            if (value == null) {
                builder.environment().remove(name);
            } else {
                builder.environment().put(name, value);
            }
        });
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), main.getSimpleName() + " did not end");
        assertEquals(0, process.exitValue(), out);
        return out;
    }
}
