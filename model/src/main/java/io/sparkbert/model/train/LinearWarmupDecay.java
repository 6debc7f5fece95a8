package io.sparkbert.model.train;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * BERT's learning-rate schedule (docs/design.md §5), exactly as Google's {@code optimization.create_optimizer}:
 * linear decay from {@code peak} at step 0 to 0 at {@code totalSteps}, and during the first
 * {@code warmupSteps} steps a linear warm-up {@code peak · step / warmupSteps} instead.
 *
 * <pre>
 * lr(step) = peak · step / warmup              if step < warmup
 *          = peak · max(0, 1 - step / total)   otherwise
 * </pre>
 *
 * The step is DL4J's iteration count (0-based, one per optimizer update), which the parameter-averaging
 * trainer keeps in step with the global step (it advances the driver's count by the averaging frequency
 * after each round). Serialised with the network configuration (model zip, Spark broadcast), hence the
 * Jackson annotations.
 */
public final class LinearWarmupDecay implements ISchedule {
    @JsonProperty
    private double peak;
    @JsonProperty
    private int warmupSteps;
    @JsonProperty
    private int totalSteps;

    /** For Jackson only. */
    public LinearWarmupDecay() {
    }

    public LinearWarmupDecay(double peak, int warmupSteps, int totalSteps) {
        if (peak <= 0 || warmupSteps < 0 || totalSteps <= 0) {
            throw new IllegalArgumentException("need peak > 0, warmup >= 0, total > 0; got " + peak + ", "
                    + warmupSteps + ", " + totalSteps);
        }
        this.peak = peak;
        this.warmupSteps = warmupSteps;
        this.totalSteps = totalSteps;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        if (iteration < warmupSteps) {
            return peak * iteration / warmupSteps;
        }
        return peak * Math.max(0.0, 1.0 - (double) iteration / totalSteps);
    }

    public double peak() {
        return peak;
    }

    public int warmupSteps() {
        return warmupSteps;
    }

    public int totalSteps() {
        return totalSteps;
    }

    @Override
    public ISchedule clone() {
        return new LinearWarmupDecay(peak, warmupSteps, totalSteps);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LinearWarmupDecay s && s.peak == peak && s.warmupSteps == warmupSteps
                && s.totalSteps == totalSteps;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(peak) * 31 * 31 + warmupSteps * 31 + totalSteps;
    }

    @Override
    public String toString() {
        return "LinearWarmupDecay(peak=" + peak + ", warmup=" + warmupSteps + ", total=" + totalSteps + ")";
    }
}
