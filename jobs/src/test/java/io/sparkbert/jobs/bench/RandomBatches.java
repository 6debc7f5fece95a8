package io.sparkbert.jobs.bench;

import io.sparkbert.model.train.SampleBatch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** Random pretraining batches shaped like real ones, for tests and profiling tools of the bench package. */
final class RandomBatches {

    private RandomBatches() {
    }

    /**
     * {@code batch} samples of {@code seq} positions: 6..seq real tokens (ids 1..vocab-1, then padding), 1 to
     * {@code maxPredictions} masked positions among the real ones but the first (the rest padded with weight 0), random NSP labels.
     */
    static SampleBatch of(Random rng, int batch, int seq, int maxPredictions, int vocab) {
        int[][] ids = new int[batch][seq];
        int[][] types = new int[batch][seq];
        int[][] mask = new int[batch][seq];
        int[][] positions = new int[batch][maxPredictions];
        int[][] labels = new int[batch][maxPredictions];
        float[][] weights = new float[batch][maxPredictions];
        int[] nsp = new int[batch];
        for (int b = 0; b < batch; b++) {
            int length = 6 + rng.nextInt(seq - 5);
            for (int s = 0; s < length; s++) {
                ids[b][s] = 1 + rng.nextInt(vocab - 1);
                types[b][s] = s < length / 2 ? 0 : 1;
                mask[b][s] = 1;
            }
            int predictions = 1 + rng.nextInt(Math.min(maxPredictions, length - 1));    // never [CLS]
            List<Integer> candidates = new ArrayList<>();
            for (int s = 1; s < length; s++) {
                candidates.add(s);
            }
            Collections.shuffle(candidates, rng);
            for (int p = 0; p < predictions; p++) {
                positions[b][p] = candidates.get(p);
                labels[b][p] = 1 + rng.nextInt(vocab - 1);
                weights[b][p] = 1f;
            }
            nsp[b] = rng.nextInt(2);
        }
        return new SampleBatch(ids, types, mask, positions, labels, weights, nsp);
    }
}
