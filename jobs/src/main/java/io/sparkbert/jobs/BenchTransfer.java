package io.sparkbert.jobs;

import io.sparkbert.jobs.bench.Median;
import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.train.NdArrayKryoRegistrator;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * {@code bench transfer}: what a parameter-averaging round serialises, timed through Spark's KryoSerializer
 * with sparkbert's registrator (arrays copied in bulk) and with DL4J's {@code Nd4jRegistrator} (element by
 * element), alternating: the driver's broadcast (configuration, parameters, Adam moments) and one worker's
 * result (parameters, Adam moments), each serialised and deserialised as Spark does. The arrays are a real
 * network's, built from the preset.
 */
@Command(name = "transfer", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Kryo (de)serialisation of one parameter-averaging round's broadcast and result (parameters "
                + "+ Adam moments of a real network), sparkbert's bulk array serializer vs DL4J's Nd4jSerializer, "
                + "alternating; MB/s and seconds per round each way."})
final class BenchTransfer implements Callable<Integer> {
    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "mini", description = "BERT preset.")
    String preset;

    @Option(names = "--vocab-size", paramLabel = "V", defaultValue = "30522", description = "Wordpiece vocabulary.")
    int vocabSize;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "5", description = "Timed runs of each, alternating.")
    int runs;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as JSON.")
    Path json;

    @Override
    public Integer call() throws Exception {
        if (runs < 1) {
            throw new SparkBert.UserError("--runs must be positive");
        }
        ComputationGraph network = BertModel.build(BertConfig.preset(preset, vocabSize), 128, 20, 1);
        INDArray params = network.params();
        INDArray state = network.getUpdater().getStateViewArray();
        NetBroadcastTuple broadcast = new NetBroadcastTuple(network.getConfiguration(), params, state);
        ParameterAveragingTrainingResult result = new ParameterAveragingTrainingResult(params, state, 1.0, null, null,
                null);
        double megabytes = (params.length() + state.length()) * 4 / 1e6;
        System.err.printf(Locale.ROOT, "bench transfer: %s, vocabulary %,d: %,d parameters, %.1f MB of parameters and "
                + "Adam moments per transfer; %d timed runs each, alternating%n", preset, vocabSize, params.length(),
                megabytes, runs);
        SerializerInstance ours = kryo(NdArrayKryoRegistrator.class.getName());
        SerializerInstance dl4j = kryo("org.nd4j.kryo.Nd4jRegistrator");
        Map<String, double[]> seconds = new LinkedHashMap<>();
        for (String name : new String[] {"ours", "dl4j"}) {
            for (String what : new String[] {"broadcast", "result"}) {
                for (String way : new String[] {"serialize", "deserialize"}) {
                    seconds.put(name + "_" + what + "_" + way, new double[runs]);
                }
            }
        }
        for (int run = -1; run < runs; run++) { // run -1 warms both up
            boolean oursFirst = (run & 1) == 0;
            for (SerializerInstance kryo : oursFirst ? List.of(ours, dl4j) : List.of(dl4j, ours)) {
                String name = kryo == ours ? "ours" : "dl4j";
                time(kryo, broadcast, name + "_broadcast", seconds, run);
                time(kryo, result, name + "_result", seconds, run);
            }
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("parameters", params.length());
        figures.put("megabytes_per_transfer", megabytes);
        for (Map.Entry<String, double[]> e : seconds.entrySet()) {
            figures.put(e.getKey() + "_sec", Median.of(e.getValue()));
        }
        for (String name : new String[] {"ours", "dl4j"}) {
            double round = round(figures, name);
            figures.put(name + "_two_worker_round_sec", round);
            System.out.printf(Locale.ROOT, "bench transfer: %-4s broadcast %.3f s + %.3f s, result %.3f s + %.3f s "
                            + "(serialise + deserialise; %.0f / %.0f MB/s); a 2-worker round's transfers: %.2f s%n",
                    name, figures.get(name + "_broadcast_serialize_sec"), figures.get(name + "_broadcast_deserialize_sec"),
                    figures.get(name + "_result_serialize_sec"), figures.get(name + "_result_deserialize_sec"),
                    megabytes / (double) figures.get(name + "_result_serialize_sec"),
                    megabytes / (double) figures.get(name + "_result_deserialize_sec"), round);
        }
        double ratio = (double) figures.get("dl4j_two_worker_round_sec") / (double) figures.get("ours_two_worker_round_sec");
        figures.put("speedup", ratio);
        System.out.printf(Locale.ROOT, "bench transfer: ours %.1fx faster than DL4J's serializer per round%n", ratio);
        if (json != null) {
            Files.writeString(json, Reports.toJson(figures));
        }
        return 0;
    }

    /** A round of two workers: the broadcast serialised once and read by both, two results written and read. */
    private static double round(Map<String, Object> f, String name) {
        return (double) f.get(name + "_broadcast_serialize_sec") + 2 * (double) f.get(name + "_broadcast_deserialize_sec")
                + 2 * ((double) f.get(name + "_result_serialize_sec") + (double) f.get(name + "_result_deserialize_sec"));
    }

    private static void time(SerializerInstance kryo, Object value, String key, Map<String, double[]> seconds,
                             int run) {
        ClassTag<Object> tag = ClassTag$.MODULE$.AnyRef();
        long start = System.nanoTime();
        ByteBuffer bytes = kryo.serialize(value, tag);
        long serialized = System.nanoTime();
        kryo.deserialize(bytes, tag);
        long done = System.nanoTime();
        if (run >= 0) {
            seconds.get(key + "_serialize")[run] = (serialized - start) / 1e9;
            seconds.get(key + "_deserialize")[run] = (done - serialized) / 1e9;
        }
    }

    private static SerializerInstance kryo(String registrator) {
        return new KryoSerializer(new SparkConf().set("spark.kryo.registrator", registrator)
                .set("spark.kryoserializer.buffer.max", "2047m")).newInstance();
    }
}
