package io.sparkbert.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hyper-parameters of a BERT model (docs/design.md §5), named as in Google's {@code bert_config.json}.
 *
 * <p>Presets live in {@code conf/model/<name>.conf} (tiny, mini, small, medium, base, large). The
 * model module does not depend on Typesafe Config, so those files are kept to a flat subset of HOCON
 * — one {@code key = value} per line, {@code #} or {@code //} comments, optional double quotes — and
 * read here by {@link #parseFlatConf(List)}; the jobs, which do have Typesafe Config, can read the same
 * files as ordinary HOCON and call {@link #fromMap(Map, int)}.
 *
 * @param vocabSize token vocabulary size (from the vocab file, never from the preset)
 * @param hiddenSize H, width of every token vector
 * @param numHiddenLayers L, number of encoder blocks
 * @param numAttentionHeads A, heads per attention; H must be divisible by A
 * @param intermediateSize I, width of the feed-forward hidden layer (4H in all presets)
 * @param hiddenAct activation of the feed-forward layer; only "gelu" (exact erf form) is supported
 * @param hiddenDropoutProb dropout rate on embeddings and on the residual branches
 * @param attentionProbsDropoutProb dropout rate on the attention probabilities
 * @param maxPositionEmbeddings rows of the learned position table (512)
 * @param typeVocabSize number of segment types (2)
 * @param initializerRange std of the truncated-normal weight initialisation (0.02)
 * @param layerNormEps epsilon inside every LayerNorm (1e-12, as Google's BERT)
 */
public record BertConfig(
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int intermediateSize,
        String hiddenAct,
        double hiddenDropoutProb,
        double attentionProbsDropoutProb,
        int maxPositionEmbeddings,
        int typeVocabSize,
        double initializerRange,
        double layerNormEps) {

    /** Preset names, smallest first. */
    public static final List<String> PRESETS = List.of("tiny", "mini", "small", "medium", "base", "large");

    /** System property naming the conf directory (the one holding {@code model/}); optional. */
    public static final String CONF_DIR_PROPERTY = "sparkbert.conf.dir";

    public BertConfig {
        require(vocabSize > 0, "vocabSize must be > 0, got " + vocabSize);
        require(hiddenSize > 0, "hiddenSize must be > 0, got " + hiddenSize);
        require(numHiddenLayers > 0, "numHiddenLayers must be > 0, got " + numHiddenLayers);
        require(numAttentionHeads > 0, "numAttentionHeads must be > 0, got " + numAttentionHeads);
        require(hiddenSize % numAttentionHeads == 0,
                "hiddenSize " + hiddenSize + " is not divisible by numAttentionHeads " + numAttentionHeads);
        require(intermediateSize > 0, "intermediateSize must be > 0, got " + intermediateSize);
        require("gelu".equals(hiddenAct), "only hiddenAct \"gelu\" is supported, got " + hiddenAct);
        require(hiddenDropoutProb >= 0 && hiddenDropoutProb < 1, "hiddenDropoutProb must be in [0,1)");
        require(attentionProbsDropoutProb >= 0 && attentionProbsDropoutProb < 1,
                "attentionProbsDropoutProb must be in [0,1)");
        require(maxPositionEmbeddings > 0, "maxPositionEmbeddings must be > 0");
        require(typeVocabSize > 0, "typeVocabSize must be > 0");
        require(initializerRange > 0, "initializerRange must be > 0");
        require(layerNormEps > 0, "layerNormEps must be > 0");
    }

    /** Per-head width d_k = H / A. */
    public int headSize() {
        return hiddenSize / numAttentionHeads;
    }

    /** The same configuration with both dropout rates set to zero (gradient checks, overfit tests). */
    public BertConfig withoutDropout() {
        return new BertConfig(vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize,
                hiddenAct, 0.0, 0.0, maxPositionEmbeddings, typeVocabSize, initializerRange, layerNormEps);
    }

    /**
     * A preset from {@code conf/model/<name>.conf}. The conf directory is the system property
     * {@value #CONF_DIR_PROPERTY} if set, otherwise the first {@code conf/} found walking up from the
     * working directory (so it works from the project root and from a module directory), otherwise the
     * copy of conf/ inside the application jar ({@value #BUNDLED_CONF}/, what spark-submit runs with).
     */
    public static BertConfig preset(String name, int vocabSize) {
        if (!PRESETS.contains(name)) {
            throw new IllegalArgumentException("unknown BERT preset '" + name + "', expected one of " + PRESETS);
        }
        Path dir = findConfDir();
        if (dir != null) {
            return fromConfFile(dir.resolve("model").resolve(name + ".conf"), vocabSize);
        }
        String resource = BUNDLED_CONF + "/model/" + name + ".conf";
        try (var in = BertConfig.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no conf/model directory found above the working directory and no "
                        + resource + " on the classpath; set -D" + CONF_DIR_PROPERTY);
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return fromMap(parseFlatConf(text.lines().toList()), vocabSize);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read BERT preset " + resource, e);
        }
    }

    /** Where the shaded application jar carries conf/. */
    public static final String BUNDLED_CONF = "sparkbert-conf";

    /** Reads a flat {@code key = value} conf file (see the class comment). */
    public static BertConfig fromConfFile(Path file, int vocabSize) {
        try {
            return fromMap(parseFlatConf(Files.readAllLines(file, StandardCharsets.UTF_8)), vocabSize);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read BERT preset " + file, e);
        }
    }

    /**
     * Builds a config from kebab-case keys as in the preset files. Missing keys take BERT's defaults
     * except the three that define the size (num-hidden-layers, hidden-size, num-attention-heads);
     * intermediate-size defaults to 4H.
     */
    public static BertConfig fromMap(Map<String, String> values, int vocabSize) {
        for (String key : values.keySet()) {
            if (!KNOWN_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown BERT config key '" + key + "'");
            }
        }
        int hidden = Integer.parseInt(required(values, "hidden-size"));
        return new BertConfig(
                vocabSize,
                hidden,
                Integer.parseInt(required(values, "num-hidden-layers")),
                Integer.parseInt(required(values, "num-attention-heads")),
                Integer.parseInt(values.getOrDefault("intermediate-size", Integer.toString(4 * hidden))),
                values.getOrDefault("hidden-act", "gelu"),
                Double.parseDouble(values.getOrDefault("hidden-dropout-prob", "0.1")),
                Double.parseDouble(values.getOrDefault("attention-probs-dropout-prob", "0.1")),
                Integer.parseInt(values.getOrDefault("max-position-embeddings", "512")),
                Integer.parseInt(values.getOrDefault("type-vocab-size", "2")),
                Double.parseDouble(values.getOrDefault("initializer-range", "0.02")),
                Double.parseDouble(values.getOrDefault("layer-norm-eps", "1e-12")));
    }

    /** Parses {@code key = value} (or {@code key: value}) lines; comments and blank lines are skipped. */
    public static Map<String, String> parseFlatConf(List<String> lines) {
        Map<String, String> out = new LinkedHashMap<>();
        int lineNo = 0;
        for (String raw : lines) {
            lineNo++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("//")) {
                continue;
            }
            int sep = line.indexOf('=');
            if (sep < 0) {
                sep = line.indexOf(':');
            }
            if (sep <= 0) {
                throw new IllegalArgumentException("line " + lineNo + ": expected 'key = value', got: " + raw);
            }
            String key = line.substring(0, sep).strip();
            String value = line.substring(sep + 1).strip();
            int comment = value.indexOf(" #");
            if (comment >= 0 && !value.startsWith("\"")) {
                value = value.substring(0, comment).strip();
            }
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            out.put(key, value);
        }
        return out;
    }

    private static final List<String> KNOWN_KEYS = List.of("hidden-size", "num-hidden-layers",
            "num-attention-heads", "intermediate-size", "hidden-act", "hidden-dropout-prob",
            "attention-probs-dropout-prob", "max-position-embeddings", "type-vocab-size", "initializer-range",
            "layer-norm-eps");

    private static Path findConfDir() {
        String prop = System.getProperty(CONF_DIR_PROPERTY);
        if (prop != null && !prop.isBlank()) {
            return Paths.get(prop);
        }
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("conf");
            if (Files.isDirectory(candidate.resolve("model"))) {
                return candidate;
            }
        }
        return null;
    }

    private static String required(Map<String, String> values, String key) {
        String v = values.get(key);
        if (v == null) {
            throw new IllegalArgumentException("BERT config key '" + key + "' is required");
        }
        return v;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
