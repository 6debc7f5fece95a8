package io.sparkbert.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.jobs.bench.ChildRun;
import io.sparkbert.jobs.bench.Median;
import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BlasKernels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench gemm}: the matrix products of a BERT training step, float32 through ND4J (OpenBLAS), on one
 * pinned core, with the kernels OpenBLAS 0.3.19 picks for this CPU by itself and with each kernel set the CPU has
 * the instructions for (Haswell: AVX2 + FMA; SkylakeX: AVX-512), alternating child JVMs. This is the measurement
 * behind the launcher's choice of {@code OPENBLAS_CORETYPE}: run it on a machine (or a cluster node) to see what
 * the choice is worth there.
 */
@Command(name = "gemm", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Float32 matrix products of a BERT step's shapes through ND4J on one pinned core: OpenBLAS's "
                + "own choice of kernels vs each kernel set this CPU can run (Haswell: AVX2, SkylakeX: AVX-512), "
                + "alternating child JVMs; GFLOP/s per shape and the ratios (the launcher's OPENBLAS_CORETYPE "
                + "choice, measured)."})
final class BenchGemm implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The variant without OPENBLAS_CORETYPE: OpenBLAS's own choice for this CPU. */
    private static final String OWN_CHOICE = "openblas";

    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "mini", description = "BERT preset.")
    String preset;

    @Option(names = "--vocab-size", paramLabel = "V", defaultValue = "4000", description = "Wordpiece vocabulary.")
    int vocabSize;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "16", description = "Samples per batch.")
    int batchSize;

    @Option(names = "--max-seq-length", paramLabel = "S", defaultValue = "64", description = "Tokens per sample.")
    int seqLength;

    @Option(names = "--max-predictions", paramLabel = "P", defaultValue = "10", description = "Masked positions.")
    int maxPredictions;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "3", description = "Child runs of each, alternating.")
    int runs;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "0.5", description = "Timed seconds per shape.")
    double seconds;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as JSON.")
    Path json;

    @Option(names = "--in-this-jvm", hidden = true, description = "Time the products here and print them as JSON.")
    boolean inThisJvm;

    /** One product of the step: [m, k]·[k, n], with its role. */
    record Shape(String role, long m, long k, long n) {
        double flops() {
            return 2.0 * m * k * n;
        }
    }

    List<Shape> shapes() {
        BertConfig cfg = BertConfig.preset(preset, vocabSize);
        long tokens = (long) batchSize * seqLength;
        long h = cfg.hiddenSize();
        long i = cfg.intermediateSize();
        return List.of(new Shape("attention projection [B·S,H]·[H,H]", tokens, h, h),
                new Shape("feed-forward in [B·S,H]·[H,I]", tokens, h, i),
                new Shape("feed-forward out [B·S,I]·[I,H]", tokens, i, h),
                new Shape("weight gradient [H,B·S]·[B·S,I]", h, tokens, i),
                new Shape("MLM decoder [B·P,H]·[H,V]", (long) batchSize * maxPredictions, h, vocabSize),
                new Shape("attention scores [S,dk]·[dk,S]", seqLength, h / cfg.numAttentionHeads(), seqLength));
    }

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || seconds <= 0) {
            throw new SparkBert.UserError("--runs and --seconds must be positive");
        }
        if (inThisJvm) {
            System.out.println(JSON.writeValueAsString(timeHere()));
            return 0;
        }
        Set<String> flags = BlasKernels.cpuFlags(Path.of("/proc/cpuinfo"));
        List<String> variants = new ArrayList<>(List.of(OWN_CHOICE));
        if (flags.containsAll(BlasKernels.AVX2_FLAGS)) {
            variants.add("Haswell");
        }
        if (flags.containsAll(BlasKernels.AVX512_FLAGS)) {
            variants.add("SkylakeX");
        }
        System.err.printf(Locale.ROOT, "bench gemm: %s, batch %d x %d tokens, vocabulary %,d; one pinned core, %d "
                        + "runs of %s, alternating%n", preset, batchSize, seqLength, vocabSize, runs,
                String.join(", ", variants));
        Map<String, Map<String, List<Double>>> gflops = new LinkedHashMap<>();
        Path out = Files.createTempFile("sparkbert-bench-gemm", ".json");
        try {
            for (int run = 0; run < runs; run++) {
                List<String> order = new ArrayList<>(variants);
                if (run % 2 == 1) {
                    Collections.reverse(order);
                }
                for (String variant : order) {
                    JsonNode figures = child(variant, out);
                    figures.fields().forEachRemaining(f -> gflops.computeIfAbsent(variant, v -> new LinkedHashMap<>())
                            .computeIfAbsent(f.getKey(), k -> new ArrayList<>()).add(f.getValue().asDouble()));
                }
            }
        } finally {
            Files.deleteIfExists(out);
        }
        Map<String, Object> results = new LinkedHashMap<>();
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-36s", "GFLOP/s (median)"));
        variants.forEach(v -> header.append(String.format(Locale.ROOT, " %10s", v)));
        System.out.println(header);
        Map<String, Double> secondsPerStep = new LinkedHashMap<>();
        double flops = 0;
        for (Shape shape : shapes()) {
            Map<String, Double> row = new LinkedHashMap<>();
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-36s", shape.role()));
            for (String variant : variants) {
                double median = Median.of(gflops.get(variant).get(shape.role()).stream()
                        .mapToDouble(Double::doubleValue).toArray());
                row.put(variant, median);
                line.append(String.format(Locale.ROOT, " %10.1f", median));
                secondsPerStep.merge(variant, shape.flops() / (median * 1e9), Double::sum);
            }
            flops += shape.flops();
            System.out.println(line);
            results.put(shape.role(), row);
        }
        for (String variant : variants.subList(1, variants.size())) {
            double ratio = secondsPerStep.get(OWN_CHOICE) / secondsPerStep.get(variant);
            System.out.printf(Locale.ROOT, "all six products once (%.2f GFLOP): %s kernels %.2fx as fast as "
                    + "OpenBLAS's own choice%n", flops / 1e9, variant, ratio);
            results.put("ratio_" + variant + "_to_own_choice", ratio);
        }
        System.out.println("this JVM: " + BlasKernels.describe(System.getenv("OPENBLAS_CORETYPE"), flags));
        if (json != null) {
            JSON.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), results);
        }
        return 0;
    }

    /** One child JVM on one core timing every shape with {@code variant}'s kernels; its GFLOP/s per shape. */
    private JsonNode child(String variant, Path out) throws Exception {
        List<String> command = ChildRun.javaCommand(1, null, SparkBert.class.getName());
        command.addAll(List.of("bench", "gemm", "--in-this-jvm", "--preset", preset, "--vocab-size",
                Integer.toString(vocabSize), "--batch-size", Integer.toString(batchSize), "--max-seq-length",
                Integer.toString(seqLength), "--max-predictions", Integer.toString(maxPredictions), "--seconds",
                Double.toString(seconds)));
        Map<String, String> env = new LinkedHashMap<>(Map.of("OMP_NUM_THREADS", "1", "OPENBLAS_NUM_THREADS", "1"));
        if (!variant.equals(OWN_CHOICE)) {
            env.put("OPENBLAS_CORETYPE", variant);
        }
        ChildRun run = ChildRun.of(command, Path.of("/dev/null"), out, List.of("OPENBLAS_CORETYPE"), env);
        List<String> lines = Files.readAllLines(out);
        if (run.exitCode() != 0 || lines.isEmpty()) {
            throw new IllegalStateException("bench gemm child (" + variant + ") failed with exit code "
                    + run.exitCode() + ": " + String.join("\n", lines));
        }
        return JSON.readTree(lines.get(lines.size() - 1));
    }

    /**
     * GFLOP/s of each shape in this JVM: libnd4j's {@code matmul} op (the one SameDiff runs for the model's
     * products) repeated for --seconds after a warm-up.
     */
    private Map<String, Double> timeHere() {
        Map<String, Double> gflops = new LinkedHashMap<>();
        for (Shape shape : shapes()) {
            INDArray a = Nd4j.rand(DataType.FLOAT, shape.m(), shape.k());
            INDArray b = Nd4j.rand(DataType.FLOAT, shape.k(), shape.n());
            INDArray c = Nd4j.create(DataType.FLOAT, shape.m(), shape.n());
            Mmul product = new Mmul(a, b, c, MMulTranspose.allFalse());
            for (int warm = 0; warm < 3; warm++) {
                Nd4j.exec(product);
            }
            long start = System.nanoTime();
            long reps = 0;
            do {
                Nd4j.exec(product);
                reps++;
            } while (System.nanoTime() - start < seconds * 1e9);
            gflops.put(shape.role(), shape.flops() * reps / ((System.nanoTime() - start) / 1e9) / 1e9);
        }
        return gflops;
    }
}
