package io.sparkbert.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The public-domain corpus committed under data/corpus, found from any module's working directory. */
public final class TestData {
    private TestData() {
    }

    public static Path corpusDir() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path corpus = dir.resolve("data").resolve("corpus");
            if (Files.isDirectory(corpus)) {
                return corpus;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("data/corpus not found above " + Path.of("").toAbsolutePath());
    }

    /** Every .txt file of the corpus, in name order. */
    public static List<Path> corpusFiles() {
        try (Stream<Path> files = Files.walk(corpusDir())) {
            return files.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every line of every corpus file. */
    public static List<String> corpusLines() {
        List<String> lines = new ArrayList<>();
        for (Path file : corpusFiles()) {
            try {
                lines.addAll(Files.readAllLines(file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return lines;
    }
}
