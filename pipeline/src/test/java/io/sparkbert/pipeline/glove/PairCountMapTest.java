package io.sparkbert.pipeline.glove;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PairCountMapTest {
    @Test
    void flushesPartialSumsThatAddUpToTheTruth() {
        Map<Long, Long> flushed = new HashMap<>();
        PairCountMap map = new PairCountMap(100, (key, units) -> flushed.merge(key, units, Long::sum));
        Map<Long, Long> truth = new HashMap<>();
        Random random = new Random(42);
        for (int i = 0; i < 50_000; i++) {
            int w1 = 1 + random.nextInt(40);
            int w2 = 1 + random.nextInt(40);
            long units = 1 + random.nextInt(1000);
            map.add(w1, w2, units);
            truth.merge(PairCountMap.key(w1, w2), units, Long::sum);
        }
        map.flush();
        assertEquals(truth, flushed);
        assertTrue(map.flushes() > 10, "1600 distinct pairs through a 100-pair table must flush: " + map.flushes());
    }

    @Test
    void tieredCountsAddUpToTheTruthAcrossDenseAndSparseTiers() {
        Map<Long, Long> out = new HashMap<>();
        TieredPairCounts counts = new TieredPairCounts(8, 50, (key, units) -> out.merge(key, units, Long::sum));
        Map<Long, Long> truth = new HashMap<>();
        Random random = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            int w1 = 1 + random.nextInt(30); // ids 1..8 are dense, the rest sparse
            int w2 = 1 + random.nextInt(30);
            counts.add(w1, w2, 3);
            truth.merge(PairCountMap.key(w1, w2), 3L, Long::sum);
        }
        counts.finish();
        assertEquals(truth, out);
    }

    @Test
    void keysRoundTrip() {
        long key = PairCountMap.key(500_000, 3);
        assertEquals(500_000, PairCountMap.word1(key));
        assertEquals(3, PairCountMap.word2(key));
        assertTrue(PairCountMap.key(1, 2) < PairCountMap.key(2, 1), "keys sort by word1, then word2");
    }
}
