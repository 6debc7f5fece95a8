package io.sparkbert.pipeline.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recursive delete and write-aside-then-rename on a real local directory. */
class LocalFilesTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesReplacesAndLeavesNoTemporary() throws IOException {
        Path file = dir.resolve("state.json");
        LocalFiles.writeAtomically(file, "first".getBytes(StandardCharsets.UTF_8));
        LocalFiles.writeAtomically(file, out -> out.write("second, longer".getBytes(StandardCharsets.UTF_8)));
        assertArrayEquals("second, longer".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(file));
        assertEquals(List.of("state.json"), names());
    }

    @Test
    void aFailedWriteKeepsTheOldContentAndRemovesItsTemporary() throws IOException {
        Path file = Files.writeString(dir.resolve("latest"), "step-000010\n");
        IOException thrown = assertThrows(IOException.class, () -> LocalFiles.writeAtomically(file, out -> {
            out.write("step-0000".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk full");
        }));
        assertEquals("disk full", thrown.getMessage());
        assertEquals("step-000010\n", Files.readString(file));
        assertEquals(List.of("latest"), names());
    }

    @Test
    void theTemporaryIsAHiddenSiblingThatOutputLockRecognises() {
        Path target = dir.resolve("out");
        Path temporary = LocalFiles.temporarySibling(target);
        assertEquals(dir, temporary.getParent());
        assertTrue(temporary.getFileName().toString().startsWith(".out.tmp-"), temporary.toString());
        assertFalse(temporary.equals(LocalFiles.temporarySibling(target)), "a new name each time");
    }

    @Test
    void deletesATreeAndToleratesAMissingOne() throws IOException {
        Path root = Files.createDirectories(dir.resolve("run/checkpoints/step-000001"));
        Files.writeString(root.resolve("model.zip"), "x");
        Files.writeString(dir.resolve("run/metrics.jsonl"), "{}\n");
        Path keep = Files.writeString(dir.resolve("run-sibling"), "kept");
        LocalFiles.deleteRecursively(dir.resolve("run"));
        assertEquals(List.of("run-sibling"), names());
        LocalFiles.deleteRecursively(dir.resolve("run"));
        LocalFiles.deleteRecursively(keep);
        assertEquals(List.of(), names());
    }

    @Test
    void deletesALinkNotWhatItPointsTo() throws IOException {
        Path target = Files.createDirectories(dir.resolve("elsewhere"));
        Files.writeString(target.resolve("precious"), "kept");
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.createSymbolicLink(tree.resolve("link"), target);
        LocalFiles.deleteRecursively(tree);
        assertFalse(Files.exists(tree));
        assertEquals("kept", Files.readString(target.resolve("precious")));
    }
}
