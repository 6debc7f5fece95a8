package io.sparkbert.model.train;

import io.sparkbert.model.BertConfig;
import io.sparkbert.pipeline.samples.TrainingSample;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small random but valid pretraining samples for training tests (no preprocessing needed). */
final class TinyBatches {
    static final int SEQ = 8;
    static final int PREDICTIONS = 2;

    private TinyBatches() {
    }

    static BertConfig config(double dropout) {
        return new BertConfig(30, 16, 1, 2, 32, "gelu", dropout, dropout, 16, 2, 0.02, 1e-12);
    }

    /** Samples whose masked tokens are predictable (the id at position p is 5 + p·3 mod 25). */
    static List<TrainingSample> samples(int n, long seed) {
        Random random = new Random(seed);
        List<TrainingSample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int length = 4 + random.nextInt(SEQ - 3);
            int[] ids = new int[SEQ];
            int[] types = new int[SEQ];
            int[] mask = new int[SEQ];
            for (int s = 0; s < length; s++) {
                ids[s] = s == 0 ? 2 : 5 + (s * 3 + random.nextInt(2)) % 25;
                mask[s] = 1;
                types[s] = s >= length / 2 ? 1 : 0;
            }
            int[] positions = new int[PREDICTIONS];
            int[] labels = new int[PREDICTIONS];
            float[] weights = new float[PREDICTIONS];
            positions[0] = 1 + random.nextInt(length - 1);
            labels[0] = ids[positions[0]];
            ids[positions[0]] = 4;
            weights[0] = 1f;
            out.add(new TrainingSample(ids, types, mask, positions, labels, weights, random.nextInt(2), length,
                    1, 0, 0, i));
        }
        return out;
    }

    static List<SampleBatch> batches(List<TrainingSample> samples, int batchSize) {
        List<SampleBatch> out = new ArrayList<>();
        for (int i = 0; i + batchSize <= samples.size(); i += batchSize) {
            out.add(SampleBatch.of(samples.subList(i, i + batchSize)));
        }
        return out;
    }
}
