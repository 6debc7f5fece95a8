package io.sparkbert.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BertInference;
import io.sparkbert.model.BertModel;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Export to HuggingFace's layout and import back: names, shapes, bits, outputs, and the errors. */
class HuggingFaceCheckpointTest {
    private static final int S = 12;
    private static final int P = 3;
    private static final int LAYERS = 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static Vocab vocab() {
        List<String> tokens = new ArrayList<>(Vocab.SPECIAL_TOKENS);
        tokens.addAll(List.of("the", "lord", "of", "hosts", "spake", "said", "unto", "moses", "and", "god", "light",
                "day", "night", "earth", "heaven"));
        return Vocab.of(tokens);
    }

    private static BertConfig config() {
        return new BertConfig(vocab().size(), 16, LAYERS, 4, 40, "gelu", 0.1, 0.1, 24, 2, 0.02, 1e-12);
    }

    /** A network whose every parameter (biases and gains too) has a distinct random value. */
    private static ComputationGraph randomNetwork(long seed) {
        ComputationGraph graph = BertModel.build(config(), S, P, seed);
        Nd4j.getRandom().setSeed(seed);
        graph.params().assign(Nd4j.randn(DataType.FLOAT, graph.params().shape()).muli(0.5));
        return graph;
    }

    /**
     * The state-dict keys of transformers' BertForPreTraining, written out here from modeling_bert.py's module
     * tree (BertModel: embeddings, encoder.layer[i] = attention.self/query,key,value + attention.output/dense,
     * LayerNorm + intermediate.dense + output.dense, LayerNorm; pooler.dense; BertPreTrainingHeads: predictions
     * = transform.dense, transform.LayerNorm, decoder (weight, bias = the tied bias), bias; seq_relationship),
     * independently of the mapping table. The non-persistent buffers (position_ids, token_type_ids) are not
     * saved by save_pretrained and are not expected.
     */
    static Set<String> bertForPreTrainingKeys(int layers) {
        Set<String> keys = new TreeSet<>();
        for (String e : List.of("word_embeddings", "position_embeddings", "token_type_embeddings")) {
            keys.add("bert.embeddings." + e + ".weight");
        }
        for (String p : List.of("weight", "bias")) {
            keys.add("bert.embeddings.LayerNorm." + p);
            for (int i = 0; i < layers; i++) {
                for (String module : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                        "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense", "output.dense",
                        "output.LayerNorm")) {
                    keys.add("bert.encoder.layer." + i + "." + module + "." + p);
                }
            }
            for (String module : List.of("bert.pooler.dense", "cls.predictions.transform.dense",
                    "cls.predictions.transform.LayerNorm", "cls.predictions.decoder", "cls.seq_relationship")) {
                keys.add(module + "." + p);
            }
        }
        keys.add("cls.predictions.bias");
        return keys;
    }

    @Test
    void exportWritesWhatBertForPreTrainingLoads() throws Exception {
        ComputationGraph graph = randomNetwork(3);
        Path hf = dir.resolve("hf");
        HuggingFaceCheckpoint.write(hf, graph, vocab(), true, SafeTensors.DType.F32, false);
        Set<String> files = new TreeSet<>();
        try (var list = Files.list(hf)) {
            list.forEach(p -> files.add(p.getFileName().toString()));
        }
        assertEquals(Set.of("config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json",
                "model.safetensors"), files);

        // the header, read as plain JSON: exactly BertForPreTraining's keys, F32, [out, in] Linear weights
        byte[] bytes = Files.readAllBytes(hf.resolve("model.safetensors"));
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header padded to 8 bytes");
        JsonNode header = JSON.readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        Set<String> names = new TreeSet<>();
        header.fieldNames().forEachRemaining(names::add);
        assertTrue(names.remove("__metadata__"));
        assertEquals("pt", header.path("__metadata__").path("format").asText(), "HF's loader requires format pt");
        assertEquals(bertForPreTrainingKeys(LAYERS), names);
        header.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("__metadata__")) {
                assertEquals("F32", e.getValue().path("dtype").asText(), e.getKey());
            }
        });
        assertEquals("[40,16]", header.path("bert.encoder.layer.1.intermediate.dense.weight").path("shape").toString());
        assertEquals("[16,40]", header.path("bert.encoder.layer.1.output.dense.weight").path("shape").toString());
        assertEquals("[2,16]", header.path("cls.seq_relationship.weight").path("shape").toString());
        assertEquals("[" + vocab().size() + ",16]",
                header.path("cls.predictions.decoder.weight").path("shape").toString());

        // values: the Linear weight is our matrix transposed, tied copies equal their primary
        SafeTensors.Contents contents = SafeTensors.read(hf.resolve("model.safetensors"));
        INDArray wq = graph.getLayer(BertModel.LAYER).paramTable().get("layer-0/attention/wq");
        INDArray query = Nd4j.create(contents.tensor("bert.encoder.layer.0.attention.self.query.weight").floats())
                .reshape('c', 16, 16);
        assertEquals(wq.transpose(), query);
        assertArrayEquals(contents.tensor("bert.embeddings.word_embeddings.weight").data(),
                contents.tensor("cls.predictions.decoder.weight").data());
        assertArrayEquals(contents.tensor("cls.predictions.bias").data(),
                contents.tensor("cls.predictions.decoder.bias").data());

        JsonNode config = JSON.readTree(hf.resolve("config.json").toFile());
        assertEquals("bert", config.path("model_type").asText());
        assertEquals("BertForPreTraining", config.path("architectures").get(0).asText());
        for (String field : List.of("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                "intermediate_size", "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob",
                "max_position_embeddings", "type_vocab_size", "initializer_range", "layer_norm_eps", "pad_token_id",
                "position_embedding_type")) {
            assertTrue(config.has(field), field);
        }
        assertEquals("gelu", config.path("hidden_act").asText());
        assertEquals(1e-12, config.path("layer_norm_eps").asDouble());
        JsonNode tokenizer = JSON.readTree(hf.resolve("tokenizer_config.json").toFile());
        assertTrue(tokenizer.path("do_lower_case").asBoolean());
        assertEquals(24, tokenizer.path("model_max_length").asInt());
        assertEquals("[MASK]", JSON.readTree(hf.resolve("special_tokens_map.json").toFile()).path("mask_token").asText());
        assertEquals(vocab().tokens(), Files.readAllLines(hf.resolve("vocab.txt")));

        IllegalArgumentException exists = assertThrows(IllegalArgumentException.class,
                () -> HuggingFaceCheckpoint.write(hf, graph, vocab(), true, SafeTensors.DType.F32, false));
        assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());
    }

    @Test
    void roundTripIsBitIdenticalAndInfersTheSame() throws Exception {
        ComputationGraph graph = randomNetwork(5);
        Path ckpt = dir.resolve("ckpt");
        Checkpoint.write(ckpt, graph, vocab(), false, false);
        Checkpoint.Loaded original = Checkpoint.read(ckpt);
        Path hf = dir.resolve("hf");
        HuggingFaceCheckpoint.write(hf, original.graph(), original.vocab(), original.uncased(), SafeTensors.DType.F32,
                false);

        HuggingFaceCheckpoint.Imported imported = HuggingFaceCheckpoint.read(hf, S, P, 99);
        assertEquals(List.of(), imported.freshlyInitialised());
        assertEquals(config(), imported.config());
        assertEquals(false, imported.uncased());
        Path back = dir.resolve("back");
        Checkpoint.write(back, imported.graph(), imported.vocab(), imported.uncased(), false);
        Checkpoint.Loaded reloaded = Checkpoint.read(back);
        assertArrayEquals(graph.params().toFloatVector(), reloaded.graph().params().toFloatVector(),
                "bit-identical parameters after export, import and a checkpoint write");
        assertEquals(vocab().tokens(), reloaded.vocab().tokens());

        // identical inference outputs on a padded batch
        INDArray ids = Nd4j.createFromArray(new int[][] {
            {2, 5, 6, 4, 7, 8, 3, 9, 10, 3, 0, 0}, {2, 11, 12, 13, 3, 0, 0, 0, 0, 0, 0, 0}});
        INDArray types = Nd4j.createFromArray(new int[][] {
            {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}});
        INDArray mask = Nd4j.createFromArray(new int[][] {
            {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0}});
        INDArray positions = Nd4j.createFromArray(new int[][] {{3, 1, 0}, {2, 0, 0}});
        BertInference.Outputs a = new BertInference(original).run(ids, types, mask, positions);
        BertInference.Outputs b = new BertInference(reloaded).run(ids, types, mask, positions);
        assertArrayEquals(a.sequenceOutput().reshape(-1).toFloatVector(), b.sequenceOutput().reshape(-1).toFloatVector());
        assertArrayEquals(a.mlmLogits().reshape(-1).toFloatVector(), b.mlmLogits().reshape(-1).toFloatVector());
        assertArrayEquals(a.nspLogits().reshape(-1).toFloatVector(), b.nspLogits().reshape(-1).toFloatVector());
        assertArrayEquals(a.pooledOutput().reshape(-1).toFloatVector(), b.pooledOutput().reshape(-1).toFloatVector());
    }

    @Test
    void halfAndBfloat16ExportsImportAsTheirRoundedValues() throws Exception {
        ComputationGraph graph = randomNetwork(7);
        for (SafeTensors.DType dtype : List.of(SafeTensors.DType.F16, SafeTensors.DType.BF16)) {
            Path hf = dir.resolve("hf-" + dtype);
            HuggingFaceCheckpoint.write(hf, graph, vocab(), true, dtype, false);
            assertEquals(dtype == SafeTensors.DType.F16 ? "float16" : "bfloat16",
                    JSON.readTree(hf.resolve("config.json").toFile()).path("torch_dtype").asText());
            ComputationGraph imported = HuggingFaceCheckpoint.read(hf, S, P, 1).graph();
            float[] expected = graph.params().toFloatVector();
            for (int i = 0; i < expected.length; i++) {
                expected[i] = dtype == SafeTensors.DType.F16
                        ? SafeTensors.halfToFloat(SafeTensors.floatToHalf(expected[i]))
                        : SafeTensors.bfloat16ToFloat(SafeTensors.floatToBfloat16(expected[i]));
            }
            assertArrayEquals(expected, imported.params().toFloatVector(), dtype.toString());
        }
    }

    /** Writes an HF directory from our export with its tensors passed through {@code edit}. */
    private Path editedExport(String name, Function<Map<String, SafeTensors.Tensor>, Map<String, SafeTensors.Tensor>> edit)
            throws Exception {
        Path hf = dir.resolve(name);
        HuggingFaceCheckpoint.write(hf, randomNetwork(9), vocab(), true, SafeTensors.DType.F32, false);
        Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
        for (SafeTensors.Tensor t : SafeTensors.read(hf.resolve("model.safetensors")).tensors()) {
            tensors.put(t.name(), t);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SafeTensors.write(new ArrayList<>(edit.apply(tensors).values()), Map.of("format", "pt"), out);
        Files.write(hf.resolve("model.safetensors"), out.toByteArray());
        return hf;
    }

    private String importError(Path hf) {
        return assertThrows(IllegalArgumentException.class, () -> HuggingFaceCheckpoint.read(hf, S, P, 1)).getMessage();
    }

    @Test
    void clearErrorsNameTheTensorAndTheProblem() throws Exception {
        String shape = importError(editedExport("shape", t -> {
            t.put("bert.encoder.layer.1.attention.self.key.weight", SafeTensors.Tensor.ofFloats(
                    "bert.encoder.layer.1.attention.self.key.weight", new long[] {16, 8}, new float[128]));
            return t;
        }));
        assertTrue(shape.contains("bert.encoder.layer.1.attention.self.key.weight") && shape.contains("[16, 16]")
                && shape.contains("[16, 8]"), shape);

        String missing = importError(editedExport("missing", t -> {
            t.remove("bert.encoder.layer.0.output.LayerNorm.bias");
            return t;
        }));
        assertTrue(missing.contains("missing") && missing.contains("bert.encoder.layer.0.output.LayerNorm.bias"),
                missing);

        String unexpected = importError(editedExport("unexpected", t -> {
            t.put("classifier.weight", SafeTensors.Tensor.ofFloats("classifier.weight", new long[] {2}, new float[2]));
            return t;
        }));
        assertTrue(unexpected.contains("unexpected") && unexpected.contains("classifier.weight"), unexpected);

        String untied = importError(editedExport("untied", t -> {
            SafeTensors.Tensor d = t.get("cls.predictions.decoder.weight");
            float[] v = d.floats();
            v[0] += 1f;
            t.put(d.name(), SafeTensors.Tensor.ofFloats(d.name(), d.shape(), v));
            return t;
        }));
        assertTrue(untied.contains("cls.predictions.decoder.weight") && untied.contains("untied"), untied);

        String dtype = importError(editedExport("dtype", t -> {
            SafeTensors.Tensor b = t.get("cls.seq_relationship.bias");
            t.put(b.name(), new SafeTensors.Tensor(b.name(), SafeTensors.DType.I32, b.shape(), new byte[8]));
            return t;
        }));
        assertTrue(dtype.contains("cls.seq_relationship.bias") && dtype.contains("unsupported dtype I32"), dtype);

        // a dtype the format has but we do not read at all
        Path fp8 = editedExport("fp8", t -> t);
        byte[] bytes = Files.readAllBytes(fp8.resolve("model.safetensors"));
        int headerLength = (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        byte[] header = new String(bytes, 8, headerLength, StandardCharsets.UTF_8)
                .replaceFirst("\"dtype\":\"F32\"", "\"dtype\":\"F8_E4M3\"").getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream edited = new ByteArrayOutputStream();
        edited.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
        edited.write(header);
        edited.write(bytes, 8 + headerLength, bytes.length - 8 - headerLength);
        Files.write(fp8.resolve("model.safetensors"), edited.toByteArray());
        String fp8Error = importError(fp8);
        assertTrue(fp8Error.contains("unsupported dtype F8_E4M3"), fp8Error);

        Path truncated = editedExport("truncated", t -> t);
        byte[] whole = Files.readAllBytes(truncated.resolve("model.safetensors"));
        Files.write(truncated.resolve("model.safetensors"), Arrays.copyOf(whole, whole.length - 100));
        String cut = importError(truncated);
        assertTrue(cut.contains("model.safetensors") && cut.contains("truncated"), cut);

        Path noVocab = editedExport("novocab", t -> t);
        Files.delete(noVocab.resolve("vocab.txt"));
        assertTrue(importError(noVocab).contains("vocab.txt is missing"));

        Path relative = editedExport("relative", t -> t);
        Files.writeString(relative.resolve("config.json"), Files.readString(relative.resolve("config.json"))
                .replace("\"absolute\"", "\"relative_key\""));
        assertTrue(importError(relative).contains("position_embedding_type"));
    }

    @Test
    void aBareBertModelImportsWithFreshHeads() throws Exception {
        // BertModel's own state dict: no "bert." prefix, no pretraining heads, TF-era LayerNorm names
        ComputationGraph source = randomNetwork(11);
        Path hf = dir.resolve("bare");
        HuggingFaceCheckpoint.write(hf, source, vocab(), true, SafeTensors.DType.F32, false);
        List<SafeTensors.Tensor> bare = new ArrayList<>();
        for (SafeTensors.Tensor t : SafeTensors.read(hf.resolve("model.safetensors")).tensors()) {
            if (t.name().startsWith("bert.") && !t.name().startsWith("bert.pooler")) {
                String name = t.name().substring("bert.".length()).replace("embeddings.LayerNorm.weight",
                        "embeddings.LayerNorm.gamma");
                bare.add(new SafeTensors.Tensor(name, t.dtype(), t.shape(), t.data()));
            }
        }
        bare.add(new SafeTensors.Tensor("embeddings.position_ids", SafeTensors.DType.I64, new long[] {1, 24},
                new byte[8 * 24]));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SafeTensors.write(bare, Map.of("format", "pt"), out);
        Files.write(hf.resolve("model.safetensors"), out.toByteArray());

        HuggingFaceCheckpoint.Imported imported = HuggingFaceCheckpoint.read(hf, S, P, 1);
        assertEquals(List.of("embeddings.position_ids"), imported.ignored());
        assertTrue(imported.freshlyInitialised().containsAll(List.of("bert.pooler.dense.weight",
                "cls.predictions.bias", "cls.predictions.transform.dense.weight", "cls.seq_relationship.weight")),
                imported.freshlyInitialised().toString());
        Map<String, INDArray> got = imported.graph().getLayer(BertModel.LAYER).paramTable();
        Map<String, INDArray> want = source.getLayer(BertModel.LAYER).paramTable();
        for (String key : List.of("embeddings/token", "embeddings/ln/gain", "layer-1/ffn/w2", "layer-0/attention/bv")) {
            assertEquals(want.get(key), got.get(key), key);
        }
        INDArray freshInit = BertModel.build(config(), S, P, 1).getLayer(BertModel.LAYER).paramTable().get("nsp/pooler/w");
        assertEquals(freshInit, got.get("nsp/pooler/w"), "missing heads keep init's initialisation");
    }
}
