package io.sparkbert.pipeline.samples;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * One pair as {@link PairBuilder} decides it, before segment B is known for a random next and before
 * {@link PairTruncation}: the state of Google's {@code create_instances_from_document} just before its
 * {@code truncate_seq_pair} call.
 *
 * <p>Exactly one of {@code tokensB} (IsNext: the real continuation) and {@code randomSpan} (NotNext:
 * a span of another document, to be {@link RandomSpan#resolve resolved}) is set. Arrays are not copied;
 * treat them as immutable. {@code equals}/{@code hashCode} compare the token contents.
 *
 * @param documentIndex   the document segment A comes from
 * @param dupe            the dupe (static copy) index, {@code 0..dupeFactor-1}
 * @param instance        numbers the drafts of one (document, dupe) from 0, in document order; with
 *                        documentIndex and dupe it identifies the sample (and seeds its later stages)
 * @param tokensA         segment A: the first {@code a_end} sentences of the chunk, never empty
 * @param tokensB         the real segment B (rest of the chunk), or null for a random next
 * @param randomSpan      the random segment B to fetch, or null for a real next
 * @param targetSeqLength Google's {@code target_seq_length} for this document and dupe
 */
public record InstanceDraft(long documentIndex, int dupe, int instance, int[] tokensA, int[] tokensB,
                            RandomSpan randomSpan, int targetSeqLength) implements Serializable {

    public InstanceDraft {
        if (tokensA == null || tokensA.length == 0) {
            throw new IllegalArgumentException("segment A must not be empty");
        }
        if ((tokensB == null) == (randomSpan == null)) {
            throw new IllegalArgumentException("exactly one of tokensB and randomSpan must be set");
        }
        if (tokensB != null && tokensB.length == 0) {
            throw new IllegalArgumentException("a real segment B must not be empty");
        }
    }

    /** NotNext (next_sentence_label 1): B is a random span of another document. */
    public boolean isRandomNext() {
        return randomSpan != null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InstanceDraft other
                && documentIndex == other.documentIndex
                && dupe == other.dupe
                && instance == other.instance
                && targetSeqLength == other.targetSeqLength
                && Arrays.equals(tokensA, other.tokensA)
                && Arrays.equals(tokensB, other.tokensB)
                && Objects.equals(randomSpan, other.randomSpan);
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(documentIndex, dupe, instance, targetSeqLength, randomSpan);
        h = 31 * h + Arrays.hashCode(tokensA);
        return 31 * h + Arrays.hashCode(tokensB);
    }

    @Override
    public String toString() {
        return "InstanceDraft[documentIndex=" + documentIndex + ", dupe=" + dupe + ", instance=" + instance
                + ", tokensA=" + Arrays.toString(tokensA)
                + (tokensB != null ? ", tokensB=" + Arrays.toString(tokensB) : ", randomSpan=" + randomSpan)
                + ", targetSeqLength=" + targetSeqLength + "]";
    }
}
