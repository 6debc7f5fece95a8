package io.sparkbert.model;

import java.util.Random;

import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Listener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.random.custom.DistributionUniform;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The small building blocks every BERT part uses, written out in plain SameDiff ops so that each one's
 * exact formula is visible here (and not hidden in an op whose definition differs from Google's BERT).
 *
 * <pre>
 * dense      x [N, in] · W [in, out] + b [out]            -> [N, out]
 * layerNorm  over the last axis of x [N, H], gain/bias [H] -> [N, H]   (biased variance, eps inside sqrt)
 * gelu       0.5·x·(1 + erf(x/√2)), elementwise           -> same shape
 * dropout    inverted dropout, x·keep/(1-rate)             -> same shape
 * </pre>
 *
 * All dense/LayerNorm inputs are 2-D: blocks reshape [B, S, H] to [B·S, H] around them, as Google's
 * modeling.py does ({@code reshape_to_matrix}).
 */
public final class Layers {

    private Layers() {
    }

    /** x·W + b for a 2-D x. */
    public static SDVariable dense(SDVariable x, SDVariable w, SDVariable b) {
        return x.mmul(w).add(b);
    }

    /**
     * Exact GELU, 0.5·x·(1 + erf(x/√2)), as in Google's BERT. Built from {@code erf} because SameDiff's
     * {@code nn().gelu} and {@code nn().preciseGelu} are approximations: on [-4, 4] they differ from the
     * exact form by up to 0.020 and 0.033 in M2.1 (measured in LayersTest).
     */
    public static SDVariable gelu(SameDiff sd, SDVariable x) {
        SDVariable cdf = sd.math().erf(x.mul(1.0 / Math.sqrt(2.0))).add(1.0).mul(0.5);
        return x.mul(cdf);
    }

    /**
     * LayerNorm over the last axis of a 2-D x: (x - mean) / sqrt(var + eps) · gain + bias with the biased
     * (population) variance, as {@code tf.nn.moments} in Google's BERT. Written out because SameDiff's
     * {@code nn().layerNorm} has no epsilon parameter, and BERT's is 1e-12.
     */
    public static SDVariable layerNorm(SameDiff sd, SDVariable x, SDVariable gain, SDVariable bias, double eps) {
        SDVariable mean = x.mean(true, 1);
        SDVariable centered = x.sub(mean);
        SDVariable variance = sd.math().square(centered).mean(true, 1);
        SDVariable normalized = centered.mul(sd.math().rsqrt(variance.add(eps)));
        return normalized.mul(gain).add(bias);
    }

    /**
     * Inverted dropout: each element is kept with probability 1 - rate and scaled by 1/(1 - rate), so
     * nothing has to be rescaled at inference. A rate of 0 adds no op at all (the graph used for gradient
     * checks and inference is then deterministic). The keep mask is drawn from a uniform op with the
     * runtime shape of x; SameDiff's own dropout ops are avoided because their backprop is not
     * supported in SameDiff (and the legacy {@code DropOutInverted} op needs a static shape, so it fails
     * on the free batch dimension).
     *
     * <h2>Fresh mask per execution ({@link FreshRandomness})</h2>
     * In M2.1 a custom random op run by SameDiff repeats the SAME values at every execution: the
     * {@code InferenceSession} executes each op through its own cached native {@code OpContext}, which
     * it creates with {@code buildContext()} but never gives {@code setRngStates(...)}; the native
     * {@code randomuniform} op draws from that context's generator (no seed argument exists), whose state
     * is the fixed default. {@code Nd4j.getRandom().setSeed} therefore has no effect on the graph (only
     * {@code Nd4j.exec(op)} without a context copies the global state, and even that does not advance it).
     * The fix: the first dropout added to a graph registers a {@link FreshRandomness} listener on it,
     * which, right before every execution of a {@link DistributionUniform} op, sets the op context's RNG
     * states from two draws of {@code Nd4j.getRandom()} (so the mask changes at every execution and is
     * reproducible after {@code Nd4j.getRandom().setSeed}). SameDiff also runs the listeners of a graph in
     * the gradient function ({@code calculateGradients}, DL4J's backprop of a SameDiff layer), so training
     * gets a fresh mask per step. The mask is not differentiated: its only input is the integer shape.
     * Listeners are not serialised with a SameDiff graph: one re-loaded with {@code SameDiff.load} needs
     * {@code sd.addListeners(new Layers.FreshRandomness())} again (DL4J layers rebuild their graph, so
     * they get it back by themselves). Note the forward pass and the backprop pass of one DL4J step are
     * separate executions, so they draw different masks; the gradient uses one consistent mask.
     */
    public static SDVariable dropout(SameDiff sd, SDVariable x, double rate) {
        if (rate == 0.0) {
            return x;
        }
        if (rate < 0.0 || rate >= 1.0) {
            throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + rate);
        }
        FreshRandomness.register(sd);
        SDVariable uniform = new DistributionUniform(sd, sd.shape(x), 0.0, 1.0, x.dataType()).outputVariable();
        SDVariable keep = uniform.gte(rate).castTo(x.dataType());
        return x.mul(keep).mul(1.0 / (1.0 - rate));
    }

    /**
     * Gives every {@link DistributionUniform} op of a SameDiff graph new RNG states, drawn from
     * {@code Nd4j.getRandom()}, before each of its executions (see {@link #dropout} for why).
     */
    public static final class FreshRandomness extends BaseListener {

        /** Adds the listener to {@code sd} unless it already has one. */
        public static void register(SameDiff sd) {
            for (Listener l : sd.getListeners()) {
                if (l instanceof FreshRandomness) {
                    return;
                }
            }
            sd.addListeners(new FreshRandomness());
        }

        @Override
        public boolean isActive(Operation operation) {
            return true;
        }

        @Override
        public void preOpExecution(SameDiff sd, At at, SameDiffOp op, OpContext opContext) {
            if (op.getOp() instanceof DistributionUniform && opContext != null) {
                org.nd4j.linalg.api.rng.Random rng = Nd4j.getRandom();
                opContext.setRngStates(rng.nextLong(), rng.nextLong());
            }
        }
    }

    /**
     * A truncated normal initialisation as Google's BERT ({@code tf.truncated_normal_initializer}): draws
     * from N(0, std²) and redraws any value beyond two standard deviations. Deterministic for a seed.
     */
    public static INDArray truncatedNormal(Random rng, double std, DataType dataType, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        double[] values = new double[Math.toIntExact(n)];
        for (int i = 0; i < values.length; i++) {
            double v;
            do {
                v = rng.nextGaussian();
            } while (Math.abs(v) > 2.0);
            values[i] = v * std;
        }
        return Nd4j.create(values, shape, DataType.DOUBLE).castTo(dataType);
    }
}
