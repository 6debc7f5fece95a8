package io.sparkbert.jobs.bench;

import io.sparkbert.model.train.PretrainingData;
import io.sparkbert.pipeline.preprocess.SampleDataset;
import io.sparkbert.model.train.SampleBatch;
import io.sparkbert.pipeline.samples.TrainingSample;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * The batches {@code sparkbert pretrain --workers 1} trains and evaluates, read once into memory (before any
 * timing) so that the peer sees the same samples in the same order: step t trains global batch t
 * ({@link PretrainingData#epochBatches}, same seed and batch size, the stored masks), the held-out set is the
 * same {@code --eval-fraction} / {@code --eval-data} selection, sorted by content key, cut at
 * {@code evalMaxSamples}, in batches of the training batch size (as {@code Pretrainer}).
 *
 * <p>Spark runs in a {@code local[1]} session that is stopped before the peer trains.
 *
 * @param train     the batches of steps 0 .. steps-1, in step order
 * @param eval      the held-out batches
 * @param vocabSize tokens of the datasets' vocabulary
 * @param seqLen    S of the samples
 * @param maxPredictions P of the samples
 * @param trainSamples training samples (after the held-out split)
 */
public record PeerData(List<SampleBatch> train, List<SampleBatch> eval, int vocabSize, int seqLen, int maxPredictions,
                       long trainSamples) {

    public static PeerData read(List<String> dataDirs, List<String> evalDirs, double evalFraction, int evalMaxSamples,
                                long seed, int batchSize, int steps) throws IOException {
        SparkSession spark = SparkSession.builder().master("local[1]").appName("sparkbert-peer-data")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "1")
                .getOrCreate();
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            SampleDataset.Info info = SampleDataset.open(dataDirs, sc.hadoopConfiguration());
            SampleDataset.Info evalInfo = evalDirs.isEmpty() ? null
                    : SampleDataset.open(evalDirs, sc.hadoopConfiguration());
            if (evalInfo == null && evalFraction <= 0) {
                throw new IllegalArgumentException("no held-out data: give --eval-data or an --eval-fraction > 0");
            }
            JavaPairRDD<Long, TrainingSample> all = PretrainingData.read(spark, info);
            JavaPairRDD<Long, TrainingSample> train = (evalInfo == null
                    ? all.filter(kv -> !PretrainingData.isHeldOut(kv._2, evalFraction, seed)) : all).cache();
            JavaPairRDD<Long, TrainingSample> heldOut = evalInfo == null
                    ? all.filter(kv -> PretrainingData.isHeldOut(kv._2, evalFraction, seed))
                    : PretrainingData.read(spark, evalInfo);
            long trainSamples = train.count();
            long perEpoch = trainSamples / batchSize;
            if (perEpoch == 0) {
                throw new IllegalArgumentException(trainSamples + " training samples make no batch of " + batchSize);
            }
            List<SampleBatch> batches = new ArrayList<>(steps);
            int partitions = Math.max(1, train.getNumPartitions());
            for (int epoch = 0; (long) epoch * perEpoch < steps; epoch++) {
                long needed = Math.min(perEpoch, steps - (long) epoch * perEpoch);
                List<Tuple2<Long, SampleBatch>> got = new ArrayList<>(PretrainingData
                        .epochBatches(train, seed, epoch, batchSize, trainSamples, null, partitions)
                        .filter(kv -> kv._1 < needed)
                        .collect());
                got.sort(Comparator.comparing(Tuple2::_1));
                got.forEach(kv -> batches.add(kv._2));
            }
            List<SampleBatch> eval = PretrainingData.heldOutBatches(heldOut, evalMaxSamples, batchSize);
            if (eval.isEmpty()) {
                throw new IllegalArgumentException("the held-out set is empty");
            }
            return new PeerData(batches, eval, info.vocab().size(), info.seqLen(), info.maxPredictions(), trainSamples);
        } finally {
            spark.stop();
        }
    }
}
