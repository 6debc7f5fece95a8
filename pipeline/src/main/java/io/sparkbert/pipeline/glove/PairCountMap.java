package io.sparkbert.pipeline.glove;

import java.util.Arrays;

/**
 * Map-side combining of co-occurrence increments with bounded memory: an open-addressing table from
 * the pair (word1, word2) to its summed units, of a fixed capacity. When it is full it is flushed (its
 * partial sums go on to the shuffle, where Spark adds them up) and starts empty again, so a task never
 * holds more than the capacity, however large the corpus's pair table.
 */
public final class PairCountMap {
    private static final long EMPTY = -1L;

    /** Receives the partial sums at a flush. */
    @FunctionalInterface
    public interface Flush {
        void pair(long key, long units);
    }

    private final long[] keys;
    private final long[] values;
    private final int mask;
    private final int maxEntries;
    private final Flush flush;
    private int size;
    private long flushes;

    /** @param maxEntries pairs held before a flush (the table has twice as many slots) */
    public PairCountMap(int maxEntries, Flush flush) {
        int capacity = Integer.highestOneBit(Math.max(16, maxEntries * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        Arrays.fill(keys, EMPTY);
        mask = capacity - 1;
        this.maxEntries = maxEntries;
        this.flush = flush;
    }

    public static long key(int word1, int word2) {
        return ((long) word1 << 32) | (word2 & 0xFFFFFFFFL);
    }

    public static int word1(long key) {
        return (int) (key >>> 32);
    }

    public static int word2(long key) {
        return (int) key;
    }

    public void add(int word1, int word2, long units) {
        long key = key(word1, word2);
        long h = key * 0x9E3779B97F4A7C15L;
        int i = (int) (h ^ (h >>> 32)) & mask;
        while (true) {
            long k = keys[i];
            if (k == key) {
                values[i] = Math.addExact(values[i], units);
                return;
            }
            if (k == EMPTY) {
                keys[i] = key;
                values[i] = units;
                if (++size >= maxEntries) {
                    flush();
                }
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /** Hands every partial sum to the flush target and empties the table. */
    public void flush() {
        if (size == 0) {
            return;
        }
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != EMPTY) {
                flush.pair(keys[i], values[i]);
                keys[i] = EMPTY;
            }
        }
        size = 0;
        flushes++;
    }

    public long flushes() {
        return flushes;
    }
}
