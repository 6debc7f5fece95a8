package io.sparkbert.jobs;

import io.sparkbert.pipeline.glove.GloveVectors;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Prints the nearest neighbours of a word in a GloVe text vectors file. */
@Command(name = "neighbors", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Print the K words whose vectors are most similar (cosine) to the vector of a word, from a "
                + "vectors file in GloVe's text format (as written by glove). No Spark.")
final class NeighborsCommand implements Callable<Integer> {
    @Option(names = "--vectors", required = true, paramLabel = "FILE",
            description = "Text vectors: one \"word v1 ... vd\" line per word.")
    String vectors;

    @Option(names = "--word", required = true, paramLabel = "W", description = "The word to find neighbours of.")
    String word;

    @Option(names = "--k", paramLabel = "K", description = "How many neighbours to print.")
    int k;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        if (k < 1) {
            throw new IllegalArgumentException("--k must be positive, got " + k);
        }
        GloveVectors table = GloveVectors.read(VocabCommand.qualify(vectors), new Configuration());
        List<GloveVectors.Neighbor> nearest = table.nearest(word, k);
        System.out.printf(Locale.ROOT, "%d nearest neighbours of \"%s\" (cosine similarity; %,d words of %d "
                + "dimensions in %s):%n", nearest.size(), word, table.size(), table.dim(), vectors);
        int width = nearest.stream().mapToInt(n -> n.word().length()).max().orElse(0);
        for (int rank = 0; rank < nearest.size(); rank++) {
            GloveVectors.Neighbor n = nearest.get(rank);
            System.out.printf(Locale.ROOT, "%3d  %-" + Math.max(1, width) + "s  %.6f%n", rank + 1, n.word(),
                    n.similarity());
        }
        return 0;
    }
}
