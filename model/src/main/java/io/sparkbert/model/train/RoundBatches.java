package io.sparkbert.model.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import scala.Tuple2;

/**
 * The batches of one round: global batches {@code first} to {@code first + workers · perWorker - 1}, worker
 * {@code w} training {@code perWorker} consecutive ones from {@code first + w · perWorker}. On a cluster they
 * stay there, laid out by {@link PretrainingData#round} (one partition per worker); the trainers that train in
 * the driver get them as lists ({@link #perWorker}): collected from Spark's cached epoch and put in order without
 * a shuffle ({@link #onSpark}), or put together from the samples the driver holds ({@link #inDriver}).
 *
 * <p>Collecting a round's batches from Spark is a job (a tenth of a second, seconds when it is the first round of
 * an epoch and shuffles the epoch), which would otherwise stand between two rounds. {@link #prefetch} starts it on
 * another thread, so the training loop collects the next round while this one trains; the batches are the same
 * either way.
 */
final class RoundBatches {
    private final JavaPairRDD<Long, SampleBatch> globalBatches;     // null when batched in the driver
    private final Supplier<List<SampleBatch>> inOrder;
    private final long first;
    private final int workers;
    private final int perWorker;
    private CompletableFuture<List<List<SampleBatch>>> collected;

    private RoundBatches(JavaPairRDD<Long, SampleBatch> globalBatches, Supplier<List<SampleBatch>> inOrder,
                         long first, int workers, int perWorker) {
        this.globalBatches = globalBatches;
        this.inOrder = inOrder;
        this.first = first;
        this.workers = workers;
        this.perWorker = perWorker;
    }

    /**
     * @param globalBatches batches keyed by global batch index, holding at least this round's (usually only the
     *                      partitions of the cached epoch that hold them)
     */
    static RoundBatches onSpark(JavaPairRDD<Long, SampleBatch> globalBatches, long first, int workers, int perWorker) {
        long end = first + (long) workers * perWorker;
        return new RoundBatches(globalBatches, () -> {
            List<Tuple2<Long, SampleBatch>> round = new ArrayList<>(
                    globalBatches.filter(kv -> kv._1 >= first && kv._1 < end).collect());
            round.sort(Comparator.comparing(Tuple2::_1));
            return round.stream().map(Tuple2::_2).toList();
        }, first, workers, perWorker);
    }

    /** The round's batches from the epochs the driver batches itself. */
    static RoundBatches inDriver(DriverEpochs epochs, long first, int workers, int perWorker) {
        return new RoundBatches(null, () -> epochs.batches(first, first + (long) workers * perWorker), first, workers,
                perWorker);
    }

    /** The round's batches on the cluster: partition {@code w} holds worker {@code w}'s batches in step order. */
    JavaRDD<SampleBatch> partitions() {
        if (globalBatches == null) {
            throw new IllegalStateException("the round's batches were put together in the driver, not on Spark");
        }
        return PretrainingData.round(globalBatches, first, workers, perWorker);
    }

    /** Starts collecting the batches to the driver on {@code executor}; {@link #perWorker} then waits for it. */
    RoundBatches prefetch(Executor executor) {
        if (collected == null) {
            collected = CompletableFuture.supplyAsync(this::collect, executor);
        }
        return this;
    }

    /** The batches in the driver, one list per worker in step order (collected now if not prefetched). */
    List<List<SampleBatch>> perWorker() {
        if (collected == null) {
            return collect();
        }
        try {
            return collected.join();
        } catch (CompletionException e) {     // the collection's own failure, as collecting here would throw it
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;    // a checked one (Spark's SparkException): wrapped, with its message
        }
    }

    private List<List<SampleBatch>> collect() {
        List<SampleBatch> round = inOrder.get();
        if (round.size() != workers * perWorker) {
            throw new IllegalStateException("the round from global batch " + first + " needs " + workers * perWorker
                    + " batches, the data gave " + round.size());
        }
        List<List<SampleBatch>> perWorkerBatches = new ArrayList<>(workers);
        for (int w = 0; w < workers; w++) {
            perWorkerBatches.add(round.subList(w * perWorker, (w + 1) * perWorker));
        }
        return perWorkerBatches;
    }
}
