package io.sparkbert.model.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.BertPretrainingLayer;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.util.LocalFiles;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A checkpoint directory, everything needed to load a model and nothing else: {@code model.zip} (DL4J's
 * model file, with the updater state), {@code config.json} (our BERT configuration, in BERT's field names,
 * plus the sample geometry) and {@code vocab.txt}. Written into a hidden sibling directory and renamed into
 * place, so a half-written checkpoint never looks finished.
 */
public final class Checkpoint {
    public static final String MODEL = "model.zip";
    public static final String CONFIG = "config.json";
    public static final String VOCAB = "vocab.txt";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A loaded checkpoint. */
    public record Loaded(ComputationGraph graph, BertConfig config, Vocab vocab, boolean uncased) {
        public int seqLen() {
            return BertModel.layer(graph).seqLen();
        }

        public int maxPredictions() {
            return BertModel.layer(graph).maxPredictions();
        }
    }

    private Checkpoint() {
    }

    /** Writes a checkpoint directory; refuses to replace an existing one unless {@code overwrite}. */
    public static void write(Path dir, ComputationGraph graph, Vocab vocab, boolean uncased, boolean overwrite)
            throws IOException {
        write(dir, graph, vocab, uncased, overwrite, java.util.Map.of());
    }

    /**
     * Writes a checkpoint directory with additional files (name to content, e.g. a training run's
     * {@code state.json}), all in the same atomic rename.
     */
    public static void write(Path dir, ComputationGraph graph, Vocab vocab, boolean uncased, boolean overwrite,
                             java.util.Map<String, byte[]> extraFiles) throws IOException {
        writeDirectory(dir, overwrite, staging -> {
            writeModelZip(graph, staging.resolve(MODEL));
            vocab.write(staging.resolve(VOCAB));
            JSON.writeValue(staging.resolve(CONFIG).toFile(), configJson(BertModel.layer(graph), uncased));
            for (var extra : extraFiles.entrySet()) {
                Files.write(staging.resolve(extra.getKey()), extra.getValue());
            }
        });
    }

    /**
     * DL4J's model file as {@code ModelSerializer.writeModel(graph, file, true)} writes it and
     * {@code ModelSerializer.restoreComputationGraph} reads it: {@code configuration.json}, then
     * {@code coefficients.bin} and {@code updaterState.bin} in {@code Nd4j.write}'s format, the same entries and
     * bytes. The one difference is the compression level: DL4J deflates at the default level, which on float
     * arrays saves a tenth of the size at ~25 MB/s (bert-mini with bert-base's vocabulary and Adam state: 116 MB
     * in 5.2-5.6 s, more than the training steps of a minute); level 0 (deflate's stored blocks) writes 128 MB in
     * 0.4-0.5 s, and every zip reader reads it.
     */
    static void writeModelZip(ComputationGraph graph, Path file) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
            zip.setLevel(Deflater.NO_COMPRESSION);
            zip.putNextEntry(new ZipEntry(ModelSerializer.CONFIGURATION_JSON));
            zip.write(graph.getConfiguration().toJson().getBytes(StandardCharsets.UTF_8));
            DataOutputStream arrays = new DataOutputStream(new BufferedOutputStream(zip, 1 << 16));
            zip.putNextEntry(new ZipEntry(ModelSerializer.COEFFICIENTS_BIN));
            writeArray(graph.params(), arrays);
            arrays.flush();
            INDArray updaterState = graph.getUpdater() == null ? null : graph.getUpdater().getStateViewArray();
            if (updaterState != null && updaterState.length() > 0) {
                zip.putNextEntry(new ZipEntry(ModelSerializer.UPDATER_BIN));
                writeArray(updaterState, arrays);
                arrays.flush();
            }
        }
    }

    /**
     * {@code Nd4j.write}'s bytes (the shape buffer, then the data buffer: allocation mode, length, type, values
     * big-endian), with float values converted a block at a time: Nd4j.write calls writeFloat per value, 1 s
     * for the 33 M values of bert-mini's parameters and Adam state at BERT's vocabulary. (writeFloat folds
     * every NaN into one bit pattern, this keeps each; parameters hold none.)
     */
    static void writeArray(INDArray array, DataOutputStream out) throws IOException {
        INDArray dense = array.isView() ? array.dup() : array;
        dense.shapeInfoDataBuffer().write(out);
        DataBuffer data = dense.data();
        if (data.dataType() != DataType.FLOAT) {
            data.write(out);
            return;
        }
        out.writeUTF(data.allocationMode().name());
        out.writeLong(data.length());
        out.writeUTF(data.dataType().name());
        FloatBuffer values = data.asNioFloat();
        ByteBuffer block = ByteBuffer.allocate(1 << 20).order(ByteOrder.BIG_ENDIAN);
        FloatBuffer blockFloats = block.asFloatBuffer();
        long remaining = data.length();
        while (remaining > 0) {
            int n = (int) Math.min(remaining, blockFloats.capacity());
            blockFloats.clear();
            blockFloats.put(values.slice().limit(n));
            values.position(values.position() + n);
            out.write(block.array(), 0, n * Float.BYTES);
            remaining -= n;
        }
    }

    /** Fills a directory with files. */
    @FunctionalInterface
    interface DirectoryWriter {
        void write(Path staging) throws IOException;
    }

    /**
     * Writes a directory atomically: {@code writer} fills a hidden sibling staging directory, which is then
     * renamed into place (replacing {@code dir} only if {@code overwrite}); a failure leaves no trace.
     */
    static void writeDirectory(Path dir, boolean overwrite, DirectoryWriter writer) throws IOException {
        if (Files.exists(dir) && !overwrite) {
            throw new IllegalArgumentException(dir + " already exists; pass --overwrite to replace it");
        }
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path staging = LocalFiles.temporarySibling(dir.toAbsolutePath());
        Files.createDirectories(staging);
        try {
            writer.write(staging);
            if (Files.exists(dir)) {
                Path old = parent.resolve("." + dir.getFileName() + ".old-" + UUID.randomUUID());
                Files.move(dir, old);
                Files.move(staging, dir);
                LocalFiles.deleteRecursively(old);
            } else {
                Files.move(staging, dir);
            }
        } catch (Throwable e) {
            try {
                LocalFiles.deleteRecursively(staging);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** Loads a checkpoint; a clear error names what is missing or inconsistent. */
    public static Loaded read(Path dir) throws IOException {
        for (String name : new String[] {MODEL, CONFIG, VOCAB}) {
            if (!Files.isRegularFile(dir.resolve(name))) {
                throw new IllegalArgumentException("not a checkpoint: " + dir.resolve(name) + " is missing");
            }
        }
        JsonNode config;
        try {
            config = JSON.readTree(dir.resolve(CONFIG).toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("checkpoint " + dir + ": config.json is not valid JSON: "
                    + e.getOriginalMessage());
        }
        Vocab vocab = Vocab.load(dir.resolve(VOCAB));
        ComputationGraph graph;
        try {
            graph = ModelSerializer.restoreComputationGraph(dir.resolve(MODEL).toFile(), true);
        } catch (IOException | RuntimeException e) { // EOFException, ZipException, DL4J's "no configuration" …
            throw new IllegalArgumentException("checkpoint " + dir + ": model.zip cannot be read (truncated, empty or "
                    + "not a DL4J model; " + Files.size(dir.resolve(MODEL)) + " bytes): " + e);
        }
        BertConfig bert = BertModel.layer(graph).bertConfig();
        if (bert.vocabSize() != vocab.size()) {
            throw new IllegalArgumentException("checkpoint " + dir + ": the model has " + bert.vocabSize()
                    + " token embeddings but vocab.txt has " + vocab.size() + " tokens");
        }
        return new Loaded(graph, bert, vocab, config.path("do_lower_case").asBoolean(true));
    }

    static ObjectNode configJson(BertPretrainingLayer layer, boolean uncased) {
        BertConfig c = layer.bertConfig();
        ObjectNode json = JSON.createObjectNode();
        json.put("format", "sparkbert-checkpoint");
        putBertConfig(json, c);
        json.put("max_seq_length", layer.seqLen());
        json.put("max_predictions_per_seq", layer.maxPredictions());
        json.put("do_lower_case", uncased);
        json.put("seed", layer.seed());
        return json;
    }

    /** The BERT hyper-parameters under the names of Google's bert_config.json (and HF's config.json). */
    static void putBertConfig(ObjectNode json, BertConfig c) {
        json.put("vocab_size", c.vocabSize());
        json.put("hidden_size", c.hiddenSize());
        json.put("num_hidden_layers", c.numHiddenLayers());
        json.put("num_attention_heads", c.numAttentionHeads());
        json.put("intermediate_size", c.intermediateSize());
        json.put("hidden_act", c.hiddenAct());
        json.put("hidden_dropout_prob", c.hiddenDropoutProb());
        json.put("attention_probs_dropout_prob", c.attentionProbsDropoutProb());
        json.put("max_position_embeddings", c.maxPositionEmbeddings());
        json.put("type_vocab_size", c.typeVocabSize());
        json.put("initializer_range", c.initializerRange());
        json.put("layer_norm_eps", c.layerNormEps());
    }
}
