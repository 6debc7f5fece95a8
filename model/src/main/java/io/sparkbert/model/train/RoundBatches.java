package io.sparkbert.model.train;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.spark.api.java.JavaRDD;

/**
 * The batches of one round, as {@link PretrainingData#round} lays them out (one partition per worker, in step
 * order), and for the trainers that train in the driver the same batches collected there.
 *
 * <p>Collecting a round's batches is a Spark job (a few tenths of a second, seconds when it is the first
 * round of an epoch and shuffles it), which would otherwise stand between two rounds. {@link #prefetch}
 * starts that job on another thread, so the training loop collects the next round while this one trains;
 * the batches are the same either way.
 */
final class RoundBatches {
    private final JavaRDD<SampleBatch> partitions;
    private CompletableFuture<List<List<SampleBatch>>> collected;

    RoundBatches(JavaRDD<SampleBatch> partitions) {
        this.partitions = partitions;
    }

    /** The round's batches on the cluster: partition {@code w} holds worker {@code w}'s batches in step order. */
    JavaRDD<SampleBatch> partitions() {
        return partitions;
    }

    /** Starts collecting the batches to the driver on {@code executor}; {@link #perWorker} then waits for it. */
    RoundBatches prefetch(Executor executor) {
        if (collected == null) {
            collected = CompletableFuture.supplyAsync(partitions.glom()::collect, executor);
        }
        return this;
    }

    /** The batches in the driver, one list per worker in step order (collected now if not prefetched). */
    List<List<SampleBatch>> perWorker() {
        if (collected == null) {
            return partitions.glom().collect();
        }
        try {
            return collected.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }
}
