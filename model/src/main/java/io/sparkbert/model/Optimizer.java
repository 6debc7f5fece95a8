package io.sparkbert.model;

import io.sparkbert.model.train.LinearWarmupDecay;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * How the network updates its parameters: the updater, decoupled weight decay and gradient clipping.
 *
 * <p>BERT's optimizer (docs/design.md §5) in DL4J terms ({@link #adamW}):
 * <ul>
 *   <li>Adam (β1 0.9, β2 0.999, ε 1e-6) with the {@link LinearWarmupDecay} schedule as its learning rate.
 *       DL4J's Adam bias-corrects the moments (as PyTorch's AdamW and HuggingFace's trainer do); Google's
 *       original {@code AdamWeightDecayOptimizer} does not. That is the one deliberate difference: it only
 *       matters in the first few hundred steps, which the warm-up covers.</li>
 *   <li>Decoupled weight decay: DL4J's {@code WeightDecay(coeff, applyLR=true)} is applied AFTER the
 *       updater, as {@code θ ← θ − lr·(adam_update + coeff·θ)} — Loshchilov and Hutter's AdamW and Google's
 *       {@code update += weight_decay_rate * param}. {@link BertPretrainingLayer#getRegularizationByParam}
 *       exempts biases and LayerNorm gains, as Google does.</li>
 *   <li>Clipping by global norm: DL4J's {@code ClipL2PerLayer} rescales the gradient of a layer whose L2
 *       norm exceeds the threshold. The whole BERT is ONE DL4J layer here, so per-layer is global: the same
 *       as {@code tf.clip_by_global_norm(grads, 1.0)}. It acts on the gradient before Adam, as Google's.</li>
 * </ul>
 *
 * @param updater DL4J updater (its learning rate may be a schedule)
 * @param weightDecay decoupled weight decay coefficient (0 = none)
 * @param clipNorm global gradient-norm threshold (0 = no clipping)
 * @param freezeTokenEmbeddings keep the token embedding table fixed (e.g. initialised from GloVe); as the MLM
 *                              decoder is tied to it, the decoder weight stays fixed too (its bias trains)
 */
public record Optimizer(IUpdater updater, double weightDecay, double clipNorm, boolean freezeTokenEmbeddings) {

    public Optimizer(IUpdater updater, double weightDecay, double clipNorm) {
        this(updater, weightDecay, clipNorm, false);
    }

    /** The same optimizer with the token embeddings frozen or not. */
    public Optimizer withFrozenTokenEmbeddings(boolean freeze) {
        return new Optimizer(updater, weightDecay, clipNorm, freeze);
    }

    /** Plain Adam at a fixed rate, no decay, no clipping (tests and small experiments). */
    public static Optimizer adam(double learningRate) {
        return new Optimizer(new Adam(learningRate), 0, 0);
    }

    /** BERT's AdamW with warm-up and linear decay, weight decay and clipping (docs/design.md §5). */
    public static Optimizer adamW(double peakLearningRate, int warmupSteps, int totalSteps, double beta1,
                                  double beta2, double epsilon, double weightDecay, double clipNorm) {
        Adam adam = Adam.builder()
                .learningRateSchedule(new LinearWarmupDecay(peakLearningRate, warmupSteps, totalSteps))
                .beta1(beta1).beta2(beta2).epsilon(epsilon)
                .build();
        return new Optimizer(adam, weightDecay, clipNorm);
    }
}
