package io.sparkbert.model.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkbert.model.checkpoint.Checkpoint;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.util.LocalFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * The files of one pretraining run (on the driver's file system):
 *
 * <pre>
 * RUN_DIR/run.json                     what the run computes (settings, data, model); a rerun must match it
 * RUN_DIR/metrics.jsonl                one JSON object per logged step and per evaluation
 * RUN_DIR/unigram_baseline.json        held-out accuracy of always predicting the most frequent masked token
 * RUN_DIR/summary.json                 the end of the last command: steps, rates over the whole loop, last evaluation
 * RUN_DIR/curves.svg                   loss / accuracy / learning-rate curves, redrawn at every evaluation
 * RUN_DIR/checkpoints/step-NNNNNN/     a checkpoint as `init` writes it + state.json (step, data position, seed)
 * RUN_DIR/checkpoints/latest           the name of the newest checkpoint (one line)
 * </pre>
 *
 * Every file a reader might look at is replaced atomically (written aside, then renamed); checkpoints are
 * whole directories renamed into place, and {@code latest} is only updated after that.
 */
public final class RunDirectory {
    public static final String RUN = "run.json";
    public static final String METRICS = "metrics.jsonl";
    /** What the last invocation reported at its end: steps, wall-time rates, the last evaluation. */
    public static final String SUMMARY = "summary.json";
    public static final String BASELINE = "unigram_baseline.json";
    public static final String CURVES = "curves.svg";
    public static final String CHECKPOINTS = "checkpoints";
    public static final String LATEST = "latest";
    public static final String STATE = "state.json";
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper LINE = new ObjectMapper();

    private final Path dir;

    public RunDirectory(Path dir) {
        this.dir = dir;
    }

    public Path path() {
        return dir;
    }

    public Path checkpoints() {
        return dir.resolve(CHECKPOINTS);
    }

    /** What the directory held before a run started: needed to undo a start that failed. */
    public record Before(boolean existed, boolean recorded) {
    }

    public Before before() {
        return new Before(Files.exists(dir), Files.exists(dir.resolve(RUN)));
    }

    /**
     * After a run failed: if it wrote no checkpoint and the directory held no earlier run, removes what the run
     * wrote (the directory, if the run created it), since there is nothing to resume and a corrected command must
     * not be refused as "a different run".
     */
    public void undoFailedStart(Before before) throws IOException {
        if (before.recorded() || latestCheckpoint().isPresent()) {
            return;
        }
        if (before.existed()) {
            for (String name : List.of(RUN, METRICS, BASELINE, CURVES)) {
                Files.deleteIfExists(dir.resolve(name));
            }
        } else if (Files.exists(dir)) {
            LocalFiles.deleteRecursively(dir);
        }
    }

    /** The recorded run description, if this directory holds a run. */
    public Optional<JsonNode> runDescription() throws IOException {
        Path file = dir.resolve(RUN);
        return Files.isRegularFile(file) ? Optional.of(JSON.readTree(file.toFile())) : Optional.empty();
    }

    public void writeRunDescription(ObjectNode description) throws IOException {
        Files.createDirectories(dir);
        LocalFiles.writeAtomically(dir.resolve(RUN), JSON.writeValueAsBytes(description));
    }

    /** The newest checkpoint directory named by {@code latest}, if any. */
    public Optional<Path> latestCheckpoint() throws IOException {
        Path pointer = checkpoints().resolve(LATEST);
        if (!Files.isRegularFile(pointer)) {
            return Optional.empty();
        }
        Path ckpt = checkpoints().resolve(Files.readString(pointer, StandardCharsets.UTF_8).strip());
        if (!Files.isRegularFile(ckpt.resolve(STATE))) {
            throw new IllegalStateException(pointer + " names " + ckpt + ", which is not a complete checkpoint");
        }
        return Optional.of(ckpt);
    }

    public static String checkpointName(int step) {
        return String.format("step-%06d", step);
    }

    /**
     * Writes checkpoint {@code step-NNNNNN} with its state, points {@code latest} at it and deletes all but
     * the newest {@code keep} checkpoints.
     */
    public Path writeCheckpoint(int step, ComputationGraph graph, Vocab vocab, boolean uncased, ObjectNode state,
                                int keep) throws IOException {
        Files.createDirectories(checkpoints());
        Path ckpt = checkpoints().resolve(checkpointName(step));
        Checkpoint.write(ckpt, graph, vocab, uncased, true, Map.of(STATE, JSON.writeValueAsBytes(state)));
        LocalFiles.writeAtomically(checkpoints().resolve(LATEST), (ckpt.getFileName() + "\n").getBytes(StandardCharsets.UTF_8));
        List<Path> all = new ArrayList<>();
        try (Stream<Path> list = Files.list(checkpoints())) {
            list.filter(p -> Files.isDirectory(p) && p.getFileName().toString().matches("step-\\d+"))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .forEach(all::add);
        }
        for (int i = 0; i < all.size() - keep; i++) {
            LocalFiles.deleteRecursively(all.get(i));
        }
        return ckpt;
    }

    public static ObjectNode readState(Path checkpoint) throws IOException {
        return (ObjectNode) JSON.readTree(checkpoint.resolve(STATE).toFile());
    }

    /** Appends metric lines (one JSON object each). */
    public void appendMetrics(List<? extends Map<String, Object>> lines) throws IOException {
        StringBuilder out = new StringBuilder();
        for (Map<String, Object> line : lines) {
            out.append(LINE.writeValueAsString(line)).append('\n');
        }
        Files.writeString(dir.resolve(METRICS), out, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    /** The metric lines written so far. */
    public List<JsonNode> readMetrics() throws IOException {
        Path file = dir.resolve(METRICS);
        List<JsonNode> out = new ArrayList<>();
        if (Files.isRegularFile(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    out.add(LINE.readTree(line));
                }
            }
        }
        return out;
    }

    /**
     * Drops the metric lines of steps after {@code step} (what a crashed run logged past its last checkpoint;
     * the resumed run logs those steps again).
     */
    public void truncateMetrics(int step) throws IOException {
        Path file = dir.resolve(METRICS);
        if (!Files.isRegularFile(file)) {
            return;
        }
        StringBuilder kept = new StringBuilder();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = LINE.readTree(line);
            } catch (IOException torn) {
                continue;      // the last line of a killed run may be cut short
            }
            if (node.path("step").asInt() <= step) {
                kept.append(line).append('\n');
            }
        }
        LocalFiles.writeAtomically(file, kept.toString().getBytes(StandardCharsets.UTF_8));
    }

    public void writeJson(String name, Object value) throws IOException {
        LocalFiles.writeAtomically(dir.resolve(name), JSON.writeValueAsBytes(value));
    }

    public void writeText(String name, String text) throws IOException {
        LocalFiles.writeAtomically(dir.resolve(name), text.getBytes(StandardCharsets.UTF_8));
    }
}
