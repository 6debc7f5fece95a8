package io.sparkbert.pipeline.glove;

/**
 * A task's co-occurrence sums in two tiers, the idea of cooccur.c's dense "bigram table": pairs of two
 * frequent words (ids up to {@code denseWords}, ids being frequency ranks) take most of the increments
 * and are summed in a dense array that is never flushed; all other pairs go to a bounded
 * {@link PairCountMap} that flushes partial sums when full. So frequent pairs cross the shuffle once per
 * task, and memory stays at denseWords² × 8 bytes plus the sparse table, whatever the corpus.
 */
public final class TieredPairCounts {
    private final int denseWords;
    private final long[] dense;
    private final PairCountMap sparse;
    private final PairCountMap.Flush out;

    public TieredPairCounts(int denseWords, int maxSparsePairs, PairCountMap.Flush out) {
        this.denseWords = denseWords;
        this.dense = new long[denseWords * denseWords];
        this.sparse = new PairCountMap(maxSparsePairs, out);
        this.out = out;
    }

    public void add(int word1, int word2, long units) {
        if (word1 <= denseWords && word2 <= denseWords) {
            int i = (word1 - 1) * denseWords + (word2 - 1);
            dense[i] = Math.addExact(dense[i], units);
        } else {
            sparse.add(word1, word2, units);
        }
    }

    /** Hands over everything still held: the sparse table's rest, then the dense non-zeros. */
    public void finish() {
        sparse.flush();
        for (int i = 0; i < dense.length; i++) {
            if (dense[i] != 0) {
                out.pair(PairCountMap.key(i / denseWords + 1, i % denseWords + 1), dense[i]);
                dense[i] = 0;
            }
        }
    }
}
