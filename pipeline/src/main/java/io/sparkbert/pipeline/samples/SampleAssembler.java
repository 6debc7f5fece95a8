package io.sparkbert.pipeline.samples;

import io.sparkbert.pipeline.tokenizer.BertPostProcessor;
import io.sparkbert.pipeline.tokenizer.PostProcessor;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.Serializable;

/**
 * The last stage: a pair draft and its segment B become a padded {@link TrainingSample}: the pair is
 * truncated to fit (Google's truncate_seq_pair), framed as [CLS] A [SEP] B [SEP] ({@link BertPostProcessor}), masked
 * ({@link Masker}) and padded. Each random step has a generator of its own, seeded from the run seed
 * and the sample's identity, so a sample does not depend on where or when it is assembled.
 */
public final class SampleAssembler implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final long PURPOSE_TRUNCATE = 0x5452554E43L; // "TRUNC"
    private static final long PURPOSE_MASK = 0x4D41534BL; // "MASK"
    private static final long PURPOSE_ORDER = 0x4F52444552L; // "ORDER"

    private final SampleConfig config;
    private final Masker masker;
    private final PostProcessor framing;
    private final int padId;

    public SampleAssembler(Vocab vocab, SampleConfig config) {
        this.config = config;
        this.masker = new Masker(vocab, config);
        this.framing = new BertPostProcessor(vocab);
        this.padId = vocab.padId();
    }

    public TrainingSample assemble(InstanceDraft draft, int[] tokensB) {
        long[] identity = {config.seed(), draft.documentIndex(), draft.dupe(), draft.instance()};
        PairTruncation.Pair pair = PairTruncation.truncate(draft.tokensA(), tokensB, config.maxNumTokens(),
                new SeededRandom(SeededRandom.seed(append(identity, PURPOSE_TRUNCATE))));
        PostProcessor.Encoding framed = framing.frame(pair.a(), pair.b());
        int length = framed.length();
        int[] segments = java.util.Arrays.copyOf(framed.typeIds(), config.maxSeqLength());
        MaskedSample masked = masker.mask(framed.ids(),
                new SeededRandom(SeededRandom.seed(append(identity, PURPOSE_MASK))));

        int[] inputIds = new int[config.maxSeqLength()];
        int[] attention = new int[config.maxSeqLength()];
        System.arraycopy(masked.tokens(), 0, inputIds, 0, length);
        for (int i = 0; i < config.maxSeqLength(); i++) {
            if (i < length) {
                attention[i] = 1;
            } else {
                inputIds[i] = padId;
            }
        }
        int[] positions = new int[config.maxPredictionsPerSeq()];
        int[] labels = new int[config.maxPredictionsPerSeq()];
        float[] weights = new float[config.maxPredictionsPerSeq()];
        for (int p = 0; p < masked.positions().length; p++) {
            positions[p] = masked.positions()[p];
            labels[p] = masked.labels()[p];
            weights[p] = 1.0f;
        }
        return new TrainingSample(inputIds, segments, attention, positions, labels, weights,
                draft.isRandomNext() ? TrainingSample.NOT_NEXT : TrainingSample.IS_NEXT, length,
                masked.maskCount(), masked.randomCount(), masked.keepCount(),
                SeededRandom.seed(append(identity, PURPOSE_ORDER)));
    }

    private static long[] append(long[] values, long last) {
        long[] out = java.util.Arrays.copyOf(values, values.length + 1);
        out[values.length] = last;
        return out;
    }
}
