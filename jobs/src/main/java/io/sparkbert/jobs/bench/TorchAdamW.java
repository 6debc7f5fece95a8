package io.sparkbert.jobs.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sparkbert.model.train.LinearWarmupDecay;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Our optimizer ({@code io.sparkbert.model.Optimizer#adamW} as DL4J M2.1 applies it) for {@link TorchBert},
 * formula for formula. Per step t (0-based, DL4J's iteration count), with g the gradient of the mean loss:
 *
 * <pre>
 * lr     = LinearWarmupDecay(peak, warmup, total).valueAt(t)
 * g      = g · clip / ‖g‖   if ‖g‖ > clip        ‖g‖ the L2 norm over ALL parameters (DL4J's ClipL2PerLayer on
 *                                                  our one-layer network), before Adam
 * m      = β1·m + (1-β1)·g;   v = β2·v + (1-β2)·g²
 * α      = lr · √(1-β2^(t+1)) / (1-β1^(t+1));  if α is 0, NaN or ∞ then α = ε      (libnd4j adamUpdater)
 * update = α·m / (√v + ε)                       (ε NOT bias-corrected, unlike PyTorch's AdamW)
 * update += wd · lr · θ                          only weights and embedding tables (DL4J WeightDecay, applyLR)
 * θ      = θ - update
 * </pre>
 *
 * The α = ε fallback is DL4J's: at t = 0 the warm-up makes lr 0, and libnd4j then steps by
 * ε·m/(√v + ε) ≈ 3e-6·sign(g) instead of 0. The peer copies it so that both runs stay identical.
 * State (m, v per parameter) lives in the manager given at construction.
 */
public final class TorchAdamW implements AutoCloseable {
    private final LinearWarmupDecay schedule;
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final double weightDecay;
    private final double clipNorm;
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();

    public TorchAdamW(NDManager parent, Map<String, NDArray> params, LinearWarmupDecay schedule, double beta1,
                      double beta2, double epsilon, double weightDecay, double clipNorm) {
        this.schedule = schedule;
        this.beta1 = (float) beta1;
        this.beta2 = (float) beta2;
        this.epsilon = (float) epsilon;
        this.weightDecay = weightDecay;
        this.clipNorm = clipNorm;
        this.manager = parent.newSubManager();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            m.put(e.getKey(), manager.zeros(e.getValue().getShape()));
            v.put(e.getKey(), manager.zeros(e.getValue().getShape()));
        }
    }

    /** The learning rate of step t. */
    public double learningRate(int t) {
        return schedule.valueAt(t, 0);
    }

    /**
     * Applies step t to {@code params} from their gradients, then zeroes the gradients (PyTorch accumulates).
     * Call outside a gradient collector; temporaries belong to the caller's scope. Returns the gradient norm
     * before clipping.
     */
    public double step(Map<String, NDArray> params, int t) {
        Map<String, NDArray> grads = new LinkedHashMap<>();
        NDArray sumSquares = null;
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray g = e.getValue().getGradient();
            grads.put(e.getKey(), g);
            NDArray s = g.square().sum();
            sumSquares = sumSquares == null ? s : sumSquares.add(s);
        }
        double norm = Math.sqrt(sumSquares.getFloat());
        double lr = learningRate(t);
        float lrF = (float) lr;
        float beta1T = (float) Math.pow(beta1, t + 1);
        float beta2T = (float) Math.pow(beta2, t + 1);
        float alpha = (float) (lrF * (float) Math.sqrt(1.0 - beta2T) / (1.0 - beta1T));
        if (alpha == 0f || Float.isNaN(alpha) || Float.isInfinite(alpha)) {
            alpha = epsilon;
        }
        float scale = clipNorm > 0 && norm > clipNorm ? (float) (clipNorm / norm) : 1f;
        float decay = (float) (weightDecay * lr);
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            String name = e.getKey();
            NDArray theta = e.getValue();
            NDArray g = grads.get(name);
            if (scale != 1f) {
                g.muli(scale);
            }
            NDArray mi = m.get(name).muli(beta1).addi(g.mul(1f - beta1));
            NDArray vi = v.get(name).muli(beta2).addi(g.square().muli(1f - beta2));
            NDArray update = mi.mul(alpha).divi(vi.sqrt().addi(epsilon));
            if (weightDecay > 0 && TorchBert.decays(name)) {
                update.addi(theta.mul(decay));
            }
            theta.subi(update);
            g.subi(g);
        }
        return norm;
    }

    /** Adam's first and second moments per parameter name (live arrays). */
    public Map<String, NDArray> firstMoments() {
        return m;
    }

    public Map<String, NDArray> secondMoments() {
        return v;
    }

    @Override
    public void close() {
        manager.close();
    }
}
