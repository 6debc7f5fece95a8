package io.sparkbert.model.train;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything that decides what a pretraining run computes (and so must be equal when a run is resumed),
 * plus the operational knobs that do not (marked "operational"). Defaults live in {@code conf/pretrain.conf}.
 *
 * @param steps              total optimizer steps (global: each step every worker trains one batch)
 * @param batchSizePerWorker samples per batch on each worker; the global batch is workers · this
 * @param workers            data-parallel workers (Spark partitions trained at once)
 * @param averagingFrequency steps each worker takes between parameter averages (one Spark round)
 * @param learningRate       peak learning rate
 * @param warmupSteps        linear warm-up steps (then linear decay to 0 at {@code steps})
 * @param beta1              Adam β1
 * @param beta2              Adam β2
 * @param epsilon            Adam ε
 * @param weightDecay        decoupled weight decay (none on biases and LayerNorm)
 * @param clipNorm           global gradient-norm clipping threshold
 * @param dynamicMasking     re-mask the samples every epoch instead of using the stored masks
 * @param seed               seed of the data order, dropout and (fresh models) initialisation
 * @param evalFraction       held-out share of the training data when no eval dataset is given
 * @param evalMaxSamples     at most this many held-out samples per evaluation (operational)
 * @param evalEvery          evaluate every this many steps (rounded up to whole rounds; operational)
 * @param checkpointEvery    checkpoint every this many steps (rounded up to whole rounds; operational)
 * @param keepCheckpoints    checkpoints kept (the newest; operational)
 * @param maxMinutes         stop (with a checkpoint) after this much training time, 0 = no limit (operational)
 * @param prefetch           batches each worker prefetches (operational)
 * @param storageLevel       Spark storage level of the cached batches (operational)
 * @param inDriverMaxMb      in local mode, shuffle and batch the epochs in the driver from the training samples it
 *                           holds when they take at most this many MB (estimated); 0 = on Spark (operational)
 * @param repartition        DL4J's repartitioning of a round: "never" (ours: each worker trains the batches
 *                           {@link PretrainingData#round} gives it, reproducibly), "always" or
 *                           "num-partitions-workers-differs" (DL4J rebalances; runs are then not reproducible)
 */
public record PretrainConfig(int steps, int batchSizePerWorker, int workers, int averagingFrequency,
                             double learningRate, int warmupSteps, double beta1, double beta2, double epsilon,
                             double weightDecay, double clipNorm, boolean dynamicMasking, long seed,
                             double evalFraction, int evalMaxSamples, int evalEvery, int checkpointEvery,
                             int keepCheckpoints, double maxMinutes, int prefetch, String storageLevel,
                             long inDriverMaxMb, String repartition)
        implements Serializable {

    public PretrainConfig {
        require(steps > 0, "steps must be > 0");
        require(batchSizePerWorker > 0, "batch-size-per-worker must be > 0");
        require(workers > 0, "workers must be > 0");
        require(averagingFrequency > 0, "averaging-frequency must be > 0");
        require(learningRate > 0, "learning-rate must be > 0");
        require(warmupSteps >= 0 && warmupSteps <= steps, "warmup-steps must be in [0, steps]");
        require(evalFraction >= 0 && evalFraction < 1, "eval-fraction must be in [0, 1)");
        require(evalEvery > 0 && checkpointEvery > 0, "eval-every and checkpoint-every must be > 0");
        require(keepCheckpoints > 0, "keep-checkpoints must be > 0");
        require(inDriverMaxMb >= 0, "in-driver-max-mb must be >= 0 (0 = always on Spark)");
        require(java.util.List.of("never", "always", "num-partitions-workers-differs").contains(repartition),
                "repartition must be never, always or num-partitions-workers-differs, got " + repartition);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Samples per global step. */
    public int globalBatchSize() {
        return workers * batchSizePerWorker;
    }

    /** The settings a resumed run must share with the run it continues (what the numbers depend on). */
    public Map<String, Object> identity() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", steps);
        m.put("batch_size_per_worker", batchSizePerWorker);
        m.put("workers", workers);
        m.put("averaging_frequency", averagingFrequency);
        m.put("learning_rate", learningRate);
        m.put("warmup_steps", warmupSteps);
        m.put("beta1", beta1);
        m.put("beta2", beta2);
        m.put("epsilon", epsilon);
        m.put("weight_decay", weightDecay);
        m.put("clip_norm", clipNorm);
        m.put("dynamic_masking", dynamicMasking);
        m.put("seed", seed);
        m.put("eval_fraction", evalFraction);
        m.put("repartition", repartition);
        return m;
    }
}
