package io.sparkbert.pipeline.glove;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cosine nearest neighbours over GloVe text vectors. */
class GloveVectorsTest {
    private static final String VECTORS = """
            cat 1.000000 0.000000 0.000000
            dog 0.900000 0.100000 0.000000
            car 0.000000 1.000000 0.000000
            truck 0.000000 2.000000 0.500000
            kitten 3.000000 -0.000000 0.000000
            void 0.000000 0.000000 0.000000
            """;

    private static GloveVectors read(String text) throws IOException {
        return GloveVectors.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "vectors.txt");
    }

    @Test
    void nearestByCosineExcludingTheWordItself() throws IOException {
        GloveVectors neighbors = read(VECTORS);
        assertEquals(6, neighbors.size());
        assertEquals(3, neighbors.dim());
        List<GloveVectors.Neighbor> nearest = neighbors.nearest("cat", 3);
        assertEquals(List.of("kitten", "dog", "car"), nearest.stream().map(GloveVectors.Neighbor::word).toList());
        // cos(cat, kitten) = 3/3 = 1; cos(cat, dog) = 0.9/sqrt(0.81 + 0.01); cos(cat, car) = 0
        assertEquals(1.0, nearest.get(0).similarity(), 1e-12);
        assertEquals(0.9 / Math.sqrt(0.82), nearest.get(1).similarity(), 1e-12);
        assertEquals(0.0, nearest.get(2).similarity(), 1e-12);
        // cos(car, truck) = 2/sqrt(4.25); cos(car, dog) = 0.1/sqrt(0.82)
        List<GloveVectors.Neighbor> cars = neighbors.nearest("car", 2);
        assertEquals("truck", cars.get(0).word());
        assertEquals(2 / Math.sqrt(4.25), cars.get(0).similarity(), 1e-12);
        assertEquals("dog", cars.get(1).word());
        assertEquals(0.1 / Math.sqrt(0.82), cars.get(1).similarity(), 1e-12);
        assertEquals(0.1 / Math.sqrt(0.82), neighbors.similarity("car", "dog"), 1e-12);
    }

    @Test
    void kLargerThanTheVocabularyGivesEveryOtherWordAndTiesKeepFileOrder() throws IOException {
        GloveVectors neighbors = read(VECTORS);
        List<GloveVectors.Neighbor> all = neighbors.nearest("void", 100);
        assertEquals(5, all.size());
        // a zero vector is similar to nothing: all ties at 0, listed in file order
        assertEquals(List.of("cat", "dog", "car", "truck", "kitten"),
                all.stream().map(GloveVectors.Neighbor::word).toList());
        all.forEach(n -> assertEquals(0.0, n.similarity()));
    }

    @Test
    void unknownWordIsAClearError() throws IOException {
        GloveVectors neighbors = read(VECTORS);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> neighbors.nearest("zebra", 3));
        assertTrue(e.getMessage().contains("unknown word \"zebra\"") && e.getMessage().contains("6 words"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> neighbors.nearest("cat", 0));
    }

    @Test
    void badFilesAreClearErrors() {
        IllegalArgumentException ragged = assertThrows(IllegalArgumentException.class,
                () -> read("a 1.0 2.0\nb 1.0\n"));
        assertTrue(ragged.getMessage().contains("line 2"), ragged.getMessage());
        IllegalArgumentException notNumber = assertThrows(IllegalArgumentException.class,
                () -> read("a 1.0 x\n"));
        assertTrue(notNumber.getMessage().contains("\"x\""), notNumber.getMessage());
        assertThrows(IllegalArgumentException.class, () -> read(""));
        assertThrows(IllegalArgumentException.class, () -> read("a 1.0\na 2.0\n"), "duplicate word");
    }

    @Test
    void gloveHeaderLineIsSkipped() throws IOException {
        GloveVectors neighbors = read("2 2\nup 0.000000 1.000000\ndown 0.000000 -1.000000\n");
        assertEquals(List.of("up", "down"), neighbors.words());
        assertEquals(-1.0, neighbors.nearest("up", 1).get(0).similarity(), 1e-12);
    }
}
