package io.sparkbert.pipeline.preprocess;

import io.sparkbert.pipeline.samples.SampleStats;
import io.sparkbert.pipeline.samples.TrainingSample;
import org.apache.spark.util.AccumulatorV2;

/**
 * Sums {@link SampleStats} over the samples as they are written. It is updated only in the result
 * stage of the write, where Spark applies each task's update exactly once even when tasks are retried.
 */
final class SampleStatsAccumulator extends AccumulatorV2<TrainingSample, SampleStats> {
    private static final long serialVersionUID = 1L;
    private SampleStats stats = new SampleStats();

    @Override
    public boolean isZero() {
        return stats.samples == 0;
    }

    @Override
    public AccumulatorV2<TrainingSample, SampleStats> copy() {
        SampleStatsAccumulator copy = new SampleStatsAccumulator();
        copy.stats = stats.copy();
        return copy;
    }

    @Override
    public void reset() {
        stats = new SampleStats();
    }

    @Override
    public void add(TrainingSample sample) {
        stats.add(sample);
    }

    @Override
    public void merge(AccumulatorV2<TrainingSample, SampleStats> other) {
        stats.merge(other.value());
    }

    @Override
    public SampleStats value() {
        return stats;
    }
}
