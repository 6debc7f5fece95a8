package io.sparkbert.pipeline.samples;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits one document into sentence pairs (A, B) for next-sentence prediction: Google's
 * {@code create_instances_from_document} from {@code create_pretraining_data.py} (docs/design.md §3.1), up to the
 * point where it calls {@code truncate_seq_pair}, reshaped so that a document can be processed without
 * seeing the rest of the corpus.
 *
 * <h2>What is exactly Google's</h2>
 * <ul>
 *   <li>{@code target_seq_length} is {@code max_num_tokens} (max_seq_length − 3), or, if
 *       {@code random() < short_seq_prob}, {@code randint(2, max_num_tokens)}; once per document and
 *       dupe.</li>
 *   <li>Sentences are accumulated into {@code current_chunk} until it holds the document's last sentence
 *       or {@code current_length >= target_seq_length} (but see difference 6); then {@code a_end} is 1 if the chunk has fewer than
 *       2 sentences, else {@code randint(1, len(current_chunk) - 1)}; A is the first {@code a_end}
 *       sentences.</li>
 *   <li>B is a random next if the chunk has one sentence or {@code random() < 0.5} (the draw is skipped
 *       for a one-sentence chunk, as Python's {@code or} short-circuits); then the unused sentences are put
 *       back, {@code i -= len(current_chunk) - a_end}, so the next chunk starts at the first of them and no
 *       text is lost or repeated. Otherwise B is the rest of the chunk (IsNext).</li>
 *   <li>The random draws happen in Google's order: short-seq draw (and its randint), then per chunk the
 *       {@code a_end} randint (only for chunks of ≥ 2 sentences), the 0.5 draw, and for a random next the
 *       random document and the random start.</li>
 * </ul>
 *
 * <h2>Deliberate differences (they make the job distributable and deterministic)</h2>
 * <ol>
 *   <li><b>Randomness.</b> Not one rng shared by the whole corpus, but a {@link SeededRandom} per
 *       (document, dupe): {@code SeededRandom.seed(config.seed(), document.index(), dupe, PURPOSE_PAIRS)}.
 *       The output depends only on corpus, config and seed, never on partitioning or retries (docs/design.md §8).
 *       It is consumed by this stage only; Google's rng is also consumed by truncation and masking between
 *       chunks, which here draw from their own generators. So the draws follow Google's order but are not
 *       the same numbers (Python's Mersenne Twister is not reproduced either).</li>
 *   <li><b>The random document is not fetched.</b> Instead of up to ten {@code randint(0, n - 1)} retries
 *       until the index differs from this document (which can still end on this document with probability
 *       n^-10), one draw {@code r = nextLong(n - 1)} and {@code r < index ? r : r + 1}: uniform over the
 *       <em>other</em> documents. With a single document there is no other one: the draw is skipped and the
 *       span points at this document itself (which is what Google's ten retries end with too).</li>
 *   <li><b>The random start is a fraction.</b> {@code nextDouble()} instead of
 *       {@code randint(0, len(random_document) - 1)}, because the target's sentence count is unknown here;
 *       {@link RandomSpan#resolve} maps it to {@code floor(f * numSentences)}, uniform over the sentences.
 *       B is then built by Google's loop, with {@code target_b_length = target_seq_length − len(tokens_a)},
 *       when the job joins the {@link RandomSpan} with its document.</li>
 *   <li><b>No truncation here.</b> {@code truncate_seq_pair} needs B, which is unknown for a random next;
 *       it is {@link PairTruncation#truncate}, applied by the caller after resolving. The drafts are the
 *       untruncated (A, B) Google passes to it.</li>
 *   <li><b>No masking, no instance shuffle.</b> Later stages, seeded per sample.</li>
 *   <li><b>A chunk has two sentences whenever the document has them left.</b> Google closes a chunk as
 *       soon as it reaches the target length, even with one sentence, and a one-sentence chunk can only
 *       be a random next. With short targets (short_seq_prob) and long sentences that is frequent: on the
 *       bundled KJV corpus Google's rule gives 43.8% IsNext instead of the coin's 50% (docs/design.md §3.1). Here a
 *       chunk that reaches the target with one sentence takes the next one too (truncate_seq_pair trims
 *       the excess); a chunk is not closed if that would leave the document's last sentence alone; and a
 *       random next at the end of a document that would put back only the last sentence puts it into A
 *       instead. So only one-sentence documents are forced to be random next, no text is lost, and the
 *       IsNext share is the coin's 50% (49.9% on the KJV corpus, where Google's rule gives 43.8%).</li>
 * </ol>
 * Google's {@code if current_chunk:} is always true (a sentence was just appended) and its asserts
 * {@code len(tokens_a) >= 1}, {@code len(tokens_b) >= 1} cannot fail for a draft: a {@link Document} has
 * no empty sentence, A holds at least one sentence, a real B at least one, and a resolved random B at
 * least one; {@link PairTruncation} re-checks them after truncating.
 */
public final class PairBuilder implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Purpose value mixed into the pair builder's seed, so its stream differs from other stages'. */
    public static final long PURPOSE_PAIRS = 0x5041495253L; // "PAIRS"

    /**
     * The drafts of one document for one dupe, in document order (Google's
     * {@code create_instances_from_document} before truncation and masking).
     *
     * @param document     the document, with its dense global index
     * @param dupe         the dupe index (0-based); each dupe gets different random choices
     * @param numDocuments number of documents in the corpus, for the random-next document draw
     * @param config       max_seq_length, short_seq_prob and the seed
     */
    public List<InstanceDraft> build(Document document, int dupe, long numDocuments, SampleConfig config) {
        if (numDocuments < 1 || document.index() >= numDocuments) {
            throw new IllegalArgumentException("document index " + document.index()
                    + " is outside a corpus of " + numDocuments + " documents");
        }
        if (dupe < 0) {
            throw new IllegalArgumentException("dupe must not be negative: " + dupe);
        }
        SeededRandom rng = new SeededRandom(SeededRandom.seed(config.seed(), document.index(), dupe, PURPOSE_PAIRS));
        int[][] sentences = document.sentences();
        int maxNumTokens = config.maxNumTokens();

        int targetSeqLength = maxNumTokens;
        if (rng.nextDouble() < config.shortSeqProb()) {
            targetSeqLength = rng.nextIntInclusive(2, maxNumTokens);
        }

        List<InstanceDraft> drafts = new ArrayList<>();
        int chunkStart = 0; // current_chunk is sentences[chunkStart..i]
        long currentLength = 0;
        int i = 0;
        while (i < sentences.length) {
            currentLength += sentences[i].length;
            // Google closes a chunk as soon as it reaches the target, even with a single sentence, and a
            // one-sentence chunk is always a random next; here it takes one more sentence when there is
            // one (truncation trims the excess), so the 50/50 coin decides IsNext/NotNext (see class doc).
            // Nor does it leave the document's last sentence alone for a chunk of its own.
            boolean reachedTarget = currentLength >= targetSeqLength && i > chunkStart && i != sentences.length - 2;
            if (i == sentences.length - 1 || reachedTarget) {
                int chunkSize = i - chunkStart + 1;
                int aEnd = 1;
                if (chunkSize >= 2) {
                    aEnd = rng.nextIntInclusive(1, chunkSize - 1);
                }
                boolean randomNext = chunkSize == 1 || rng.nextDouble() < 0.5;
                if (randomNext && i == sentences.length - 1 && chunkSize - aEnd == 1) {
                    aEnd = chunkSize; // the document's last sentence goes into A rather than back, alone
                }
                int[] tokensA = concat(sentences, chunkStart, chunkStart + aEnd);
                if (randomNext) {
                    long randomDocument = otherDocument(rng, document.index(), numDocuments);
                    double startFraction = rng.nextDouble();
                    RandomSpan span = new RandomSpan(randomDocument, startFraction, targetSeqLength - tokensA.length);
                    drafts.add(new InstanceDraft(document.index(), dupe, drafts.size(), tokensA, null, span,
                            targetSeqLength));
                    // put the unused sentences back: the next chunk starts right after A
                    i -= chunkSize - aEnd;
                } else {
                    int[] tokensB = concat(sentences, chunkStart + aEnd, chunkStart + chunkSize);
                    drafts.add(new InstanceDraft(document.index(), dupe, drafts.size(), tokensA, tokensB, null,
                            targetSeqLength));
                }
                chunkStart = i + 1;
                currentLength = 0;
            }
            i++;
        }
        return drafts;
    }

    /** Uniform over the documents other than {@code self}; {@code self} (no draw) if it is the only one. */
    private static long otherDocument(SeededRandom rng, long self, long numDocuments) {
        if (numDocuments == 1) {
            return self;
        }
        long r = rng.nextLong(numDocuments - 1);
        return r < self ? r : r + 1;
    }

    private static int[] concat(int[][] sentences, int from, int to) {
        int length = 0;
        for (int s = from; s < to; s++) {
            length += sentences[s].length;
        }
        int[] out = new int[length];
        int pos = 0;
        for (int s = from; s < to; s++) {
            System.arraycopy(sentences[s], 0, out, pos, sentences[s].length);
            pos += sentences[s].length;
        }
        return out;
    }
}
