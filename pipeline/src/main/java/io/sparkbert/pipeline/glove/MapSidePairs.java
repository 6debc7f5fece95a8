package io.sparkbert.pipeline.glove;

import java.util.function.Consumer;

/**
 * A task's co-occurrence sums in bounded memory, in two tiers as cooccur.c has them:
 * <ul>
 *   <li>a dense table for the pairs whose ids (frequency ranks) have a product of at most
 *       {@code maxProduct} — cooccur.c's "bigram table": row w1 holds w2 = 1..min(V, maxProduct / w1),
 *       so the frequent words pair with every word there, and these pairs take most of the increments;
 *       it is never flushed;</li>
 *   <li>a buffer of the other increments; when it is full it is radix-sorted, equal pairs are added up,
 *       and the sorted partial sums go to the shuffle (as cooccur.c writes its overflow runs).</li>
 * </ul>
 * Dense cells are ints (units are positive; one increment is at most lcm(1..20) < 2^31): a cell about to
 * overflow hands its sum on as a partial sum and starts again, so sums stay exact. Partial sums leave in
 * encoded chunks ({@link PairRuns}), cut at the boundaries of the output ranges, so each chunk goes to
 * exactly one range. Memory: 4 bytes per dense cell plus 32 per buffered increment.
 */
public final class MapSidePairs implements CooccurrenceWindow.PairSink {
    private static final int CHUNK_BYTES = 1 << 20;

    /** A chunk of sorted partial sums for one output range. */
    public record Chunk(int range, byte[] bytes) {
    }

    private final int vocabSize;
    private final int w2Bits;
    private final int keyBits;
    private final int[] rowLength;
    private final long[] rowStart;
    private final int[] dense;
    private final long[] keys;
    private final long[] units;
    private final long[] scratchKeys;
    private final long[] scratchUnits;
    private final int[] rangeUpper;
    private final Consumer<Chunk> out;
    private int buffered;
    private long flushes;

    /**
     * @param rangeUpper the last word1 of each output range, ascending (the last one ≥ vocabSize)
     * @param denseCells the dense table's size bound (cells)
     * @param bufferPairs increments buffered before a sorted flush
     */
    public MapSidePairs(int vocabSize, long denseCells, int bufferPairs, int[] rangeUpper, Consumer<Chunk> out) {
        this.vocabSize = vocabSize;
        this.w2Bits = PairRuns.idBits(vocabSize);
        this.keyBits = 2 * w2Bits;
        long maxProduct = maxProduct(vocabSize, denseCells);
        this.rowLength = new int[vocabSize + 1];
        this.rowStart = new long[vocabSize + 1];
        long cells = 0;
        for (int w1 = 1; w1 <= vocabSize; w1++) {
            rowStart[w1] = cells;
            rowLength[w1] = (int) Math.min(vocabSize, maxProduct / w1);
            cells += rowLength[w1];
        }
        this.dense = new int[(int) cells];
        this.keys = new long[bufferPairs];
        this.units = new long[bufferPairs];
        this.scratchKeys = new long[bufferPairs];
        this.scratchUnits = new long[bufferPairs];
        this.rangeUpper = rangeUpper;
        this.out = out;
    }

    /** cells(P) = Σ_{w1 ≤ V} min(V, P / w1): the largest P whose table fits in {@code cells}. */
    static long maxProduct(int vocabSize, long cells) {
        long lo = 0;
        long hi = (long) vocabSize * vocabSize;
        long limit = Math.min(cells, Integer.MAX_VALUE - 16);
        while (lo < hi) {
            long mid = (lo + hi + 1) >>> 1;
            if (cells(vocabSize, mid) <= limit) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private static long cells(int vocabSize, long product) {
        long total = 0;
        for (int w1 = 1; w1 <= vocabSize; w1++) {
            long row = Math.min(vocabSize, product / w1);
            if (row == 0) {
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

    @Override
    public void add(int word1, int word2, long increment) {
        if (word2 <= rowLength[word1] && increment <= Integer.MAX_VALUE) {
            int cell = (int) (rowStart[word1] + word2 - 1);
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
        keys[buffered] = ((long) word1 << w2Bits) | word2;
        units[buffered++] = increment;
        if (buffered == keys.length) {
            flush();
        }
    }

    /** Sorts, combines and hands over the buffered increments. */
    public void flush() {
        if (buffered == 0) {
            return;
        }
        int n = PairRuns.sortAndCombine(keys, units, buffered, keyBits, scratchKeys, scratchUnits);
        buffered = 0;
        flushes++;
        PairRuns.Encoder encoder = new PairRuns.Encoder(Math.min(CHUNK_BYTES + 64, 16 + n * 6));
        int range = 0;
        for (int i = 0; i < n; i++) {
            int word1 = (int) (keys[i] >>> w2Bits);
            int r = rangeOf(word1, range);
            if (r != range || encoder.size() >= CHUNK_BYTES) {
                emit(encoder, range);
                range = r;
            }
            encoder.add(keys[i], units[i]);
        }
        emit(encoder, range);
    }

    /** Hands over everything still held: the buffer, then the dense table's non-zeros. */
    public void finish() {
        flush();
        PairRuns.Encoder encoder = new PairRuns.Encoder(CHUNK_BYTES + 64);
        int range = 0;
        for (int w1 = 1; w1 <= vocabSize; w1++) {
            int length = rowLength[w1];
            if (length == 0) {
                break;
            }
            int r = rangeOf(w1, range);
            if (r != range) {
                emit(encoder, range);
                range = r;
            }
            int start = (int) rowStart[w1];
            long base = (long) w1 << w2Bits;
            for (int j = 0; j < length; j++) {
                int value = dense[start + j];
                if (value != 0) {
                    encoder.add(base | (j + 1), value);
                    dense[start + j] = 0;
                    if (encoder.size() >= CHUNK_BYTES) {
                        emit(encoder, range);
                    }
                }
            }
        }
        emit(encoder, range);
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
