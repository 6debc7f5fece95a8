package io.sparkbert.model.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.BertPretrainingLayer;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Checkpoints in HuggingFace {@code transformers}' layout (docs/design.md §7), written and read without Python: a
 * directory that {@code BertForPreTraining.from_pretrained(dir)} loads with nothing missing or unexpected,
 * and the import of such a directory into our DL4J model.
 *
 * <pre>
 * config.json              BertConfig in HF's field names (model_type "bert", architectures ["BertForPreTraining"])
 * vocab.txt                the vocabulary, one token a line
 * tokenizer_config.json    do_lower_case, model_max_length (BertTokenizer)
 * special_tokens_map.json  [UNK] [SEP] [PAD] [CLS] [MASK]
 * model.safetensors        the weights under HF's names ({@link #mapping}), __metadata__ {"format": "pt"}
 * </pre>
 *
 * <h2>The mapping</h2>
 * {@link #mapping} is the ONE table between our parameter names and HF's, used in both directions. Our
 * dense weights are stored [in, out] (x·W); PyTorch's {@code nn.Linear} stores [out, in] (x·Wᵀ), so every
 * Linear weight is transposed, embeddings, biases and LayerNorm parameters are not. Our Q, K, V are three
 * separate matrices with head-major columns (column = head·d_k + i), which is exactly HF's
 * {@code view(..., heads, head_size)} layout: nothing is fused or permuted.
 *
 * <h2>Tied weights</h2>
 * {@code BertForPreTraining.state_dict()} holds the MLM decoder twice more than we do:
 * {@code cls.predictions.decoder.weight} (the same Parameter as the word embeddings) and
 * {@code cls.predictions.decoder.bias} (the same Parameter as {@code cls.predictions.bias}). The export writes
 * them, so every key of the state dict is present in every transformers version (HF's own save_pretrained
 * drops shared tensors and relies on re-tying; older versions then list them as missing). On import they are
 * optional and must equal the tensor they are tied to: an untied decoder cannot be represented here.
 *
 * <h2>Import rules</h2>
 * The embeddings and every encoder layer must be present with the shapes config.json implies; a mismatch
 * names the tensor, expected and found shape. The pooler and the pretraining heads may be missing (a
 * checkpoint of HF's {@code BertModel}, e.g. a sentence-transformers model): they keep the fresh
 * initialisation of {@code init} and are reported. Names without the {@code bert.} prefix (BertModel's
 * own state dict) and TF-era LayerNorm names ({@code gamma}/{@code beta}) are accepted, as HF does. The
 * {@code position_ids} buffer is ignored; any other unknown tensor is an error. F32 is read as is, F16 and
 * BF16 are widened to float exactly; other dtypes are refused.
 */
public final class HuggingFaceCheckpoint {
    public static final String CONFIG = "config.json";
    public static final String VOCAB = "vocab.txt";
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    public static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";
    public static final String WEIGHTS = "model.safetensors";
    /** The metadata HF's loader requires ({@code format} must be "pt" for PyTorch models). */
    public static final Map<String, String> METADATA = Map.of("format", "pt");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What a tensor belongs to: the body must be complete on import, the heads may be missing. */
    public enum Part {
        EMBEDDINGS, ENCODER, POOLER, MLM_HEAD, NSP_HEAD;

        public boolean optionalOnImport() {
            return this == POOLER || this == MLM_HEAD || this == NSP_HEAD;
        }
    }

    /**
     * One row of the mapping.
     *
     * @param ours our SameDiff parameter name ({@link BertPretrainingLayer#paramKey} gives the DL4J key)
     * @param hf HF's state-dict name
     * @param transpose whether the HF tensor is the transpose of ours (nn.Linear weights)
     * @param part what it belongs to
     * @param tiedCopy true for a second HF name of a parameter mapped by an earlier row (tied weights): written
     *                 on export, on import only checked against the primary
     */
    public record Mapping(String ours, String hf, boolean transpose, Part part, boolean tiedCopy) {
        /** The DL4J parameter key. */
        public String key() {
            return BertPretrainingLayer.paramKey(ours);
        }
    }

    /** What an import produced. */
    public record Imported(ComputationGraph graph, BertConfig config, Vocab vocab, boolean uncased,
                           List<String> freshlyInitialised, List<String> ignored) {
    }

    private HuggingFaceCheckpoint() {
    }

    /** The mapping for a model with {@code numLayers} encoder blocks, in HF's state-dict order. */
    public static List<Mapping> mapping(int numLayers) {
        List<Mapping> m = new ArrayList<>();
        add(m, "embeddings/token", "bert.embeddings.word_embeddings.weight", false, Part.EMBEDDINGS);
        add(m, "embeddings/position", "bert.embeddings.position_embeddings.weight", false, Part.EMBEDDINGS);
        add(m, "embeddings/segment", "bert.embeddings.token_type_embeddings.weight", false, Part.EMBEDDINGS);
        layerNorm(m, "embeddings/ln", "bert.embeddings.LayerNorm", Part.EMBEDDINGS);
        for (int l = 0; l < numLayers; l++) {
            String ours = "layer_" + l;
            String hf = "bert.encoder.layer." + l;
            linear(m, ours + "/attention/wq", ours + "/attention/bq", hf + ".attention.self.query", Part.ENCODER);
            linear(m, ours + "/attention/wk", ours + "/attention/bk", hf + ".attention.self.key", Part.ENCODER);
            linear(m, ours + "/attention/wv", ours + "/attention/bv", hf + ".attention.self.value", Part.ENCODER);
            linear(m, ours + "/attention/wo", ours + "/attention/bo", hf + ".attention.output.dense", Part.ENCODER);
            layerNorm(m, ours + "/ln1", hf + ".attention.output.LayerNorm", Part.ENCODER);
            linear(m, ours + "/ffn/w1", ours + "/ffn/b1", hf + ".intermediate.dense", Part.ENCODER);
            linear(m, ours + "/ffn/w2", ours + "/ffn/b2", hf + ".output.dense", Part.ENCODER);
            layerNorm(m, ours + "/ln2", hf + ".output.LayerNorm", Part.ENCODER);
        }
        linear(m, "nsp/pooler/w", "nsp/pooler/b", "bert.pooler.dense", Part.POOLER);
        add(m, "mlm/output_bias", "cls.predictions.bias", false, Part.MLM_HEAD);
        linear(m, "mlm/transform/w", "mlm/transform/b", "cls.predictions.transform.dense", Part.MLM_HEAD);
        layerNorm(m, "mlm/ln", "cls.predictions.transform.LayerNorm", Part.MLM_HEAD);
        m.add(new Mapping("embeddings/token", "cls.predictions.decoder.weight", false, Part.MLM_HEAD, true));
        m.add(new Mapping("mlm/output_bias", "cls.predictions.decoder.bias", false, Part.MLM_HEAD, true));
        linear(m, "nsp/classifier/w", "nsp/classifier/b", "cls.seq_relationship", Part.NSP_HEAD);
        return m;
    }

    private static void add(List<Mapping> m, String ours, String hf, boolean transpose, Part part) {
        m.add(new Mapping(ours, hf, transpose, part, false));
    }

    private static void linear(List<Mapping> m, String oursW, String oursB, String hf, Part part) {
        add(m, oursW, hf + ".weight", true, part);
        add(m, oursB, hf + ".bias", false, part);
    }

    private static void layerNorm(List<Mapping> m, String ours, String hf, Part part) {
        add(m, ours + "/gain", hf + ".weight", false, part);
        add(m, ours + "/bias", hf + ".bias", false, part);
    }

    // ------------------------------------------------------------------------------------------------ export

    /** The HF tensors of a network's parameters, in mapping order, stored as {@code dtype} (F32, F16, BF16). */
    public static List<SafeTensors.Tensor> tensors(ComputationGraph graph, SafeTensors.DType dtype) {
        BertConfig cfg = BertModel.layer(graph).bertConfig();
        Map<String, INDArray> table = graph.getLayer(BertModel.LAYER).paramTable();
        List<SafeTensors.Tensor> out = new ArrayList<>();
        for (Mapping row : mapping(cfg.numHiddenLayers())) {
            INDArray value = table.get(row.key());
            if (value == null) {
                throw new IllegalStateException("the network has no parameter " + row.key());
            }
            INDArray hf = row.transpose() ? value.transpose() : value;
            float[] values = hf.castTo(DataType.FLOAT).dup('c').reshape(hf.length()).toFloatVector();
            out.add(SafeTensors.Tensor.ofFloats(row.hf(), hf.shape(), values, dtype));
        }
        return out;
    }

    /** Writes a HF directory for a loaded checkpoint; refuses to replace one unless {@code overwrite}. */
    public static void write(Path dir, ComputationGraph graph, Vocab vocab, boolean uncased, SafeTensors.DType dtype,
                             boolean overwrite) throws IOException {
        BertConfig cfg = BertModel.layer(graph).bertConfig();
        if (cfg.vocabSize() != vocab.size()) {
            throw new IllegalArgumentException("the model has " + cfg.vocabSize() + " token embeddings but the vocab "
                    + vocab.size() + " tokens");
        }
        List<SafeTensors.Tensor> tensors = tensors(graph, dtype);
        Checkpoint.writeDirectory(dir, overwrite, staging -> {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(staging.resolve(WEIGHTS)), 1 << 20)) {
                SafeTensors.write(tensors, METADATA, out);
            }
            vocab.write(staging.resolve(VOCAB));
            JSON.writeValue(staging.resolve(CONFIG).toFile(), configJson(cfg, vocab, dtype));
            JSON.writeValue(staging.resolve(TOKENIZER_CONFIG).toFile(), tokenizerConfig(cfg, uncased));
            JSON.writeValue(staging.resolve(SPECIAL_TOKENS_MAP).toFile(), specialTokens());
        });
    }

    /** HF's config.json for BertForPreTraining. */
    static ObjectNode configJson(BertConfig c, Vocab vocab, SafeTensors.DType dtype) {
        ObjectNode json = JSON.createObjectNode();
        json.putArray("architectures").add("BertForPreTraining");
        json.put("model_type", "bert");
        Checkpoint.putBertConfig(json, c);
        json.put("pad_token_id", vocab.padId());
        json.put("position_embedding_type", "absolute");
        json.put("torch_dtype", torchDtype(dtype));
        return json;
    }

    private static ObjectNode tokenizerConfig(BertConfig c, boolean uncased) {
        ObjectNode json = JSON.createObjectNode();
        json.put("tokenizer_class", "BertTokenizer");
        json.put("do_lower_case", uncased);
        json.put("model_max_length", c.maxPositionEmbeddings());
        json.put("tokenize_chinese_chars", true);
        json.putNull("strip_accents");
        specialTokens().fields().forEachRemaining(e -> json.set(e.getKey(), e.getValue()));
        return json;
    }

    private static ObjectNode specialTokens() {
        ObjectNode json = JSON.createObjectNode();
        json.put("unk_token", Vocab.UNK);
        json.put("sep_token", Vocab.SEP);
        json.put("pad_token", Vocab.PAD);
        json.put("cls_token", Vocab.CLS);
        json.put("mask_token", Vocab.MASK);
        return json;
    }

    private static String torchDtype(SafeTensors.DType dtype) {
        switch (dtype) {
            case F32:
                return "float32";
            case F16:
                return "float16";
            case BF16:
                return "bfloat16";
            default:
                throw new IllegalArgumentException("unsupported export dtype " + dtype + " (float32, float16, bfloat16)");
        }
    }

    /** float32 / float16 / bfloat16 (PyTorch's names) or F32 / F16 / BF16 (safetensors' names). */
    public static SafeTensors.DType dtype(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "float32": case "f32": case "fp32":
                return SafeTensors.DType.F32;
            case "float16": case "f16": case "fp16": case "half":
                return SafeTensors.DType.F16;
            case "bfloat16": case "bf16":
                return SafeTensors.DType.BF16;
            default:
                throw new IllegalArgumentException("unsupported dtype '" + name + "': use float32, float16 or bfloat16");
        }
    }

    // ------------------------------------------------------------------------------------------------ import

    /** Reads a HF directory into a network with the given sample geometry (see the class comment). */
    public static Imported read(Path dir, int seqLen, int maxPredictions, long seed) throws IOException {
        for (String name : new String[] {CONFIG, VOCAB, WEIGHTS}) {
            if (!Files.isRegularFile(dir.resolve(name))) {
                throw new IllegalArgumentException("not a HuggingFace BERT directory: " + dir.resolve(name)
                        + " is missing" + (name.equals(WEIGHTS) ? " (only safetensors weights are read)" : ""));
            }
        }
        Vocab vocab = Vocab.load(dir.resolve(VOCAB));
        BertConfig cfg = config(JSON.readTree(dir.resolve(CONFIG).toFile()), vocab.size());
        boolean uncased = true;                                  // BertTokenizer's default
        if (Files.isRegularFile(dir.resolve(TOKENIZER_CONFIG))) {
            uncased = JSON.readTree(dir.resolve(TOKENIZER_CONFIG).toFile()).path("do_lower_case").asBoolean(true);
        }
        SafeTensors.Contents contents = SafeTensors.read(dir.resolve(WEIGHTS));
        Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
        for (SafeTensors.Tensor t : contents.tensors()) {
            tensors.put(t.name(), t);
        }
        List<String> fresh = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        ComputationGraph graph = fromTensors(tensors, cfg, seqLen, maxPredictions, seed, fresh, ignored);
        return new Imported(graph, cfg, vocab, uncased, fresh, ignored);
    }

    /** Our BertConfig from HF's config.json; {@code vocabSize} is the vocab.txt's, which must agree. */
    public static BertConfig config(JsonNode json, int vocabSize) {
        String modelType = json.path("model_type").asText("bert");
        if (!modelType.equals("bert")) {
            throw new IllegalArgumentException("config.json: model_type \"" + modelType + "\" is not \"bert\"");
        }
        String positions = json.path("position_embedding_type").asText("absolute");
        if (!positions.equals("absolute")) {
            throw new IllegalArgumentException("config.json: position_embedding_type \"" + positions
                    + "\" is not supported (only \"absolute\")");
        }
        int configVocab = required(json, "vocab_size").asInt();
        if (configVocab != vocabSize) {
            throw new IllegalArgumentException("config.json: vocab_size " + configVocab + " but vocab.txt has "
                    + vocabSize + " tokens");
        }
        int hidden = required(json, "hidden_size").asInt();
        return new BertConfig(vocabSize, hidden,
                required(json, "num_hidden_layers").asInt(),
                required(json, "num_attention_heads").asInt(),
                json.path("intermediate_size").asInt(4 * hidden),
                json.path("hidden_act").asText("gelu"),
                json.path("hidden_dropout_prob").asDouble(0.1),
                json.path("attention_probs_dropout_prob").asDouble(0.1),
                json.path("max_position_embeddings").asInt(512),
                json.path("type_vocab_size").asInt(2),
                json.path("initializer_range").asDouble(0.02),
                json.path("layer_norm_eps").asDouble(1e-12));
    }

    private static JsonNode required(JsonNode json, String field) {
        JsonNode v = json.get(field);
        if (v == null || !v.isNumber()) {
            throw new IllegalArgumentException("config.json: \"" + field + "\" is missing or not a number");
        }
        return v;
    }

    /**
     * A freshly initialised network ({@link BertModel#build}, float) whose parameters are replaced by HF-named
     * tensors. Head tensors that are absent keep their initialisation and are added to {@code fresh};
     * ignored buffers are added to {@code ignored}.
     */
    public static ComputationGraph fromTensors(Map<String, SafeTensors.Tensor> byName, BertConfig cfg, int seqLen,
                                               int maxPredictions, long seed, List<String> fresh,
                                               List<String> ignored) {
        Map<String, SafeTensors.Tensor> tensors = normalisedNames(byName, ignored);
        ComputationGraph graph = BertModel.build(cfg, seqLen, maxPredictions, seed);
        Map<String, INDArray> table = graph.getLayer(BertModel.LAYER).paramTable();
        List<Mapping> rows = mapping(cfg.numHiddenLayers());
        Set<String> known = new TreeSet<>();
        List<String> missing = new ArrayList<>();
        Map<String, float[]> loaded = new LinkedHashMap<>();
        for (Mapping row : rows) {
            known.add(row.hf());
            INDArray target = table.get(row.key());
            long[] expected = row.transpose() ? reversed(target.shape()) : target.shape();
            SafeTensors.Tensor tensor = tensors.get(row.hf());
            if (tensor == null) {
                if (!row.tiedCopy()) {
                    (row.part().optionalOnImport() ? fresh : missing).add(row.hf());
                }
                continue;
            }
            if (!Arrays.equals(expected, tensor.shape())) {
                throw new IllegalArgumentException("tensor " + row.hf() + ": expected shape " + Arrays.toString(expected)
                        + " (from config.json), found " + Arrays.toString(tensor.shape()));
            }
            float[] values = tensor.widenedFloats();
            if (row.tiedCopy()) {
                continue;                                        // checked below, once its primary is known
            }
            loaded.put(row.ours(), values);
            INDArray hf = Nd4j.create(values).reshape('c', expected);
            target.assign(row.transpose() ? hf.transpose() : hf);
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("missing tensors (the model body must be complete): " + missing);
        }
        Set<String> unexpected = new TreeSet<>(tensors.keySet());
        unexpected.removeAll(known);
        if (!unexpected.isEmpty()) {
            throw new IllegalArgumentException("unexpected tensors (not part of BertForPreTraining): " + unexpected);
        }
        for (Mapping row : rows) {
            SafeTensors.Tensor copy = tensors.get(row.hf());
            if (!row.tiedCopy() || copy == null) {
                continue;
            }
            float[] primary = loaded.get(row.ours());
            float[] values = copy.widenedFloats();
            if (primary == null) {                               // e.g. only decoder.bias, no predictions.bias
                fresh.remove(hfName(rows, row.ours()));
                loaded.put(row.ours(), values);
                table.get(row.key()).assign(Nd4j.create(values).reshape('c', copy.shape()));
            } else if (!Arrays.equals(primary, values)) {
                throw new IllegalArgumentException("tensor " + row.hf() + " differs from " + hfName(rows, row.ours())
                        + ": an untied MLM decoder is not supported (ours is tied to the embeddings)");
            }
        }
        return graph;
    }

    private static String hfName(List<Mapping> rows, String ours) {
        for (Mapping row : rows) {
            if (row.ours().equals(ours) && !row.tiedCopy()) {
                return row.hf();
            }
        }
        throw new IllegalStateException("no primary mapping for " + ours);
    }

    /**
     * HF's names as BertForPreTraining has them: adds the {@code bert.} prefix to a bare BertModel state dict,
     * renames TF-era LayerNorm {@code gamma}/{@code beta}, and drops the {@code position_ids} buffer.
     */
    static Map<String, SafeTensors.Tensor> normalisedNames(Map<String, SafeTensors.Tensor> byName,
                                                           List<String> ignored) {
        boolean bare = byName.keySet().stream().noneMatch(n -> n.startsWith("bert."));
        Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, SafeTensors.Tensor> e : byName.entrySet()) {
            String name = e.getKey();
            if (name.endsWith("position_ids")) {
                ignored.add(name);
                continue;
            }
            if (bare && !name.startsWith("cls.")) {
                name = "bert." + name;
            }
            if (name.contains("LayerNorm.")) {
                name = name.replaceAll("\\.gamma$", ".weight").replaceAll("\\.beta$", ".bias");
            }
            if (out.put(name, e.getValue()) != null) {
                throw new IllegalArgumentException("tensor " + name + " appears twice (under two spellings)");
            }
        }
        return out;
    }

    private static long[] reversed(long[] shape) {
        long[] out = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            out[i] = shape[shape.length - 1 - i];
        }
        return out;
    }
}
