package io.sparkbert.pipeline.glove;

import java.util.function.Consumer;

/**
 * A task's co-occurrence sums in bounded memory, in two tiers as cooccur.c has them:
 * <ul>
 *   <li>a dense table for the pairs whose ids (frequency ranks) have a product of at most
 *       {@code maxProduct} — cooccur.c's "bigram table": row w1 holds w2 up to min(V, maxProduct / w1),
 *       so the frequent words pair with every word there, and these pairs take most of the increments;
 *       it is never flushed;</li>
 *   <li>a buffer of the other increments; when it is full it is radix-sorted, equal pairs are added up,
 *       and the sorted partial sums go to the shuffle (as cooccur.c writes its overflow runs).</li>
 * </ul>
 * With symmetric context the matrix is symmetric: an occurrence of (w1, w2) adds to X[w1, w2] and to
 * X[w2, w1], so only the half with w1 &le; w2 is counted (half the increments, half the dense table:
 * row w1 starts at w2 = w1), and the other half is written out as its mirror image.
 *
 * <p>Dense cells are ints (units are positive; one increment is at most 2 lcm(1..20) &lt; 2^31): a cell
 * about to overflow hands its sum on as a partial sum and starts again, so sums stay exact. Partial sums
 * leave in encoded chunks ({@link PairRuns}), cut at the boundaries of the output ranges, so each chunk
 * goes to exactly one range. Memory: 4 bytes per dense cell plus 32 per buffered increment.
 */
public final class MapSidePairs implements CooccurrenceWindow.PairSink {
    /**
     * Bytes of a chunk: well below G1's humongous-object threshold (half a heap region, at least 512 KB),
     * which 1 MB chunks crossed — allocating them took a third of the map side's time at the end.
     */
    private static final int CHUNK_BYTES = 1 << 18;

    /** A chunk of sorted partial sums for one output range. */
    public record Chunk(int range, byte[] bytes) {
    }

    private final int vocabSize;
    private final boolean symmetric;
    private final int w2Bits;
    private final int keyBits;
    /** Row w1 of the dense table holds w2 in [first(w1), rowLast[w1]]: first is w1 when symmetric, else 1. */
    private final int[] rowLast;
    /** The cell of (w1, w2) is rowBase[w1] + w2. */
    private final int[] rowBase;
    private final int[] dense;
    /** Buffered increments: key at 2i, units at 2i + 1. */
    private final long[] buffer;
    private final long[] scratch;
    private final int[] rangeUpper;
    private final Consumer<Chunk> out;
    private int buffered;
    private long flushes;

    /**
     * @param symmetric  whether {@link #add} means both X[w1, w2] and X[w2, w1] (symmetric context)
     * @param rangeUpper the last word1 of each output range, ascending (the last one ≥ vocabSize)
     * @param denseCells the dense table's size bound (cells)
     * @param bufferPairs increments buffered before a sorted flush
     */
    public MapSidePairs(int vocabSize, boolean symmetric, long denseCells, int bufferPairs, int[] rangeUpper,
                        Consumer<Chunk> out) {
        this.vocabSize = vocabSize;
        this.symmetric = symmetric;
        this.w2Bits = PairRuns.idBits(vocabSize);
        this.keyBits = 2 * w2Bits;
        long maxProduct = maxProduct(vocabSize, symmetric, denseCells);
        this.rowLast = new int[vocabSize + 1];
        this.rowBase = new int[vocabSize + 1];
        long cells = 0;
        for (int w1 = 1; w1 <= vocabSize; w1++) {
            int first = symmetric ? w1 : 1;
            rowLast[w1] = (int) Math.min(vocabSize, maxProduct / w1);
            rowBase[w1] = (int) (cells - first);
            cells += Math.max(0, rowLast[w1] - first + 1);
        }
        this.dense = new int[(int) cells];
        this.buffer = new long[2 * bufferPairs];
        this.scratch = new long[2 * bufferPairs];
        this.rangeUpper = rangeUpper;
        this.out = out;
    }

    /** The largest product bound P whose table fits in {@code cells} (see {@link #cells}). */
    static long maxProduct(int vocabSize, boolean symmetric, long cells) {
        long lo = 0;
        long hi = (long) vocabSize * vocabSize;
        long limit = Math.min(cells, Integer.MAX_VALUE - 16);
        while (lo < hi) {
            long mid = (lo + hi + 1) >>> 1;
            if (cells(vocabSize, symmetric, mid) <= limit) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** cells(P) = Σ_{w1 ≤ V} |{w2 : first(w1) ≤ w2 ≤ min(V, P / w1)}|. */
    static long cells(int vocabSize, boolean symmetric, long product) {
        long total = 0;
        for (int w1 = 1; w1 <= vocabSize; w1++) {
            long row = Math.min(vocabSize, product / w1) - (symmetric ? w1 - 1 : 0);
            if (row <= 0) {
                break;
            }
            total += row;
        }
        return total;
    }

    public long denseCells() {
        return dense.length;
    }

    public long flushes() {
        return flushes;
    }

    /** The packed key of a pair: GloVe's order is the keys' order. */
    public long key(int word1, int word2) {
        return ((long) word1 << w2Bits) | word2;
    }

    /** Adds {@code increment} to X[word1, word2] (and, when symmetric, to X[word2, word1]). */
    @Override
    public void add(int word1, int word2, long increment) {
        if (symmetric) {
            if (word1 > word2) {
                int t = word1;
                word1 = word2;
                word2 = t;
            } else if (word1 == word2) {
                increment *= 2; // X[w, w] gets both additions
            }
        }
        if (word2 <= rowLast[word1] && increment <= Integer.MAX_VALUE) {
            int cell = rowBase[word1] + word2;
            int old = dense[cell];
            int sum = old + (int) increment;
            if (sum >= 0) {
                dense[cell] = sum;
                return;
            }
            // the int cell would overflow: its sum so far goes on as a partial sum, the cell starts again
            dense[cell] = (int) increment;
            buffer(word1, word2, old);
            return;
        }
        buffer(word1, word2, increment);
    }

    private void buffer(int word1, int word2, long increment) {
        buffer[2 * buffered] = ((long) word1 << w2Bits) | word2;
        buffer[2 * buffered + 1] = increment;
        if (++buffered == buffer.length / 2) {
            flush();
        }
    }

    /** Sorts, combines and hands over the buffered increments (and, when symmetric, their mirror images). */
    public void flush() {
        if (buffered == 0) {
            return;
        }
        int n = PairRuns.sortAndCombine(buffer, buffered, keyBits, scratch);
        buffered = 0;
        flushes++;
        emitSorted(n);
        if (symmetric) { // X[w2, w1] = X[w1, w2] for the pairs off the diagonal, sorted again
            long mask = (1L << w2Bits) - 1;
            int m = 0;
            for (int i = 0; i < n; i++) {
                int word1 = (int) (buffer[2 * i] >>> w2Bits);
                int word2 = (int) (buffer[2 * i] & mask);
                if (word1 != word2) {
                    buffer[2 * m] = key(word2, word1);
                    buffer[2 * m + 1] = buffer[2 * i + 1];
                    m++;
                }
            }
            emitSorted(PairRuns.sortAndCombine(buffer, m, keyBits, scratch));
        }
    }

    private void emitSorted(int n) {
        PairRuns.Encoder encoder = new PairRuns.Encoder(Math.min(CHUNK_BYTES + 64, 16 + n * 6));
        int range = 0;
        for (int i = 0; i < n; i++) {
            long key = buffer[2 * i];
            int r = rangeOf((int) (key >>> w2Bits), range);
            if (r != range || encoder.size() >= CHUNK_BYTES) {
                emit(encoder, range);
                range = r;
            }
            encoder.add(key, buffer[2 * i + 1]);
        }
        emit(encoder, range);
    }

    /** Hands over everything still held: the buffer, then the dense table's non-zeros, row by row (once). */
    public void finish() {
        flush();
        PairRuns.Encoder encoder = new PairRuns.Encoder(CHUNK_BYTES + 64);
        int range = 0;
        // symmetric: row w1 of the matrix is column w1 of the rows above (w2 < w1), then row w1 itself
        for (int w1 = 1; w1 <= vocabSize && rowHasCells(w1); w1++) {
            int r = rangeOf(w1, range);
            if (r != range) {
                emit(encoder, range);
                range = r;
            }
            long base = (long) w1 << w2Bits;
            if (symmetric) {
                for (int w2 = 1; w2 < w1 && rowLast[w2] >= w1; w2++) {
                    emitCell(encoder, range, dense[rowBase[w2] + w1], base | w2);
                }
            }
            for (int w2 = symmetric ? w1 : 1; w2 <= rowLast[w1]; w2++) {
                emitCell(encoder, range, dense[rowBase[w1] + w2], base | w2);
            }
        }
        emit(encoder, range);
    }

    /** Whether row w1 of the matrix has cells in the table (the rows after the first without any have none). */
    private boolean rowHasCells(int w1) {
        return symmetric ? rowLast[1] >= w1 : rowLast[w1] >= 1;
    }

    /** Encodes a non-zero cell's value as the record {@code key}. */
    private void emitCell(PairRuns.Encoder encoder, int range, int value, long key) {
        if (value != 0) {
            encoder.add(key, value);
            if (encoder.size() >= CHUNK_BYTES) {
                emit(encoder, range);
            }
        }
    }

    private int rangeOf(int word1, int from) {
        int r = from;
        while (word1 > rangeUpper[r]) {
            r++;
        }
        return r;
    }

    private void emit(PairRuns.Encoder encoder, int range) {
        if (encoder.records() > 0) {
            out.accept(new Chunk(range, encoder.take()));
        }
    }
}
