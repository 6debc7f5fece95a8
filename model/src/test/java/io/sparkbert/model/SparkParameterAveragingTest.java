package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Our BERT network under DL4J's Spark trainer on a real local[2] Spark: the configuration survives
 * the trip to the workers, parameter averaging runs, and the loss on the training data falls. The base
 * the pretrain command (issue 6) builds on.
 */
class SparkParameterAveragingTest {
    @Test
    void parameterAveragingTrainsTheBertNetwork() {
        BertConfig cfg = new BertConfig(30, 16, 1, 2, 32, "gelu", 0.0, 0.0, 16, 2, 0.02, 1e-12);
        int seq = 8;
        int predictions = 2;
        ComputationGraph graph = BertModel.build(cfg, seq, predictions, 3, DataType.FLOAT,
                new Adam(3e-3));
        // a task every worker's data teaches the same way: predict the token at each position (it is
        // visible, not masked), and NSP = whether the first token is even
        List<MultiDataSet> batches = new ArrayList<>();
        java.util.Random random = new java.util.Random(5);
        for (int i = 0; i < 8; i++) {
            int[][] ids = new int[4][seq];
            int[][] types = new int[4][seq];
            int[][] mask = new int[4][seq];
            int[][] positions = new int[4][predictions];
            int[][] labels = new int[4][predictions];
            float[][] weights = new float[4][predictions];
            int[] nsp = new int[4];
            for (int b = 0; b < 4; b++) {
                for (int s = 0; s < seq; s++) {
                    ids[b][s] = 5 + random.nextInt(cfg.vocabSize() - 5);
                    mask[b][s] = 1;
                }
                for (int p = 0; p < predictions; p++) {
                    positions[b][p] = 1 + random.nextInt(seq - 1);
                    labels[b][p] = ids[b][positions[b][p]];
                    weights[b][p] = 1f;
                }
                nsp[b] = ids[b][0] % 2;
            }
            batches.add(BertModel.toMultiDataSet(ids, types, mask, positions, labels, weights, nsp, DataType.FLOAT));
        }
        double before = 0;
        for (MultiDataSet b : batches) {
            before += graph.score(b, false);
        }
        JavaSparkContext sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("bert-spark")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"));
        try {
            // Builder(n): n must be the number of examples in each RDD element. With 1 here (our elements hold 4),
            // training under Spark got worse instead of better (SGD: loss 32.9 -> 38.1).
            ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(4)
                    .batchSizePerWorker(4)
                    .averagingFrequency(2)
                    .workerPrefetchNumBatches(0)
                    .saveUpdater(true)
                    .rddTrainingApproach(RDDTrainingApproach.Direct)
                    .rngSeed(7)
                    .build();
            SparkComputationGraph spark = new SparkComputationGraph(sc, graph, master);
            JavaRDD<MultiDataSet> data = sc.parallelize(batches, 2);
            for (int epoch = 0; epoch < 30; epoch++) {
                spark.fitMultiDataSet(data);
            }
            ComputationGraph trained = spark.getNetwork();
            double after = 0;
            for (MultiDataSet b : batches) {
                after += trained.score(b, false);
            }
            System.out.printf("Spark parameter averaging: summed loss %.4f -> %.4f%n", before, after);
            assertTrue(after < 0.6 * before, "loss " + before + " -> " + after);
        } finally {
            sc.stop();
        }
    }
}
