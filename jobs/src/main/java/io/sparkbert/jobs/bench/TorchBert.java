package io.sparkbert.jobs.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import io.sparkbert.model.BertConfig;
import io.sparkbert.model.checkpoint.HuggingFaceCheckpoint;
import io.sparkbert.model.checkpoint.SafeTensors;
import io.sparkbert.model.train.SampleBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The reference peer of our BERT ({@code io.sparkbert.model.BertPretraining}): the same model written in DJL
 * NDArray operations on its PyTorch engine, with PyTorch's autograd for the gradients. Parameters are held
 * under HuggingFace's {@code BertForPreTraining} names and layouts ({@link HuggingFaceCheckpoint#mapping}),
 * so {@link #load} starts from a model our export wrote.
 *
 * <pre>
 * B batch, S sequence length, P max predictions, H hidden, A heads, dk = H/A, I intermediate, V vocab
 * input_ids, token_type_ids, attention_mask [B, S]; masked_lm_positions, masked_lm_ids, masked_lm_weights [B, P];
 * next_sentence_label [B]
 *
 * x     = Dropout(LN(word[ids] + token_type[types] + position[0..S-1]))        [B, S, H]
 * per layer (post-LN):
 *   Q,K,V = x·Wᵀ + b -> [B, A, S, dk];  probs = Dropout(softmax(Q·Kᵀ/√dk + (1 - mask)·(-10000)))
 *   h     = LN1(x + Dropout((probs·V -> [B, S, H])·Woᵀ + bo))
 *   x     = LN2(h + Dropout(GELU(h·W1ᵀ + b1)·W2ᵀ + b2))                            GELU exact (erf)
 * MLM:  g = x[b, positions[b, p]] [B·P, H];  t = LN(GELU(g·Wtᵀ + bt));  logits = t·wordᵀ + bias [B·P, V]
 *       loss = Σ w·nll / (Σ w + 1e-5)                                               decoder TIED to word
 * NSP:  pooled = tanh(x[:, 0]·Wpᵀ + bp);  logits = pooled·Wcᵀ + bc [B, 2];  loss = mean nll
 * loss = mlm + nsp;  every LN: biased variance, eps inside the sqrt (1e-12)
 * </pre>
 *
 * Linear weights are [out, in] as in PyTorch ({@code nn.Linear}); ours are [in, out], the export transposes.
 * The decoder is the word-embedding array itself, so PyTorch adds the lookup's and the decoder's gradients
 * into one parameter, as our single SameDiff graph does.
 */
public final class TorchBert implements AutoCloseable {

    /** What one forward pass gives: the losses (scalars) and the logits. */
    public record Output(NDArray loss, NDArray mlmLoss, NDArray nspLoss, NDArray mlmLogits, NDArray nspLogits) {
    }

    private final BertConfig cfg;
    private final NDManager manager;
    /** HF name -> parameter, in HF's state-dict order (without the tied copies). */
    private final Map<String, NDArray> params;

    private TorchBert(BertConfig cfg, NDManager manager, Map<String, NDArray> params) {
        this.cfg = cfg;
        this.manager = manager;
        this.params = params;
        for (NDArray p : params.values()) {
            p.setRequiresGradient(true);
        }
    }

    /** A fresh model: truncated normal (std initializerRange, redrawn beyond 2 std) weights, zero biases, unit gains. */
    public static TorchBert create(NDManager parent, BertConfig cfg, long seed) {
        NDManager manager = parent.newSubManager();
        Random rng = new Random(seed);
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes(cfg).entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            float[] values = new float[Math.toIntExact(new Shape(shape).size())];
            if (isGain(name)) {
                java.util.Arrays.fill(values, 1f);
            } else if (!isBias(name)) {
                for (int i = 0; i < values.length; i++) {
                    double v;
                    do {
                        v = rng.nextGaussian();
                    } while (Math.abs(v) > 2.0);
                    values[i] = (float) (v * cfg.initializerRange());
                }
            }
            params.put(name, manager.create(values, new Shape(shape)));
        }
        return new TorchBert(cfg, manager, params);
    }

    /** A model starting from a HF {@code model.safetensors} (F32, F16 or BF16) with the shapes {@code cfg} implies. */
    public static TorchBert load(NDManager parent, BertConfig cfg, Path safetensors) throws IOException {
        SafeTensors.Contents contents = SafeTensors.read(safetensors);
        NDManager manager = parent.newSubManager();
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes(cfg).entrySet()) {
            SafeTensors.Tensor t = contents.tensor(e.getKey());
            if (t == null) {
                throw new IllegalArgumentException(safetensors + " has no tensor " + e.getKey());
            }
            if (!java.util.Arrays.equals(t.shape(), e.getValue())) {
                throw new IllegalArgumentException(e.getKey() + ": expected shape "
                        + java.util.Arrays.toString(e.getValue()) + ", found " + java.util.Arrays.toString(t.shape()));
            }
            params.put(e.getKey(), manager.create(t.widenedFloats(), new Shape(t.shape())));
        }
        return new TorchBert(cfg, manager, params);
    }

    /** HF name -> shape of every parameter (no tied copies), in HF's state-dict order. */
    static Map<String, long[]> shapes(BertConfig cfg) {
        long h = cfg.hiddenSize();
        long i = cfg.intermediateSize();
        Map<String, long[]> out = new LinkedHashMap<>();
        for (HuggingFaceCheckpoint.Mapping m : HuggingFaceCheckpoint.mapping(cfg.numHiddenLayers())) {
            if (m.tiedCopy()) {
                continue;
            }
            String n = m.hf();
            long[] shape;
            if (n.endsWith("word_embeddings.weight")) {
                shape = new long[] {cfg.vocabSize(), h};
            } else if (n.endsWith("position_embeddings.weight")) {
                shape = new long[] {cfg.maxPositionEmbeddings(), h};
            } else if (n.endsWith("token_type_embeddings.weight")) {
                shape = new long[] {cfg.typeVocabSize(), h};
            } else if (n.equals("cls.predictions.bias")) {
                shape = new long[] {cfg.vocabSize()};
            } else if (n.equals("cls.seq_relationship.weight")) {
                shape = new long[] {2, h};
            } else if (n.equals("cls.seq_relationship.bias")) {
                shape = new long[] {2};
            } else if (n.endsWith("intermediate.dense.weight")) {
                shape = new long[] {i, h};
            } else if (n.endsWith("intermediate.dense.bias")) {
                shape = new long[] {i};
            } else if (n.endsWith("output.dense.weight") && !n.contains("attention")) {
                shape = new long[] {h, i};
            } else if (n.endsWith(".weight") && !n.contains("LayerNorm")) {
                shape = new long[] {h, h};
            } else {
                shape = new long[] {h};
            }
            out.put(n, shape);
        }
        return out;
    }

    static boolean isGain(String name) {
        return name.contains("LayerNorm") && name.endsWith(".weight");
    }

    static boolean isBias(String name) {
        return name.endsWith(".bias");
    }

    /** Decoupled weight decay applies to weight matrices and embedding tables, not to biases or LayerNorm. */
    static boolean decays(String name) {
        return !isGain(name) && !isBias(name);
    }

    public BertConfig config() {
        return cfg;
    }

    /** The parameters under their HF names (live arrays, requiring gradients). */
    public Map<String, NDArray> params() {
        return params;
    }

    /** The seven columns of a batch as arrays on {@code m}: int64 ids/positions/labels, float mask and weights. */
    public static NDArray[] inputs(NDManager m, SampleBatch b) {
        return new NDArray[] {
            m.create(b.inputIds()).toType(DataType.INT64, false),
            m.create(b.tokenTypeIds()).toType(DataType.INT64, false),
            m.create(b.attentionMask()).toType(DataType.FLOAT32, false),
            m.create(b.maskedLmPositions()).toType(DataType.INT64, false),
            m.create(b.maskedLmIds()).toType(DataType.INT64, false),
            m.create(b.maskedLmWeights()),
            m.create(b.nextSentenceLabel()).toType(DataType.INT64, false)};
    }

    /**
     * The forward pass and losses of a batch ({@link #inputs}). With {@code training}, dropout at the config's
     * rates. New arrays belong to the caller's scope (use an {@code NDScope} or close them).
     */
    public Output forward(NDArray[] in, boolean training) {
        NDArray ids = in[0];
        NDArray types = in[1];
        NDArray mask = in[2];
        NDArray positions = in[3];
        NDArray lmIds = in[4];
        NDArray lmWeights = in[5];
        NDArray nsp = in[6];
        long batch = ids.getShape().get(0);
        long seq = ids.getShape().get(1);
        int hidden = cfg.hiddenSize();
        float eps = (float) cfg.layerNormEps();
        float hiddenDrop = training ? (float) cfg.hiddenDropoutProb() : 0f;
        float probsDrop = training ? (float) cfg.attentionProbsDropoutProb() : 0f;
        NDArrayEx ex = ids.getNDArrayInternal();

        // embeddings
        NDArray word = p("bert.embeddings.word_embeddings.weight");
        NDArray x = ex.embedding(ids, word, SparseFormat.DENSE).head()
                .add(ex.embedding(types, p("bert.embeddings.token_type_embeddings.weight"), SparseFormat.DENSE).head())
                .add(p("bert.embeddings.position_embeddings.weight").get(new NDIndex("0:{}", seq)));
        x = dropout(layerNorm(x, "bert.embeddings.LayerNorm", eps), hiddenDrop, training);       // [B, S, H]

        // encoder
        NDArray keyBias = mask.neg().add(1f).mul((float) io.sparkbert.model.SelfAttention.MASK_BIAS)
                .reshape(batch, 1, 1, seq);                                                     // [B, 1, 1, S]
        int heads = cfg.numAttentionHeads();
        long dk = hidden / heads;
        for (int l = 0; l < cfg.numHiddenLayers(); l++) {
            String pre = "bert.encoder.layer." + l;
            NDArray q = splitHeads(linear(x, pre + ".attention.self.query"), batch, seq, heads, dk);
            NDArray k = splitHeads(linear(x, pre + ".attention.self.key"), batch, seq, heads, dk);
            NDArray v = splitHeads(linear(x, pre + ".attention.self.value"), batch, seq, heads, dk);
            NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul((float) (1.0 / Math.sqrt(dk))).add(keyBias);
            NDArray probs = dropout(scores.softmax(3), probsDrop, training);                       // [B, A, S, S]
            NDArray context = probs.matMul(v).transpose(0, 2, 1, 3).reshape(batch, seq, hidden);   // [B, S, H]
            NDArray attn = dropout(linear(context, pre + ".attention.output.dense"), hiddenDrop, training);
            NDArray h = layerNorm(x.add(attn), pre + ".attention.output.LayerNorm", eps);
            NDArray inner = gelu(linear(h, pre + ".intermediate.dense"));                        // [B, S, I]
            NDArray ffn = dropout(linear(inner, pre + ".output.dense"), hiddenDrop, training);
            x = layerNorm(h.add(ffn), pre + ".output.LayerNorm", eps);
        }

        // MLM head: rows b·S + positions[b, p] of the [B·S, H] matrix (an embedding lookup, differentiable in x)
        long predictions = positions.getShape().get(1);
        NDArray rowStarts = ids.getManager().arange(0, Math.toIntExact(batch * seq), Math.toIntExact(seq))
                .toType(DataType.INT64, false).reshape(batch, 1);                                   // b·S
        NDArray flat = positions.add(rowStarts).reshape(-1);                                        // [B·P]
        NDArray gathered = ex.embedding(flat, x.reshape(batch * seq, hidden), SparseFormat.DENSE).head(); // [B·P, H]
        NDArray t = layerNorm(gelu(linear(gathered, "cls.predictions.transform.dense")),
                "cls.predictions.transform.LayerNorm", eps);
        NDArray mlmLogits = ex.linear(t, word, p("cls.predictions.bias")).head();                  // [B·P, V]
        NDArray nll = mlmLogits.logSoftmax(1).gather(lmIds.reshape(batch * predictions, 1), 1).reshape(-1).neg();
        NDArray w = lmWeights.reshape(-1);
        NDArray mlmLoss = nll.mul(w).sum().div(w.sum().add(1e-5f));

        // NSP head on [CLS]
        NDArray cls = x.get(new NDIndex(":, 0, :"));                                             // [B, H]
        NDArray pooled = linear(cls, "bert.pooler.dense").tanh();
        NDArray nspLogits = linear(pooled, "cls.seq_relationship");                               // [B, 2]
        NDArray nspLoss = nspLogits.logSoftmax(1).gather(nsp.reshape(batch, 1), 1).neg().mean();

        return new Output(mlmLoss.add(nspLoss), mlmLoss, nspLoss, mlmLogits, nspLogits);
    }

    private NDArray p(String name) {
        NDArray a = params.get(name);
        if (a == null) {
            throw new IllegalStateException("no parameter " + name);
        }
        return a;
    }

    private NDArray linear(NDArray x, String prefix) {
        return x.getNDArrayInternal().linear(x, p(prefix + ".weight"), p(prefix + ".bias")).head();
    }

    private NDArray layerNorm(NDArray x, String prefix, float eps) {
        return x.getNDArrayInternal().layerNorm(x, new Shape(cfg.hiddenSize()), p(prefix + ".weight"),
                p(prefix + ".bias"), eps).head();
    }

    /** PyTorch's GELU, whose default is the exact form 0.5·x·(1 + erf(x/√2)). */
    private static NDArray gelu(NDArray x) {
        return x.getNDArrayInternal().gelu();
    }

    private static NDArray dropout(NDArray x, float rate, boolean training) {
        return rate == 0f ? x : x.getNDArrayInternal().dropout(x, rate, training).head();
    }

    /** [B, S, H] -> [B, A, S, dk]. */
    private static NDArray splitHeads(NDArray t, long batch, long seq, int heads, long dk) {
        return t.reshape(batch, seq, heads, dk).transpose(0, 2, 1, 3);
    }

    @Override
    public void close() {
        manager.close();
    }
}
