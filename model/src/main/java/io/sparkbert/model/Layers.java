package io.sparkbert.model;

import java.util.Random;

import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Listener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SDIndex;
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
        return addBias(x.mmul(w), b);
    }

    /**
     * Outputs at least this wide get their bias as a matrix product (see {@link #addBias}); narrower ones as a
     * broadcast add, which is faster for them (bert-mini's 256-wide outputs, measured with StepProfile).
     */
    static final long BIAS_AS_MATMUL_MIN_WIDTH = 512;

    /**
     * y + b for a 2-D y [N, M] and b [M]. The value is the same whichever way it is computed; what differs is
     * the backward pass. A broadcast add's gradient for b sums the incoming gradient down the N rows, which
     * libnd4j does element by element along a strided axis (a fifth of a bert-mini step went to such
     * reductions). Written as y + ones[N, 1]·bᵀ, the same sum is a BLAS matrix product (onesᵀ·dy) and the
     * forward value is bit-identical (1·b is b, and each element is y + b as before). For narrow outputs the
     * extra products cost more than they save, so they keep the broadcast add.
     */
    public static SDVariable addBias(SDVariable y, SDVariable b) {
        long width = b.getShape()[0];
        if (width < BIAS_AS_MATMUL_MIN_WIDTH) {
            return y.add(b);
        }
        return y.add(columnOfOnes(y).mmul(b.reshape(1, width)));
    }

    /** ones [N, 1] for a 2-D y [N, M], N known only at run time; no gradient flows through it. */
    private static SDVariable columnOfOnes(SDVariable y) {
        SameDiff sd = y.getSameDiff();
        SDVariable rows = sd.shape(y).get(SDIndex.interval(0, 1));                       // [1] = {N}
        SDVariable shape = sd.concat(0, rows, sd.constant(Nd4j.createFromArray(1L)));       // {N, 1}
        return sd.fill(shape, y.dataType(), 1.0);
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
        long hidden = gain.getShape()[0];
        SDVariable mean = x.mean(true, 1);                                         // [N, 1]
        SDVariable centered = x.sub(mean);                                         // [N, H]
        SDVariable variance = centered.mul(centered).mean(true, 1);                // [N, 1]
        SDVariable inverseStd = sd.math().rsqrt(variance.add(eps));                 // [N, 1]
        // (x - mean) · r · gain as ONE elementwise product with the outer product r·gainᵀ [N, H]: the gradients
        // of r and gain are then matrix products (BLAS) instead of two broadcast products whose backward passes
        // reduce along both axes (a sixth of a bert-mini step in libnd4j's strided reductions).
        SDVariable scale = inverseStd.mmul(gain.reshape(1, hidden));                // [N, H]
        return addBias(centered.mul(scale), bias);
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
        // the 1/(1 - rate) scale folded into the mask: one product with x (and one backward) instead of two;
        // bit-identical, since the mask's values are exactly 0 and 1/(1 - rate)
        SDVariable keepScaled = uniform.gte(rate).castTo(x.dataType()).mul(1.0 / (1.0 - rate));
        return x.mul(keepScaled);
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
     * The random source that draws nothing: {@link #truncatedNormal} gives zeros for it. For parameters of which
     * only names, shapes and types matter (a template, a graph whose values are assigned right after), where a
     * bert-mini with BERT's vocabulary would draw 11 million values (half a second) to throw away.
     */
    public static final Random SHAPES_ONLY = new Random(0);

    /**
     * A truncated normal initialisation as Google's BERT ({@code tf.truncated_normal_initializer}): draws
     * from N(0, std²) and redraws any value beyond two standard deviations. Deterministic for a seed.
     */
    public static INDArray truncatedNormal(Random rng, double std, DataType dataType, long... shape) {
        if (rng == SHAPES_ONLY) {
            return Nd4j.zeros(dataType, shape);
        }
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
