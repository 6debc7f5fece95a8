package io.sparkbert.pipeline.samples;

import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.Serializable;
import java.util.Arrays;

/**
 * The masked-LM stage of sample generation (docs/design.md §3.3), with the semantics of
 * {@code create_masked_lm_predictions} in Google's {@code create_pretraining_data.py}.
 *
 * <p>Given a full sample {@code [CLS] A [SEP] B [SEP]} it does, in Google's order and with Google's
 * random draws:
 * <ol>
 *   <li>Candidates: every position whose token is not {@code [CLS]} or {@code [SEP]} (nor
 *       {@code [PAD]}, which Google never sees because it pads later). With whole-word masking a
 *       {@code ##} piece joins the candidate of the piece before it, so a word is one candidate.</li>
 *   <li>{@code rng.shuffle(cand_indexes)}: one Fisher-Yates shuffle of the candidate list.</li>
 *   <li>{@code num_to_predict = min(max_predictions_per_seq, max(1, round(len(tokens) * masked_lm_prob)))}
 *       where {@code len(tokens)} counts {@code [CLS]} and {@code [SEP]} and {@code round} is Python 3's
 *       round-half-to-even ({@link Math#rint}): 2.5 gives 2, 3.5 gives 4. See {@link #numToPredict}.</li>
 *   <li>Walk the shuffled candidates; stop once {@code num_to_predict} positions are chosen; skip a
 *       candidate whose pieces would overshoot ({@code if len(masked_lms) + len(index_set) >
 *       num_to_predict: continue}). Without whole-word masking every candidate is one position,
 *       so exactly {@code num_to_predict} positions are chosen whenever there are that many
 *       candidates. With whole-word masking fewer may be chosen: words that do not fit are
 *       skipped, and the remaining ones may not fill the budget exactly.</li>
 *   <li>For each chosen position, in that order: {@code if rng.random() < 0.8: [MASK]}, else
 *       {@code if rng.random() < 0.5: keep} the original, else a random token
 *       {@code vocab_words[rng.randint(0, len(vocab_words) - 1)]}.</li>
 *   <li>Positions are reported ascending, with the original ids as labels.</li>
 * </ol>
 *
 * <p>Deviations from Google, both deliberate:
 * <ul>
 *   <li>Random replacements are drawn uniformly from the <em>real</em> vocabulary (docs/design.md §3.3), not from
 *       every vocab entry as Google's {@code vocab_words} does: the five special tokens and every
 *       reserved entry written in brackets, such as BERT's {@code [unused12]} placeholders, are
 *       excluded, because the model should never learn to see them inside text. {@code ##} pieces
 *       are real tokens and are included. The replacement list is in ascending id order.</li>
 *   <li>With whole-word masking a {@code ##} piece only joins a word it directly follows. Google
 *       appends it to the last candidate even across a {@code [SEP]}, which happens when
 *       truncation cut segment B in the middle of a word and would mask that fragment together
 *       with the last word of segment A. Here the fragment is a candidate of its own.</li>
 * </ul>
 * Google's {@code covered_indexes} check is not needed: candidates never share a position.
 * Google crashes on a sample without candidates; here it gets no predictions.
 *
 * <p>Built once per vocabulary and configuration; immutable and {@link Serializable} so it can be
 * shipped to Spark executors. The random generator is passed per call, so the result depends only
 * on the sample and the generator's seed.
 */
public final class Masker implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Google's 80% [MASK] share. */
    static final double MASK_PROB = 0.8;
    /** Of the remaining 20%, the share kept unchanged (the other half gets a random token). */
    static final double KEEP_PROB = 0.5;

    private final int vocabSize;
    /** continuation[id]: the token starts with "##". */
    private final boolean[] continuation;
    /** excluded[id]: [CLS], [SEP] or [PAD], never a candidate. */
    private final boolean[] excluded;
    /** The real tokens a position may be replaced with, ascending ids. */
    private final int[] replacementIds;
    private final int maskId;
    private final int maxPredictionsPerSeq;
    private final double maskedLmProb;
    private final boolean wholeWordMask;

    public Masker(Vocab vocab, SampleConfig config) {
        if (vocab == null || config == null) {
            throw new IllegalArgumentException("vocab and config are required");
        }
        this.vocabSize = vocab.size();
        this.continuation = new boolean[vocabSize];
        this.excluded = new boolean[vocabSize];
        int[] replacements = new int[vocabSize];
        int replacementCount = 0;
        for (int id = 0; id < vocabSize; id++) {
            String token = vocab.token(id);
            continuation[id] = token.startsWith(Vocab.CONTINUATION_PREFIX);
            if (!isReserved(token)) {
                replacements[replacementCount++] = id;
            }
        }
        excluded[vocab.clsId()] = true;
        excluded[vocab.sepId()] = true;
        excluded[vocab.padId()] = true;
        if (replacementCount == 0) {
            throw new IllegalArgumentException("the vocabulary has no real tokens to draw random replacements from"
                    + " (only special and [reserved] entries)");
        }
        this.replacementIds = Arrays.copyOf(replacements, replacementCount);
        this.maskId = vocab.maskId();
        this.maxPredictionsPerSeq = config.maxPredictionsPerSeq();
        this.maskedLmProb = config.maskedLmProb();
        this.wholeWordMask = config.wholeWordMask();
    }

    /**
     * Whether a vocabulary entry is a special or reserved token that never replaces a real one:
     * the five specials and any entry of the form {@code [...]} (BERT's {@code [unusedN]} slots).
     */
    public static boolean isReserved(String token) {
        return Vocab.SPECIAL_TOKENS.contains(token)
                || (token.length() >= 2 && token.charAt(0) == '[' && token.charAt(token.length() - 1) == ']');
    }

    /**
     * Google's {@code min(max_predictions_per_seq, max(1, int(round(length * masked_lm_prob))))}, with
     * Python 3's round-half-to-even; {@code length} includes {@code [CLS]} and the {@code [SEP]}s.
     */
    public static int numToPredict(int length, double maskedLmProb, int maxPredictionsPerSeq) {
        long rounded = (long) Math.rint(length * maskedLmProb);
        return (int) Math.min(maxPredictionsPerSeq, Math.max(1L, rounded));
    }

    /** {@link #numToPredict(int, double, int)} with this masker's configuration. */
    public int numToPredict(int length) {
        return numToPredict(length, maskedLmProb, maxPredictionsPerSeq);
    }

    /** How many real tokens random replacements are drawn from. */
    public int replacementCount() {
        return replacementIds.length;
    }

    /**
     * Masks one sample. {@code tokens} is a whole sample {@code [CLS] A [SEP] B [SEP]} without padding
     * and is not modified. Draws from {@code rng} exactly as Google draws from its {@code rng}: one
     * shuffle of the candidates, then per chosen position one or two {@code random()} calls and,
     * for a random replacement, one {@code randint}.
     */
    public MaskedSample mask(int[] tokens, SeededRandom rng) {
        if (tokens == null || rng == null) {
            throw new IllegalArgumentException("tokens and rng are required");
        }
        int n = tokens.length;
        // Candidates as groups of consecutive positions: group g is candPos[groupStart[g] .. groupStart[g+1]).
        int[] candPos = new int[n];
        int[] groupStart = new int[n + 1];
        int groups = 0;
        int candidates = 0;
        for (int i = 0; i < n; i++) {
            int id = tokens[i];
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("token id " + id + " at position " + i
                        + " is outside the vocabulary of " + vocabSize);
            }
            if (excluded[id]) {
                continue;
            }
            boolean joinsWord = wholeWordMask && continuation[id] && candidates > 0 && candPos[candidates - 1] == i - 1;
            if (!joinsWord) {
                groupStart[groups++] = candidates;
            }
            candPos[candidates++] = i;
        }
        groupStart[groups] = candidates;

        // rng.shuffle(cand_indexes): shuffling the group order is the same permutation of the groups.
        int[] order = new int[groups];
        for (int g = 0; g < groups; g++) {
            order[g] = g;
        }
        rng.shuffle(order, groups);

        int budget = numToPredict(n);
        int[] output = tokens.clone();
        int[] chosen = new int[Math.min(budget, candidates)];
        int count = 0;
        int masks = 0;
        int randoms = 0;
        int keeps = 0;
        for (int k = 0; k < groups; k++) {
            if (count >= budget) {
                break;
            }
            int g = order[k];
            int from = groupStart[g];
            int to = groupStart[g + 1];
            if (count + (to - from) > budget) {
                continue;
            }
            for (int c = from; c < to; c++) {
                int position = candPos[c];
                if (rng.nextDouble() < MASK_PROB) {
                    output[position] = maskId;
                    masks++;
                } else if (rng.nextDouble() < KEEP_PROB) {
                    keeps++;
                } else {
                    output[position] = replacementIds[rng.nextInt(replacementIds.length)];
                    randoms++;
                }
                chosen[count++] = position;
            }
        }

        int[] positions = Arrays.copyOf(chosen, count);
        Arrays.sort(positions);
        int[] labels = new int[count];
        for (int k = 0; k < count; k++) {
            labels[k] = tokens[positions[k]];
        }
        return new MaskedSample(output, positions, labels, masks, randoms, keeps);
    }

    /**
     * The stored sample masked anew (RoBERTa's dynamic masking): the same pair, segments and label, its
     * original tokens masked again with {@code rng}; padded to the sample's lengths.
     */
    public TrainingSample remask(TrainingSample s, SeededRandom rng) {
        MaskedSample m = mask(s.unmaskedTokens(), rng);
        int maxPredictions = s.maskedLmPositions().length;
        int[] positions = new int[maxPredictions];
        int[] labels = new int[maxPredictions];
        float[] weights = new float[maxPredictions];
        for (int i = 0; i < m.predictionCount(); i++) {
            positions[i] = m.positions()[i];
            labels[i] = m.labels()[i];
            weights[i] = 1f;
        }
        return new TrainingSample(java.util.Arrays.copyOf(m.tokens(), s.inputIds().length), s.tokenTypeIds(),
                s.attentionMask(), positions, labels, weights, s.nextSentenceLabel(), s.length(), m.maskCount(),
                m.randomCount(), m.keepCount(), s.order());
    }
}
