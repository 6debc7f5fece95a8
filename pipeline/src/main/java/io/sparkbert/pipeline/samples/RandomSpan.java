package io.sparkbert.pipeline.samples;

import java.io.Serializable;

/**
 * A request for the random ("NotNext") segment B of a pair, made by {@link PairBuilder} when it cannot
 * look at other documents (on Spark, the other document lives in another partition). The job joins the
 * request with the target document and calls {@link #resolve(Document)}.
 *
 * <p>It carries exactly what Google's code needs from its rng to pick the span: the random document,
 * the random start (as a fraction, because the builder does not know the target's sentence count;
 * {@code floor(startFraction * numSentences)} is uniform over the sentences like Google's
 * {@code randint(0, len(random_document) - 1)}) and the length to reach.
 *
 * @param documentIndex the dense global index of the document B comes from
 * @param startFraction in [0, 1]; the first sentence is {@code floor(startFraction * numSentences)},
 *                      clamped to the last sentence
 * @param targetLength  {@code target_seq_length − len(tokens_a)}; sentences are appended until B has at
 *                      least this many tokens or the document ends (may be ≤ 0: B is then one sentence)
 */
public record RandomSpan(long documentIndex, double startFraction, int targetLength) implements Serializable {

    public RandomSpan {
        if (documentIndex < 0) {
            throw new IllegalArgumentException("document index must not be negative: " + documentIndex);
        }
        if (!(startFraction >= 0 && startFraction <= 1)) {
            throw new IllegalArgumentException("startFraction must be in [0, 1]: " + startFraction);
        }
    }

    /** The first sentence of the span in a document of {@code numSentences} sentences. */
    public int startSentence(int numSentences) {
        int start = (int) Math.floor(startFraction * numSentences);
        return Math.min(start, numSentences - 1);
    }

    /**
     * Segment B, exactly Google's loop: from the start sentence, append whole sentences and stop as soon
     * as B has at least {@code targetLength} tokens, or at the end of the document. At least one sentence
     * is always taken, so B is never empty. Not truncated here ({@link PairTruncation} does that).
     *
     * @throws IllegalArgumentException if {@code target} is not the document this span points at
     */
    public int[] resolve(Document target) {
        if (target.index() != documentIndex) {
            throw new IllegalArgumentException("span points at document " + documentIndex + ", got document "
                    + target.index());
        }
        int[][] sentences = target.sentences();
        int start = startSentence(sentences.length);
        int end = start;
        long length = 0;
        while (end < sentences.length) {
            length += sentences[end].length;
            end++;
            if (length >= targetLength) {
                break;
            }
        }
        int[] out = new int[(int) length];
        int pos = 0;
        for (int s = start; s < end; s++) {
            System.arraycopy(sentences[s], 0, out, pos, sentences[s].length);
            pos += sentences[s].length;
        }
        return out;
    }
}
