package io.sparkbert.pipeline.glove;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Word vectors in GloVe's text format ("word v1 ... vd" per line; an optional first line "count dim",
 * as glove.c writes with {@code -write-header 1}, is skipped): the file reader every consumer uses (the
 * {@code neighbors} command, {@code pretrain --init-embeddings}), unit vectors by word, and cosine nearest
 * neighbours. The vectors are normalised once on load; a zero vector has similarity 0 to everything.
 */
public final class GloveVectors {
    /** A neighbour and its cosine similarity to the query. */
    public record Neighbor(String word, double similarity) {
    }

    private final List<String> words;
    private final Map<String, Integer> index;
    private final int dim;
    /** Unit vectors, row after row. */
    private final double[] unit;

    private GloveVectors(List<String> words, int dim, double[] vectors) {
        this.words = List.copyOf(words);
        this.dim = dim;
        this.index = new HashMap<>(words.size() * 2);
        for (int n = 0; n < words.size(); n++) {
            if (index.putIfAbsent(words.get(n), n) != null) {
                throw new IllegalArgumentException("word \"" + words.get(n) + "\" appears twice in the vectors");
            }
        }
        this.unit = vectors;
        for (int n = 0; n < words.size(); n++) {
            double norm = 0;
            for (int b = 0; b < dim; b++) {
                norm += vectors[n * dim + b] * vectors[n * dim + b];
            }
            norm = Math.sqrt(norm);
            for (int b = 0; b < dim; b++) {
                unit[n * dim + b] = norm > 0 ? vectors[n * dim + b] / norm : 0;
            }
        }
    }

    /** Vectors given directly (one array of length d per word; copied). */
    public static GloveVectors of(List<String> words, List<double[]> vectors) {
        if (words.size() != vectors.size() || words.isEmpty()) {
            throw new IllegalArgumentException("need as many vectors as words, at least one");
        }
        int dim = vectors.get(0).length;
        double[] flat = new double[words.size() * dim];
        for (int n = 0; n < words.size(); n++) {
            if (vectors.get(n).length != dim) {
                throw new IllegalArgumentException("vector of \"" + words.get(n) + "\" has " + vectors.get(n).length
                        + " components, expected " + dim);
            }
            System.arraycopy(vectors.get(n), 0, flat, n * dim, dim);
        }
        return new GloveVectors(words, dim, flat);
    }

    /** The unit-length vector of {@code word}, or null if it has none. */
    public double[] unitVector(String word) {
        Integer n = index.get(word);
        return n == null ? null : Arrays.copyOfRange(unit, n * dim, (n + 1) * dim);
    }

    /** Reads a text vectors file from any Hadoop filesystem (a plain path is local). */
    public static GloveVectors read(String path, Configuration hadoop) throws IOException {
        Path file = new Path(path);
        FileSystem fs = file.getFileSystem(hadoop);
        if (!fs.exists(file)) {
            throw new IllegalArgumentException("vectors not found: " + path);
        }
        try (InputStream in = fs.open(file)) {
            return read(in, path);
        }
    }

    /** Reads text vectors from {@code in} ({@code name} is for messages). */
    public static GloveVectors read(InputStream in, String name) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        List<String> words = new ArrayList<>();
        double[] values = new double[1024];
        int dim = -1;
        int size = 0;
        String line;
        int lineNumber = 0;
        while ((line = reader.readLine()) != null) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            String[] fields = line.trim().split("[ \t]+");
            if (lineNumber == 1 && isHeader(fields)) {
                continue;
            }
            if (fields.length < 2) {
                throw new IllegalArgumentException(name + " line " + lineNumber + ": expected \"word v1 ... vd\"");
            }
            if (dim < 0) {
                dim = fields.length - 1;
            } else if (fields.length - 1 != dim) {
                throw new IllegalArgumentException(name + " line " + lineNumber + ": " + (fields.length - 1)
                        + " components, but the first vector has " + dim);
            }
            if (size + dim > values.length) {
                values = Arrays.copyOf(values, Math.max(2 * values.length, size + dim));
            }
            for (int b = 0; b < dim; b++) {
                try {
                    values[size + b] = Double.parseDouble(fields[b + 1]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(name + " line " + lineNumber + ": \"" + fields[b + 1]
                            + "\" is not a number");
                }
            }
            size += dim;
            words.add(fields[0]);
        }
        if (words.isEmpty()) {
            throw new IllegalArgumentException("no vectors in " + name);
        }
        return new GloveVectors(words, dim, Arrays.copyOf(values, size));
    }

    /** glove.c's optional header: two non-negative integers. */
    private static boolean isHeader(String[] fields) {
        return fields.length == 2 && fields[0].matches("\\d+") && fields[1].matches("\\d+");
    }

    public int size() {
        return words.size();
    }

    public int dim() {
        return dim;
    }

    public boolean contains(String word) {
        return index.containsKey(word);
    }

    /** The words in file order. */
    public List<String> words() {
        return words;
    }

    /** Cosine similarity of two known words. */
    public double similarity(String a, String b) {
        return dot(indexOf(a), indexOf(b));
    }

    /**
     * The {@code k} words most similar to {@code word} by cosine similarity, most similar first (ties in
     * file order), the word itself excluded.
     *
     * @throws IllegalArgumentException if the word has no vector
     */
    public List<Neighbor> nearest(String word, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be positive, got " + k);
        }
        int query = indexOf(word);
        // a min-heap of the best k so far: worst (lowest similarity, then latest in the file) on top
        PriorityQueue<double[]> best = new PriorityQueue<>(k + 1, (a, b) -> a[0] != b[0]
                ? Double.compare(a[0], b[0]) : Double.compare(b[1], a[1]));
        for (int n = 0; n < words.size(); n++) {
            if (n == query) {
                continue;
            }
            double similarity = dot(query, n);
            if (best.size() < k) {
                best.add(new double[] {similarity, n});
            } else if (similarity > best.peek()[0]) {
                best.poll();
                best.add(new double[] {similarity, n});
            }
        }
        List<Neighbor> result = new ArrayList<>(best.size());
        while (!best.isEmpty()) {
            double[] top = best.poll();
            result.add(new Neighbor(words.get((int) top[1]), top[0]));
        }
        Collections.reverse(result);
        return result;
    }

    private int indexOf(String word) {
        Integer n = index.get(word);
        if (n == null) {
            throw new IllegalArgumentException("unknown word \"" + word + "\": it has no vector among the "
                    + words.size() + " words of the file");
        }
        return n;
    }

    private double dot(int a, int b) {
        double dot = 0;
        for (int i = 0; i < dim; i++) {
            dot += unit[a * dim + i] * unit[b * dim + i];
        }
        return dot;
    }
}
