package io.sparkbert.pipeline.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sparkbert.pipeline.TestSeed;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestSeed.class)
class PairTruncationTest {

    private static int[] range(int from, int to) {
        return IntStream.range(from, to).toArray();
    }

    private static int[] toArray(Deque<Integer> deque) {
        return deque.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Deque<Integer> deque(int[] tokens) {
        Deque<Integer> d = new ArrayDeque<>();
        for (int t : tokens) {
            d.addLast(t);
        }
        return d;
    }

    @Test
    void fittingPairIsUnchangedAndDrawsNothing() {
        int[] a = {1, 2, 3};
        int[] b = {4, 5};
        SeededRandom rng = new SeededRandom(7);
        PairTruncation.Pair pair = PairTruncation.truncate(a, b, 5, rng);
        assertSame(a, pair.a());
        assertSame(b, pair.b());
        // no draw was consumed: the next value is the generator's first
        assertEquals(new SeededRandom(7).nextDouble(), rng.nextDouble());
    }

    @Test
    void onlyTheLongerSegmentIsTrimmedWithFrontOrBackFromEachDraw() {
        // A = 10 tokens, B = 3 tokens, budget 8: A is longer for all 5 removals (10..6 > 3)
        int[] a = range(100, 110);
        int[] b = {7, 8, 9};
        long seed = 42;
        PairTruncation.Pair pair = PairTruncation.truncate(a, b, 8, new SeededRandom(seed));

        // hand rule: each removal draws one double; < 0.5 removes the first token, else the last
        SeededRandom draws = new SeededRandom(seed);
        int front = 0;
        int back = 0;
        for (int k = 0; k < 5; k++) {
            if (draws.nextDouble() < 0.5) {
                front++;
            } else {
                back++;
            }
        }
        assertArrayEquals(range(100 + front, 110 - back), pair.a());
        assertArrayEquals(b, pair.b());
        assertEquals(8, pair.length());
    }

    @Test
    void tieTrimsBThenAlternates() {
        // A = 3, B = 3, budget 4. Removal 1: tie -> B (3 vs 3). Then A=3 > B=2 -> A. Total 4 = budget: stop.
        int[] a = {1, 2, 3};
        int[] b = {4, 5, 6};
        // a seed whose two draws fall on different sides, so trimming A first would give another result
        long seed = 0;
        while (true) {
            SeededRandom r = new SeededRandom(seed);
            if ((r.nextDouble() < 0.5) != (r.nextDouble() < 0.5)) {
                break;
            }
            seed++;
        }
        PairTruncation.Pair pair = PairTruncation.truncate(a, b, 4, new SeededRandom(seed));

        SeededRandom draws = new SeededRandom(seed);
        int[] expectedB = draws.nextDouble() < 0.5 ? new int[] {5, 6} : new int[] {4, 5};
        int[] expectedA = draws.nextDouble() < 0.5 ? new int[] {2, 3} : new int[] {1, 2};
        assertArrayEquals(expectedA, pair.a());
        assertArrayEquals(expectedB, pair.b());
    }

    @Test
    void equalLengthsOneOverBudgetTrimOnlyB() {
        // A = 4, B = 4, budget 7: exactly one removal, and a tie means B (Google: tokens_b unless A is longer)
        for (long seed : TestSeed.seeds("PairTruncationTest:93", 20)) {
            PairTruncation.Pair pair = PairTruncation.truncate(range(0, 4), range(10, 14), 7, new SeededRandom(seed));
            assertArrayEquals(range(0, 4), pair.a());
            assertEquals(3, pair.b().length);
        }
    }

    @Test
    void matchesAHandSimulationOfGooglesLoopOnManyPairs() {
        // A straightforward transcription of truncate_seq_pair on deques, drawing from an identical generator
        for (long seed : TestSeed.seeds("PairTruncationTest:103", 200)) {
            SeededRandom sizes = new SeededRandom(SeededRandom.seed(seed, 1));
            int lenA = 1 + sizes.nextInt(40);
            int lenB = 1 + sizes.nextInt(40);
            int budget = 2 + sizes.nextInt(50);
            int[] a = range(0, lenA);
            int[] b = range(1000, 1000 + lenB);

            Deque<Integer> da = deque(a);
            Deque<Integer> db = deque(b);
            SeededRandom draws = new SeededRandom(seed);
            while (da.size() + db.size() > budget) {
                Deque<Integer> trunc = da.size() > db.size() ? da : db;
                if (draws.nextDouble() < 0.5) {
                    trunc.removeFirst();
                } else {
                    trunc.removeLast();
                }
            }

            PairTruncation.Pair pair = PairTruncation.truncate(a, b, budget, new SeededRandom(seed));
            assertArrayEquals(toArray(da), pair.a(), "seed " + seed);
            assertArrayEquals(toArray(db), pair.b(), "seed " + seed);
            assertEquals(Math.min(budget, lenA + lenB), pair.length());
        }
    }

    @Test
    void emptySegmentsFailLikeGooglesAsserts() {
        // budget 1 with one token each: the tie trims B to nothing -> assert len(tokens_b) >= 1 fails
        assertThrows(IllegalStateException.class,
                () -> PairTruncation.truncate(new int[] {1}, new int[] {2}, 1, new SeededRandom(1)));
        // an empty input never passes Google's final asserts
        assertThrows(IllegalStateException.class,
                () -> PairTruncation.truncate(new int[0], new int[] {1, 2}, 5, new SeededRandom(1)));
        assertThrows(IllegalStateException.class,
                () -> PairTruncation.truncate(new int[] {1, 2}, new int[0], 5, new SeededRandom(1)));
        // a negative budget reaches the assert before deleting: nothing left to trim
        assertThrows(IllegalStateException.class,
                () -> PairTruncation.truncate(new int[] {1}, new int[] {2}, -1, new SeededRandom(1)));
    }

    @Test
    void inputsAreNotModified() {
        int[] a = range(0, 30);
        int[] b = range(100, 130);
        PairTruncation.truncate(a, b, 10, new SeededRandom(3));
        assertArrayEquals(range(0, 30), a);
        assertArrayEquals(range(100, 130), b);
    }
}
