package io.sparkbert.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Bins of the key space and which epoch partitions need which bin, worked by hand. */
class EpochLayoutTest {

    @Test
    void binsCutTheSignedRangeIntoEqualParts() {
        // 4 bins of 2^62 keys each, in signed order: [MIN, -2^62), [-2^62, 0), [0, 2^62), [2^62, MAX]
        assertEquals(0, EpochLayout.bin(Long.MIN_VALUE, 4));
        assertEquals(0, EpochLayout.bin(-(1L << 62) - 1, 4));
        assertEquals(1, EpochLayout.bin(-(1L << 62), 4));
        assertEquals(1, EpochLayout.bin(-1, 4));
        assertEquals(2, EpochLayout.bin(0, 4));
        assertEquals(2, EpochLayout.bin((1L << 62) - 1, 4));
        assertEquals(3, EpochLayout.bin(1L << 62, 4));
        assertEquals(3, EpochLayout.bin(Long.MAX_VALUE, 4));
        // 3 bins (not a power of two): the edges at MIN + ceil(k * 2^64 / 3)
        long third = Long.divideUnsigned(-1L, 3) + 1;       // ceil(2^64 / 3) = 6148914691236517206
        assertEquals(0, EpochLayout.bin(Long.MIN_VALUE + third - 1, 3));
        assertEquals(1, EpochLayout.bin(Long.MIN_VALUE + third, 3));
        assertEquals(2, EpochLayout.bin(Long.MAX_VALUE, 3));
        // monotone in signed order
        Random random = new Random(1);
        for (int i = 0; i < 10_000; i++) {
            long a = random.nextLong();
            long b = random.nextLong();
            int bins = 1 + random.nextInt(5000);
            if (a <= b) {
                assertTrue(EpochLayout.bin(a, bins) <= EpochLayout.bin(b, bins));
            } else {
                assertTrue(EpochLayout.bin(a, bins) >= EpochLayout.bin(b, bins));
            }
        }
    }

    @Test
    void aBinGoesToEveryPartitionWhosePositionsItOverlaps() {
        // 6 bins holding 3, 0, 25, 4, 2, 9 samples: positions 0-2, none, 3-27, 28-31, 32-33, 34-42.
        // Batches of 4: 10 full batches (positions 0-39), 3 partitions of ceil(10 / 3) = 4 batches:
        // partition 0 positions 0-15, partition 1 16-31, partition 2 32-39.
        EpochLayout layout = EpochLayout.of(new long[] {3, 0, 25, 4, 2, 9}, 4, 10, 3);
        assertEquals(6, layout.bins());
        assertEquals(0, layout.firstPosition(0));
        assertEquals(16, layout.endPosition(0));
        assertEquals(32, layout.firstPosition(2));
        assertEquals(40, layout.endPosition(2));
        int[][] expected = {{0, 0}, {-1}, {0, 1}, {1, 1}, {2, 2}, {2, 2}};
        for (int bin = 0; bin < 6; bin++) {
            int first = layout.firstPartition(bin);
            assertEquals(expected[bin][0], first, "bin " + bin);
            if (first >= 0) {
                assertEquals(expected[bin][1], layout.lastPartition(bin), "bin " + bin);
            }
        }
        assertEquals(28, layout.start(3));

        // a bin wider than a partition reaches three; bins wholly past the last full batch go nowhere
        EpochLayout wide = EpochLayout.of(new long[] {1, 30, 2, 5}, 2, 16, 4);    // 4 batches (8 positions) a partition
        assertEquals(0, wide.firstPartition(1));
        assertEquals(3, wide.lastPartition(1));                                   // positions 1-30: partitions 0 to 3
        assertEquals(3, wide.firstPartition(2));                                  // positions 31-32: 31 is kept
        assertEquals(3, wide.lastPartition(2));
        assertEquals(-1, wide.firstPartition(3));                                 // positions 33-37: all dropped

        assertThrows(IllegalArgumentException.class, () -> EpochLayout.of(new long[] {3, 4}, 4, 2, 1));
    }
}
