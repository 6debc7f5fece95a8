package io.sparkbert.model;

import java.util.Locale;
import java.util.Map;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Run in a JVM of its own by {@link NativeBuildTest}: selects the libnd4j build for this machine (unless the
 * command line named one), trains a small float BERT (dropout on) for three steps and prints the libnd4j file
 * it loaded and each step's loss.
 */
final class NativeBuildProbe {

    private NativeBuildProbe() {
    }

    public static void main(String[] args) {
        NativeBuild.selectForThisMachine();
        BertConfig cfg = new BertConfig(20, 32, 2, 4, 64, "gelu", 0.1, 0.1, 16, 2, 0.02, 1e-12);
        ComputationGraph graph = BertModel.build(cfg, TestBatch.S, TestBatch.P, 7);
        INDArray[] c = TestBatch.columns();
        MultiDataSet batch = BertModel.toMultiDataSet(c[0], c[1], c[2], c[3], c[4], c[5], c[6], DataType.FLOAT);
        for (Map.Entry<String, String> library : org.bytedeco.javacpp.Loader.getLoadedLibraries().entrySet()) {
            if (library.getValue() != null && library.getValue().endsWith("libnd4jcpu.so")) {
                System.out.println("library " + library.getValue());
            }
        }
        Nd4j.getRandom().setSeed(11);
        for (int step = 0; step < 3; step++) {
            graph.fit(batch);
            System.out.println(String.format(Locale.ROOT, "loss %d %.9e", step, graph.score()));
        }
    }
}
