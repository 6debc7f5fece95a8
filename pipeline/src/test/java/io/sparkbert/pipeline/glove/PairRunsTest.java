package io.sparkbert.pipeline.glove;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** The map side's tiers, the sorted runs between the sides, and the reduce side's bounded merge. */
class PairRunsTest {
    @TempDir
    Path dir;

    @Test
    void radixSortAndCombineMatchATreeMap() {
        Random random = new Random(7);
        for (int keyBits : new int[] {1, 11, 12, 23, 34, 40}) {
            int n = 5000;
            long[] records = new long[2 * n]; // key, units, key, units, ...
            TreeMap<Long, Long> truth = new TreeMap<>();
            long[] pool = new long[1500]; // keys of keyBits bits, many repeated
            for (int i = 0; i < pool.length; i++) {
                pool[i] = random.nextLong() & ((1L << keyBits) - 1);
            }
            for (int i = 0; i < n; i++) {
                records[2 * i] = pool[random.nextInt(pool.length)];
                records[2 * i + 1] = 1 + random.nextInt(1000);
                truth.merge(records[2 * i], records[2 * i + 1], Long::sum);
            }
            int m = PairRuns.sortAndCombine(records, n, keyBits, new long[2 * n]);
            assertEquals(truth.size(), m, "bits " + keyBits);
            int i = 0;
            for (Map.Entry<Long, Long> e : truth.entrySet()) {
                assertEquals(e.getKey(), records[2 * i], "bits " + keyBits + " record " + i);
                assertEquals(e.getValue(), records[2 * i + 1]);
                i++;
            }
        }
        assertEquals(0, PairRuns.sortAndCombine(new long[0], 0, 8, new long[0]));
    }

    @Test
    void encodedRunsDecodeToTheSameRecords() {
        PairRuns.Encoder encoder = new PairRuns.Encoder(4);
        long[] keys = {0, 1, 127, 128, 1L << 40, (1L << 62) + 5};
        long[] units = {1, 300, 0, Long.MAX_VALUE, 5, 1L << 35};
        for (int i = 0; i < keys.length; i++) {
            encoder.add(keys[i], units[i]);
        }
        assertEquals(keys.length, encoder.records());
        PairRuns.Decoder decoder = new PairRuns.Decoder(encoder.take());
        for (int i = 0; i < keys.length; i++) {
            assertTrue(decoder.next());
            assertEquals(keys[i], decoder.key());
            assertEquals(units[i], decoder.units());
        }
        assertFalse(decoder.next());
        assertEquals(0, encoder.size(), "take() empties the encoder");
    }

    @Test
    void denseTableBoundFollowsCooccurCsProductRule() {
        // cells(P) = number of pairs (w1, w2) with w1 * w2 <= P (and w1 <= w2 when symmetric), counted by
        // brute force; the largest P whose table fits
        int v = 1000;
        for (boolean symmetric : new boolean[] {false, true}) {
            long p = MapSidePairs.maxProduct(v, symmetric, 20_000);
            long cells = 0;
            long next = 0;
            for (int w1 = 1; w1 <= v; w1++) {
                for (int w2 = symmetric ? w1 : 1; w2 <= v; w2++) {
                    cells += (long) w1 * w2 <= p ? 1 : 0;
                    next += (long) w1 * w2 <= p + 1 ? 1 : 0;
                }
            }
            assertTrue(cells <= 20_000 && next > 20_000, "P " + p + " cells " + cells);
            assertEquals(cells, MapSidePairs.cells(v, symmetric, p));
            assertEquals(symmetric ? (long) v * (v + 1) / 2 : (long) v * v,
                    MapSidePairs.cells(v, symmetric, MapSidePairs.maxProduct(v, symmetric, Long.MAX_VALUE)));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anIntCellAboutToOverflowHandsItsSumOn(boolean symmetric) {
        List<MapSidePairs.Chunk> chunks = new ArrayList<>();
        MapSidePairs counts = new MapSidePairs(10, symmetric, 100, 1000, new int[] {Integer.MAX_VALUE}, chunks::add);
        long increment = 232_792_560L; // lcm(1..20): the largest single increment
        for (int i = 0; i < 100; i++) {
            counts.add(1, 1, increment);
        }
        counts.finish();
        long total = 0;
        for (MapSidePairs.Chunk chunk : chunks) {
            PairRuns.Decoder d = new PairRuns.Decoder(chunk.bytes());
            while (d.next()) {
                assertEquals(counts.key(1, 1), d.key());
                total += d.units();
            }
        }
        assertEquals(100 * increment * (symmetric ? 2 : 1), total); // symmetric: both additions to X[1, 1]
        assertTrue(chunks.size() >= 2, "partial sums from the buffer and from the dense cell");
    }

    /**
     * Random increments through a small dense table, a tiny buffer (hundreds of flushes) and 3 ranges,
     * then each range through a merger holding a few KB of chunks (so it spills sorted runs): the
     * result equals a plain sum, in key order, each pair once, each in its own range. Symmetric: each
     * increment is meant for X[w1, w2] and X[w2, w1] (both, twice to X[w, w]), as the plain sum adds it.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void mapSideTiersAndSpillingMergersAddUpExactly(boolean symmetric) throws Exception {
        int vocab = 300;
        int[] rangeUpper = {40, 120, Integer.MAX_VALUE};
        List<MapSidePairs.Chunk> chunks = new ArrayList<>();
        MapSidePairs counts = new MapSidePairs(vocab, symmetric, 2000, 97, rangeUpper, chunks::add);
        TreeMap<Long, Long> truth = new TreeMap<>();
        Random random = new Random(11);
        for (int i = 0; i < 40_000; i++) {
            // Zipf-ish ids, so that both tiers see traffic; both orders, and some words with themselves
            int w1 = 1 + (int) Math.min(vocab - 1, Math.floor(Math.exp(random.nextDouble() * Math.log(vocab))));
            int w2 = i % 50 == 0 ? w1 : 1 + random.nextInt(vocab);
            if (random.nextBoolean()) {
                int t = w1;
                w1 = w2;
                w2 = t;
            }
            long units = 1 + random.nextInt(2520);
            counts.add(w1, w2, units);
            truth.merge(counts.key(w1, w2), units, Long::sum);
            if (symmetric) {
                truth.merge(counts.key(w2, w1), units, Long::sum);
            }
        }
        counts.finish();
        assertTrue(counts.flushes() > 100, "flushes " + counts.flushes());
        assertTrue(counts.denseCells() > 0 && counts.denseCells() <= 2000);
        int w2Bits = PairRuns.idBits(vocab);
        List<long[]> merged = new ArrayList<>();
        int spills = 0;
        for (int r = 0; r < rangeUpper.length; r++) {
            long first = r == 0 ? 0 : (long) (rangeUpper[r - 1] + 1) << w2Bits;
            long last = ((long) Math.min(rangeUpper[r], vocab) << w2Bits) | ((1L << w2Bits) - 1);
            int[] spilled = {0};
            RangeMerger merger = new RangeMerger(first, last, 2048, () -> {
                try {
                    spilled[0]++;
                    return File.createTempFile("run", ".bin", dir.toFile());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            for (MapSidePairs.Chunk chunk : chunks) {
                if (chunk.range() == r) {
                    merger.add(chunk.bytes());
                } else {
                    // a chunk never crosses a range boundary
                    PairRuns.Decoder d = new PairRuns.Decoder(chunk.bytes());
                    while (d.next()) {
                        assertFalse(d.key() >= first && d.key() <= last);
                    }
                }
            }
            long n = merger.finish((key, units) -> merged.add(new long[] {key, units}));
            assertTrue(n > 0);
            spills += spilled[0];
        }
        assertTrue(spills > 3, "the mergers spilled sorted runs: " + spills);
        try (var left = Files.list(dir)) {
            assertEquals(0, left.count(), "spilled runs are deleted after the merge");
        }
        assertEquals(truth.size(), merged.size());
        int i = 0;
        for (Map.Entry<Long, Long> e : truth.entrySet()) {
            assertArrayEquals(new long[] {e.getKey(), e.getValue()}, merged.get(i++));
        }
    }
}
