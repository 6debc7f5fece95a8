package io.sparkbert.pipeline.samples;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/** Measured properties of the samples written (report.json): counts, ratios, the 80/10/10 split. */
public final class SampleStats implements Serializable {
    private static final long serialVersionUID = 1L;

    public long samples;
    public long isNext;
    public long realTokens;
    public long predictions;
    public long masked;
    public long randomReplaced;
    public long kept;

    public void add(TrainingSample sample) {
        samples++;
        if (sample.nextSentenceLabel() == TrainingSample.IS_NEXT) {
            isNext++;
        }
        realTokens += sample.length();
        predictions += sample.maskCount() + sample.randomCount() + sample.keepCount();
        masked += sample.maskCount();
        randomReplaced += sample.randomCount();
        kept += sample.keepCount();
    }

    public SampleStats merge(SampleStats other) {
        samples += other.samples;
        isNext += other.isNext;
        realTokens += other.realTokens;
        predictions += other.predictions;
        masked += other.masked;
        randomReplaced += other.randomReplaced;
        kept += other.kept;
        return this;
    }

    public SampleStats copy() {
        return new SampleStats().merge(this);
    }

    private static double ratio(long part, long whole) {
        return whole == 0 ? 0 : (double) part / whole;
    }

    /** The figures under the names report.json uses. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("samples", samples);
        map.put("is_next", isNext);
        map.put("not_next", samples - isNext);
        map.put("is_next_ratio", ratio(isNext, samples));
        map.put("mean_real_length", ratio(realTokens, samples));
        map.put("masked_positions", predictions);
        // [CLS] and the two [SEP] are never masked: the fraction that matters is of the rest
        map.put("masked_fraction_of_maskable_tokens", ratio(predictions, realTokens - 3 * samples));
        map.put("masked_fraction_of_tokens", ratio(predictions, realTokens));
        map.put("mask_token_share", ratio(masked, predictions));
        map.put("random_token_share", ratio(randomReplaced, predictions));
        map.put("kept_token_share", ratio(kept, predictions));
        return map;
    }
}
