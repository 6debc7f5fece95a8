package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cooccur -> glove -> neighbors on real text, as a user runs them. */
class GloveCommandTest {
    @TempDir
    Path dir;

    @Test
    void vectorsFromTheKjvHaveFallingCostAndSensibleNeighbours() throws Exception {
        Path cooc = dir.resolve("cooc");
        assertEquals(0, Cli.run("cooccur", "--input", ProjectFiles.corpus().resolve("kjv").toString(), "--output",
                cooc.toString(), "--master", "local[2]", "--window", "10").exitCode());
        Path vectors = dir.resolve("vectors.txt");
        Cli.Result trained = Cli.run("glove", "--cooccur", cooc.toString(), "--output", vectors.toString(),
                "--dim", "30", "--iterations", "12", "--master", "local[2]");
        assertEquals(0, trained.exitCode(), trained.err());

        List<Double> costs = new ArrayList<>();
        Matcher m = Pattern.compile("iter: (\\d+), cost: ([0-9.]+)").matcher(trained.out() + trained.err());
        while (m.find()) {
            costs.add(Double.parseDouble(m.group(2)));
        }
        assertEquals(12, costs.size(), trained.out() + trained.err());
        for (int i = 1; i < costs.size(); i++) {
            assertTrue(costs.get(i) < costs.get(i - 1), "cost rose at iteration " + (i + 1) + ": " + costs);
        }

        List<String> vocab = Files.readAllLines(cooc.resolve("vocab.txt"), StandardCharsets.ISO_8859_1);
        List<String> lines = Files.readAllLines(vectors, StandardCharsets.ISO_8859_1);
        assertEquals(vocab.size(), lines.size());
        for (int i = 0; i < vocab.size(); i += 500) {
            String[] fields = lines.get(i).split(" ");
            assertEquals(31, fields.length);
            assertEquals(vocab.get(i).substring(0, vocab.get(i).lastIndexOf(' ')), fields[0]);
        }
        // glove.c's binary layout: W with biases, then W~ with biases, doubles
        assertEquals(16L * vocab.size() * 31, Files.size(Path.of(vectors + ".bin")));

        Cli.Result neighbours = Cli.run("neighbors", "--vectors", vectors.toString(), "--word", "Moses", "--k", "5");
        assertEquals(0, neighbours.exitCode(), neighbours.err());
        Set<String> patriarchs = Set.of("Aaron", "Joseph", "Jacob", "Abraham", "Pharaoh", "Isaac", "Jesus", "David");
        assertTrue(patriarchs.stream().anyMatch(neighbours.out()::contains),
                "Moses' neighbours should include a person of the text:\n" + neighbours.out());
        System.out.println("costs " + costs + "\n" + neighbours.out());

        Cli.Result unknown = Cli.run("neighbors", "--vectors", vectors.toString(), "--word", "computer");
        assertEquals(2, unknown.exitCode());
    }
}
