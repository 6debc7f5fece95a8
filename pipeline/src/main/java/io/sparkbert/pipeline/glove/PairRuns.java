package io.sparkbert.pipeline.glove;

import java.util.Arrays;

/**
 * Sorted runs of (pair key, units) records, the currency between the map and the reduce side of the
 * co-occurrence job. A key packs word1 above word2 ({@code word1 << word2Bits | word2}), so key order
 * is GloVe's record order. Runs are sorted with an LSD radix sort of (key, units) records and
 * combined by adding up equal keys; on the wire they are varint-encoded deltas of the keys and the
 * units (a record takes 3 to 5 bytes instead of 16).
 */
public final class PairRuns {
    private static final int MAX_DIGIT = 12;

    private PairRuns() {
    }

    /** Bits needed for word ids up to {@code maxId}. */
    public static int idBits(int maxId) {
        return 32 - Integer.numberOfLeadingZeros(Math.max(1, maxId));
    }

    /**
     * Sorts the first {@code n} records of {@code records} — record i is the key at {@code 2i} and its
     * units at {@code 2i + 1}, side by side so that a radix pass moves each record with one write stream
     * per bucket — ascending by key, with {@code keyBits} significant key bits, using {@code scratch}
     * (same length); then adds up equal keys. Returns the number of records left, in {@code records}.
     */
    public static int sortAndCombine(long[] records, int n, int keyBits, long[] scratch) {
        if (n == 0) {
            return 0;
        }
        long[] from = records;
        long[] to = scratch;
        int passes = Math.max(1, (keyBits + MAX_DIGIT - 1) / MAX_DIGIT);
        int digit = (keyBits + passes - 1) / passes;
        int buckets = 1 << digit;
        int mask = buckets - 1;
        int[][] counts = new int[passes][buckets];
        for (int i = 0; i < n; i++) { // all histograms in one read of the keys
            long key = from[2 * i];
            for (int p = 0; p < passes; p++) {
                counts[p][(int) (key >>> (p * digit)) & mask]++;
            }
        }
        for (int p = 0; p < passes; p++) {
            int[] count = counts[p];
            int shift = p * digit;
            boolean trivial = false;
            int sum = 0;
            for (int b = 0; b < buckets; b++) {
                int c = count[b];
                if (c == n) {
                    trivial = true;
                    break;
                }
                count[b] = sum;
                sum += c;
            }
            if (trivial) {
                continue;
            }
            for (int i = 0; i < 2 * n; i += 2) {
                long key = from[i];
                int d = 2 * count[(int) (key >>> shift) & mask]++;
                to[d] = key;
                to[d + 1] = from[i + 1];
            }
            long[] t = from;
            from = to;
            to = t;
        }
        // combine into the caller's array
        int out = 0;
        long current = from[0];
        long sum = from[1];
        for (int i = 2; i < 2 * n; i += 2) {
            if (from[i] == current) {
                sum = Math.addExact(sum, from[i + 1]);
            } else {
                records[out++] = current;
                records[out++] = sum;
                current = from[i];
                sum = from[i + 1];
            }
        }
        records[out++] = current;
        records[out++] = sum;
        return out / 2;
    }

    /** A growable byte buffer of varint-encoded, delta-keyed records. */
    public static final class Encoder {
        private byte[] bytes;
        private int size;
        private long previous;
        private int records;

        public Encoder(int capacity) {
            bytes = new byte[capacity];
        }

        /** Appends a record; keys must come in ascending order. */
        public void add(long key, long units) {
            if (size + 20 > bytes.length) {
                bytes = Arrays.copyOf(bytes, bytes.length * 2);
            }
            size = putVarLong(bytes, size, key - previous);
            size = putVarLong(bytes, size, units);
            previous = key;
            records++;
        }

        public int size() {
            return size;
        }

        public int records() {
            return records;
        }

        /** The encoded bytes so far; the encoder starts again empty. */
        public byte[] take() {
            byte[] out = Arrays.copyOf(bytes, size);
            size = 0;
            previous = 0;
            records = 0;
            return out;
        }
    }

    /** Reads the records of one encoded run. */
    public static final class Decoder {
        private final byte[] bytes;
        private final int[] position = new int[1];
        private long key;
        private long units;

        public Decoder(byte[] bytes) {
            this.bytes = bytes;
        }

        /** Moves to the next record; false at the end. */
        public boolean next() {
            if (position[0] >= bytes.length) {
                return false;
            }
            key += getVarLong(bytes, position);
            units = getVarLong(bytes, position);
            return true;
        }

        public long key() {
            return key;
        }

        public long units() {
            return units;
        }
    }

    /** Reads a varint at {@code position[0]}, moving it on. */
    static long getVarLong(byte[] bytes, int[] position) {
        long value = 0;
        int shift = 0;
        int p = position[0];
        byte b;
        do {
            b = bytes[p++];
            value |= (long) (b & 0x7F) << shift;
            shift += 7;
        } while (b < 0);
        position[0] = p;
        return value;
    }

    static int putVarLong(byte[] bytes, int position, long value) {
        while ((value & ~0x7FL) != 0) {
            bytes[position++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        bytes[position++] = (byte) value;
        return position;
    }
}
