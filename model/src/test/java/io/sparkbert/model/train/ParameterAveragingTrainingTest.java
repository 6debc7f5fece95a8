package io.sparkbert.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.model.BertModel;
import io.sparkbert.model.Optimizer;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import scala.Tuple2;

/**
 * Our rounds under DL4J's parameter-averaging trainer (real local[2] Spark): with one worker, averaging is
 * the identity, so training in rounds must equal plain sequential {@code fit} — same learning-rate schedule,
 * same Adam bias correction — which only holds if the workers' iteration count continues across rounds
 * (StepHook's fix). With two workers and dropout, two runs give bit-identical parameters and metrics.
 */
class ParameterAveragingTrainingTest {
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("pretrain-rounds")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    private static PretrainConfig config(int workers, int k, int batch) {
        return new PretrainConfig(8, batch, workers, k, 5e-3, 2, 0.9, 0.999, 1e-6, 0.01, 1.0, false, 77, 0.1, 100,
                100, 100, 1, 0, 0, "MEMORY_ONLY", 0, "never");
    }

    private static ComputationGraph network(PretrainConfig c, double dropout) {
        return BertModel.build(TinyBatches.config(dropout), TinyBatches.SEQ, TinyBatches.PREDICTIONS, 9, DataType.FLOAT,
                Optimizer.adamW(c.learningRate(), c.warmupSteps(), c.steps(), c.beta1(), c.beta2(), c.epsilon(),
                        c.weightDecay(), c.clipNorm()));
    }

    /** Trains rounds as Pretrainer does with two or more workers; returns the metric records of every step. */
    private static List<StepHook.StepRecord> trainInRounds(ComputationGraph graph, PretrainConfig c,
                                                           List<SampleBatch> batches, int rounds) {
        CollectionAccumulator<StepHook.StepRecord> records = sc.sc().collectionAccumulator();
        StepHook hook = new StepHook(c.seed(), records);
        RoundTrainingMaster master = Pretrainer.trainingMaster(c, hook);
        SparkComputationGraph spark = new SparkComputationGraph(sc, graph, master);
        try (SparkRounds trainer = new SparkRounds(spark, master, hook, records)) {
            return trainInRounds(trainer, c, batches, rounds);
        }
    }

    /** The same rounds under DL4J's stock master: a network built per worker per round, nothing released. */
    private static List<StepHook.StepRecord> trainInRoundsWithStockMaster(ComputationGraph graph, PretrainConfig c,
                                                                          List<SampleBatch> batches, int rounds) {
        CollectionAccumulator<StepHook.StepRecord> records = sc.sc().collectionAccumulator();
        StepHook hook = new StepHook(c.seed(), records);
        SparkComputationGraph spark = new SparkComputationGraph(sc, graph,
                Pretrainer.trainingMasterBuilder(c, hook).build());
        RoundTrainer stock = new RoundTrainer() {
            @Override
            public List<StepHook.StepRecord> train(int firstStep, RoundBatches round) {
                hook.startRound(firstStep);
                spark.fitMultiDataSet(round.partitions().map(b -> b.toMultiDataSet(DataType.FLOAT)));
                List<StepHook.StepRecord> done = new ArrayList<>(records.value());
                records.reset();
                return done;
            }

            @Override
            public boolean trainsInDriver() {
                return false;
            }

            @Override
            public ComputationGraph network() {
                return spark.getNetwork();
            }
        };
        return trainInRounds(stock, c, batches, rounds);
    }

    private static List<StepHook.StepRecord> trainInRounds(RoundTrainer trainer, PretrainConfig c,
                                                           List<SampleBatch> batches, int rounds) {
        List<Tuple2<Long, SampleBatch>> keyed = new ArrayList<>();
        for (int i = 0; i < batches.size(); i++) {
            keyed.add(new Tuple2<>((long) i, batches.get(i)));
        }
        JavaPairRDD<Long, SampleBatch> all = sc.parallelizePairs(keyed, 3);
        int perRound = c.workers() * c.averagingFrequency();
        List<StepHook.StepRecord> out = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            out.addAll(trainer.train(r * c.averagingFrequency(),
                    RoundBatches.onSpark(all, (long) r * perRound, c.workers(), c.averagingFrequency())));
        }
        out.sort((x, y) -> x.step() != y.step() ? Integer.compare(x.step(), y.step()) : Integer.compare(x.worker(), y.worker()));
        return out;
    }

    /** A record without its timing, for comparing runs. */
    private static List<String> untimed(List<StepHook.StepRecord> records) {
        return records.stream().map(r -> r.step() + "/" + r.worker() + ": " + r.loss() + " " + r.mlmLoss() + " "
                + r.nspLoss() + " " + r.samples() + " " + r.tokens()).toList();
    }

    @Test
    void oneWorkerInRoundsEqualsSequentialFit() {
        PretrainConfig c = config(1, 2, 4);
        List<SampleBatch> batches = TinyBatches.batches(TinyBatches.samples(32, 5), 4);
        ComputationGraph sequential = network(c, 0);
        List<Double> sequentialLoss = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            sequential.fit(batches.get(i).toMultiDataSet(DataType.FLOAT));
            sequentialLoss.add(sequential.score());
        }
        ComputationGraph rounds = network(c, 0);
        List<StepHook.StepRecord> records = trainInRounds(rounds, c, batches, 3);
        assertEquals(6, rounds.getIterationCount());
        for (int i = 0; i < 6; i++) {
            assertEquals(i, records.get(i).step());
            assertEquals(sequentialLoss.get(i), records.get(i).loss(), 1e-5 * Math.abs(sequentialLoss.get(i)),
                    "loss of step " + i);
            assertEquals(records.get(i).loss(), records.get(i).mlmLoss() + records.get(i).nspLoss(), 1e-5);
        }
        INDArray diff = rounds.params().sub(sequential.params());
        double rel = diff.norm2Number().doubleValue() / sequential.params().norm2Number().doubleValue();
        System.out.printf("1 worker, 3 rounds of 2 steps vs 6 sequential fits: relative parameter difference %.3g%n", rel);
        assertTrue(rel < 1e-6, "relative parameter difference " + rel);
    }

    @Test
    void twoWorkersWithDropoutAreReproducible() {
        PretrainConfig c = config(2, 2, 4);
        List<SampleBatch> batches = TinyBatches.batches(TinyBatches.samples(48, 6), 4);
        ComputationGraph a = network(c, 0.1);
        ComputationGraph b = network(c, 0.1);
        Nd4j.getRandom().setSeed(1);
        List<StepHook.StepRecord> ra = trainInRounds(a, c, batches, 2);
        Nd4j.getRandom().setSeed(999);     // the hook seeds every step: the global generator must not matter
        List<StepHook.StepRecord> rb = trainInRounds(b, c, batches, 2);
        assertEquals(a.params(), b.params());
        assertEquals(untimed(ra), untimed(rb));
        assertTrue(ra.stream().allMatch(r -> r.nanos() > 0), "every step is timed");
        assertEquals(8, ra.size());
        assertEquals(4, a.getIterationCount());
    }

    /**
     * Our master keeps each worker's network between rounds and copies the round's parameters, Adam state
     * and iteration count into it: with dropout on, two workers over three rounds give bit for bit what DL4J's
     * stock master gives, which builds every worker's network afresh from the broadcast each round.
     */
    @Test
    void pooledWorkerNetworksEqualFreshOnes() {
        PretrainConfig c = config(2, 2, 4);
        List<SampleBatch> batches = TinyBatches.batches(TinyBatches.samples(64, 7), 4);
        ComputationGraph stock = network(c, 0.1);
        List<StepHook.StepRecord> stockRecords = trainInRoundsWithStockMaster(stock, c, batches, 3);
        ComputationGraph pooled = network(c, 0.1);
        List<StepHook.StepRecord> pooledRecords = trainInRounds(pooled, c, batches, 3);
        assertEquals(12, pooledRecords.size());
        assertEquals(untimed(stockRecords), untimed(pooledRecords));
        assertEquals(stock.params(), pooled.params());
        assertEquals(stock.getUpdater().getStateViewArray(), pooled.getUpdater().getStateViewArray());
        assertEquals(6, pooled.getIterationCount());
        assertEquals(0, WorkerNetworks.idleNetworks(), "the run's networks are released when its rounds end");
    }

    /**
     * One worker trains in the driver ({@link DriverRounds}), without DL4J's averaging machinery: with dropout
     * on, its steps equal those of one worker under the parameter-averaging trainer on Spark.
     */
    @Test
    void oneWorkerInTheDriverEqualsOneWorkerOnSpark() {
        PretrainConfig c = config(1, 2, 4);
        List<SampleBatch> batches = TinyBatches.batches(TinyBatches.samples(32, 5), 4);
        ComputationGraph onSpark = network(c, 0.1);
        List<StepHook.StepRecord> sparkRecords = trainInRounds(onSpark, c, batches, 3);
        ComputationGraph inDriver = network(c, 0.1);
        Nd4j.getRandom().setSeed(4242);     // the steps are seeded: the global generator must not matter
        List<StepHook.StepRecord> driverRecords = trainInRounds(new DriverRounds(inDriver, c.seed(), 1), c, batches, 3);
        assertEquals(6, inDriver.getIterationCount());
        assertEquals(6, driverRecords.size());
        for (int i = 0; i < 6; i++) {
            assertEquals(sparkRecords.get(i).step(), driverRecords.get(i).step());
            assertEquals(sparkRecords.get(i).loss(), driverRecords.get(i).loss(), 1e-5 * Math.abs(sparkRecords.get(i).loss()),
                    "loss of step " + i);
            assertEquals(sparkRecords.get(i).tokens(), driverRecords.get(i).tokens());
            assertTrue(driverRecords.get(i).nanos() > 0);
        }
        double rel = inDriver.params().sub(onSpark.params()).norm2Number().doubleValue()
                / onSpark.params().norm2Number().doubleValue();
        System.out.printf("1 worker with dropout, driver vs Spark rounds: relative parameter difference %.3g%n", rel);
        assertTrue(rel < 1e-6, "relative parameter difference " + rel);
    }

    /**
     * Two or more workers in local mode are threads of the driver averaged in memory ({@link ThreadRounds}):
     * with dropout on, two workers over three rounds give bit for bit what DL4J's parameter-averaging trainer
     * gives on Spark (for two workers the order of the sum cannot matter).
     */
    @Test
    void twoWorkerThreadsEqualTwoWorkersOnSpark() {
        PretrainConfig c = config(2, 2, 4);
        List<SampleBatch> batches = TinyBatches.batches(TinyBatches.samples(64, 7), 4);
        ComputationGraph onSpark = network(c, 0.1);
        List<StepHook.StepRecord> sparkRecords = trainInRounds(onSpark, c, batches, 3);
        ComputationGraph threads = network(c, 0.1);
        Nd4j.getRandom().setSeed(4242);
        List<StepHook.StepRecord> threadRecords;
        try (ThreadRounds trainer = new ThreadRounds(threads, 2, c.seed(), 1)) {
            threadRecords = trainInRounds(trainer, c, batches, 3);
        }
        assertEquals(12, threadRecords.size());
        assertEquals(untimed(sparkRecords), untimed(threadRecords));
        assertEquals(onSpark.params(), threads.params());
        assertEquals(onSpark.getUpdater().getStateViewArray(), threads.getUpdater().getStateViewArray());
        assertEquals(6, threads.getIterationCount());
        assertTrue(threadRecords.stream().allMatch(r -> r.nanos() > 0), "every step is timed");
    }

    /**
     * Three worker threads: the mean is summed in worker order, so two runs give the same bits; Spark adds
     * the workers' results in the order its tasks finish, so against DL4J's trainer the parameters agree to
     * float rounding.
     */
    @Test
    void threeWorkerThreadsAreReproducibleAndMatchSpark() {
        PretrainConfig c = config(3, 2, 4);
        List<SampleBatch> batches = TinyBatches.batches(TinyBatches.samples(96, 8), 4);
        ComputationGraph a = network(c, 0.1);
        ComputationGraph b = network(c, 0.1);
        List<StepHook.StepRecord> ra;
        List<StepHook.StepRecord> rb;
        try (ThreadRounds trainer = new ThreadRounds(a, 3, c.seed(), 1)) {
            ra = trainInRounds(trainer, c, batches, 2);
        }
        try (ThreadRounds trainer = new ThreadRounds(b, 3, c.seed(), 1)) {
            rb = trainInRounds(trainer, c, batches, 2);
        }
        assertEquals(12, ra.size());
        assertEquals(untimed(ra), untimed(rb));
        assertEquals(a.params(), b.params());
        assertEquals(4, a.getIterationCount());

        ComputationGraph onSpark = network(c, 0.1);
        List<StepHook.StepRecord> sparkRecords = trainInRounds(onSpark, c, batches, 2);
        for (int i = 0; i < 6; i++) {   // the first round starts from the same parameters: equal losses
            assertEquals(untimed(sparkRecords).get(i), untimed(ra).get(i), "record " + i);
        }
        double rel = a.params().sub(onSpark.params()).norm2Number().doubleValue()
                / onSpark.params().norm2Number().doubleValue();
        System.out.printf("3 workers with dropout, threads vs Spark rounds: relative parameter difference %.3g%n", rel);
        assertTrue(rel < 1e-6, "relative parameter difference " + rel);
    }
}
