package io.sparkbert.pipeline.glove;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hand-worked from cooccur.c's loop: X[context, target] += 1/d, symmetric adds X[target, context]. */
class CooccurrenceWindowTest {
    private static Map<String, Double> count(int[] ids, int window, boolean symmetric, boolean weighting) {
        CooccurrenceWindow counter = new CooccurrenceWindow(window, symmetric, weighting);
        Map<String, Double> x = new HashMap<>();
        counter.count(ids, ids.length, (w1, w2, units) -> x.merge(w1 + "," + w2, (double) units / counter.scale(),
                Double::sum));
        return x;
    }

    @Test
    void symmetricWithDistanceWeighting() {
        // ids 1 2 1 3, window 2: pairs (context, target, d): (1,2,1) (2,1,1) (1,1,2) (1,3,1) (2,3,2)
        Map<String, Double> x = count(new int[] {1, 2, 1, 3}, 2, true, true);
        assertEquals(1.0 + 1.0, x.get("1,2"), 1e-15); // 1->2 at d=1, and 2->1 reversed
        assertEquals(2.0, x.get("2,1"), 1e-15);
        assertEquals(0.5 + 0.5, x.get("1,1"), 1e-15); // a word pairs with itself, twice when symmetric
        assertEquals(1.0, x.get("1,3"), 1e-15);
        assertEquals(1.0, x.get("3,1"), 1e-15);
        assertEquals(0.5, x.get("2,3"), 1e-15);
        assertEquals(0.5, x.get("3,2"), 1e-15);
        assertEquals(7, x.size());
    }

    @Test
    void asymmetricWithoutWeightingCountsLeftContextOnly() {
        Map<String, Double> x = count(new int[] {1, 2, 1, 3}, 2, false, false);
        assertEquals(Map.of("1,2", 1.0, "2,1", 1.0, "1,1", 1.0, "1,3", 1.0, "2,3", 1.0), x);
    }

    @Test
    void windowLimitsTheDistance() {
        Map<String, Double> x = count(new int[] {5, 6, 7, 8}, 1, false, true);
        assertEquals(Map.of("5,6", 1.0, "6,7", 1.0, "7,8", 1.0), x);
    }

    @Test
    void unitsAreExactMultiplesOfOneOverLcm() {
        assertEquals(360360L, CooccurrenceWindow.lcm(15));
        assertEquals(232792560L, CooccurrenceWindow.lcm(20));
        assertEquals(360360L, new CooccurrenceWindow(15, true, true).scale());
        assertEquals(1L, new CooccurrenceWindow(15, true, false).scale());
        assertThrows(IllegalArgumentException.class, () -> new CooccurrenceWindow(21, true, true));
    }
}
