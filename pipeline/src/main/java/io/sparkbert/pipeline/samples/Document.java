package io.sparkbert.pipeline.samples;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One document of the tokenized corpus, the unit Google's {@code create_instances_from_document} works
 * on: its sentences as WordPiece id arrays, without [CLS]/[SEP].
 *
 * <p>Like Google's reader, which drops empty lines' token lists and empty documents, a document has at
 * least one sentence and every sentence at least one token (docs/design.md §1 skips and counts empty documents
 * before this stage). That is what makes an empty segment A impossible in {@link PairBuilder}.
 *
 * <p>The arrays are not copied (documents are large and flow through Spark); treat them as immutable.
 * {@code equals}/{@code hashCode} compare the token contents, not the array identities.
 *
 * @param index     the document's dense global index in the corpus, {@code 0..numDocuments-1}; it seeds
 *                  the document's random choices and is what a {@link RandomSpan} points at
 * @param sentences the document's sentences as WordPiece ids, no specials
 */
public record Document(long index, int[][] sentences) implements Serializable {

    public Document {
        if (index < 0) {
            throw new IllegalArgumentException("document index must not be negative: " + index);
        }
        if (sentences == null || sentences.length == 0) {
            throw new IllegalArgumentException("document " + index + " has no sentences");
        }
        for (int s = 0; s < sentences.length; s++) {
            if (sentences[s] == null || sentences[s].length == 0) {
                throw new IllegalArgumentException("document " + index + " has an empty sentence at " + s);
            }
        }
    }

    /** Number of sentences. */
    public int numSentences() {
        return sentences.length;
    }

    /** Number of tokens over all sentences. */
    public long numTokens() {
        long n = 0;
        for (int[] sentence : sentences) {
            n += sentence.length;
        }
        return n;
    }

    /**
     * The result of {@link #truncateLongSentences}: the sentences, and how many of them were cut, so the
     * job can report it (docs/design.md §1: nothing is changed silently).
     *
     * @param sentences    the sentences, each at most {@code maxNumTokens} long (uncut ones are the input
     *                     arrays themselves)
     * @param numTruncated how many sentences were longer and were cut
     */
    public record TruncatedSentences(int[][] sentences, int numTruncated) implements Serializable {
    }

    /**
     * Cuts every single sentence longer than {@code config.maxNumTokens()} (max_seq_length − 3) to that
     * length with the configured {@link SampleConfig.Truncation} (docs/design.md §3.2).
     *
     * <p>Why: Google's pair builder would put such a sentence alone into segment A and then trim it one
     * token at a time from a random end, which is a random crop; the strategies here are the deliberate
     * choices of Sun et al. 2019 ("How to fine-tune BERT for text classification"), head+tail being their
     * best. Shorter sentences are untouched, so for ordinary text this is a no-op.
     *
     * @return a new outer array (the input is never modified) and the number of sentences cut
     */
    public static TruncatedSentences truncateLongSentences(int[][] sentences, SampleConfig config) {
        int maxTokens = config.maxNumTokens();
        int[][] out = new int[sentences.length][];
        int cut = 0;
        for (int s = 0; s < sentences.length; s++) {
            int[] sentence = sentences[s];
            if (sentence.length > maxTokens) {
                out[s] = truncate(sentence, maxTokens, config.truncation());
                cut++;
            } else {
                out[s] = sentence;
            }
        }
        return new TruncatedSentences(out, cut);
    }

    /**
     * Cuts one token array to at most {@code maxTokens}: HEAD keeps the first {@code maxTokens} tokens,
     * TAIL the last, HEAD_TAIL the first {@link #headLength(int) headLength(maxTokens)} and the last
     * {@code maxTokens − headLength} (128 + 382 for 510). Returns the input itself when it already fits.
     */
    public static int[] truncate(int[] tokens, int maxTokens, SampleConfig.Truncation truncation) {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("maxTokens must not be negative: " + maxTokens);
        }
        if (tokens.length <= maxTokens) {
            return tokens;
        }
        switch (truncation) {
            case HEAD:
                return Arrays.copyOfRange(tokens, 0, maxTokens);
            case TAIL:
                return Arrays.copyOfRange(tokens, tokens.length - maxTokens, tokens.length);
            case HEAD_TAIL: {
                int head = headLength(maxTokens);
                int tail = maxTokens - head;
                int[] out = new int[maxTokens];
                System.arraycopy(tokens, 0, out, 0, head);
                System.arraycopy(tokens, tokens.length - tail, out, head, tail);
                return out;
            }
            default:
                throw new IllegalArgumentException("unknown truncation " + truncation);
        }
    }

    /**
     * Head part of HEAD_TAIL for a budget of {@code maxTokens}: Sun et al.'s 128 of 510 scaled to the
     * budget, {@code Math.round(maxTokens * 128 / 510)} (half rounds up), so 510 → 128 and 125 → 31.
     */
    public static int headLength(int maxTokens) {
        return (int) Math.round(maxTokens * 128.0 / 510.0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Document other && index == other.index
                && Arrays.deepEquals(sentences, other.sentences);
    }

    @Override
    public int hashCode() {
        return 31 * Long.hashCode(index) + Arrays.deepHashCode(sentences);
    }

    @Override
    public String toString() {
        return "Document[index=" + index + ", sentences=" + Arrays.deepToString(sentences) + "]";
    }
}
