package io.sparkbert.pipeline.util;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The small local-filesystem chores every module needs, done one way: deleting a directory tree, and writing a
 * file so that it appears complete or not at all (bytes to a hidden temporary sibling, then an atomic rename).
 * The Hadoop-filesystem counterparts for job outputs are {@link AtomicOutput} and {@link AtomicDirectory}; the
 * temporary siblings here are named like theirs ({@code .NAME.tmp-UUID}), so {@link OutputLock} recognises the
 * ones a killed run left.
 */
public final class LocalFiles {
    /** Writes the content of a file. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private LocalFiles() {
    }

    /** A new hidden sibling path of {@code target} for staging it: {@code .NAME.tmp-UUID} (not created). */
    public static Path temporarySibling(Path target) {
        return target.resolveSibling("." + target.getFileName() + ".tmp-" + UUID.randomUUID());
    }

    /**
     * Writes {@code file} so that readers see its old content or the new one, never a part: the content goes to a
     * {@linkplain #temporarySibling temporary sibling}, which then replaces {@code file} by an atomic rename. On
     * failure the temporary file is removed and {@code file} is left as it was.
     */
    public static void writeAtomically(Path file, Content content) throws IOException {
        Path temporary = temporarySibling(file);
        try {
            try (OutputStream out = Files.newOutputStream(temporary)) {
                content.writeTo(out);
            }
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (Throwable e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** {@link #writeAtomically(Path, Content)} of the given bytes. */
    public static void writeAtomically(Path file, byte[] content) throws IOException {
        writeAtomically(file, out -> out.write(content));
    }

    /**
     * Deletes {@code root} and everything below it, deepest first; a missing {@code root} is nothing to do.
     * Symbolic links are deleted, not followed. The first file that cannot be deleted fails the call.
     */
    public static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path path : paths) {
            Files.deleteIfExists(path);
        }
    }
}
