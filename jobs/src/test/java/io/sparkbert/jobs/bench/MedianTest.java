package io.sparkbert.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MedianTest {
    @Test
    void middleOfAnOddCountMeanOfTheMiddleTwoOfAnEvenOne() {
        assertEquals(7.0, Median.of(7.0));
        assertEquals(2.0, Median.of(3.0, 1.0, 2.0));
        assertEquals(2.5, Median.of(4.0, 1.0, 3.0, 2.0));
        assertEquals(-1.5, Median.of(-1.0, -2.0));
    }

    @Test
    void leavesTheValuesAsTheyWere() {
        double[] values = {3.0, 1.0, 2.0};
        Median.of(values);
        assertArrayEquals(new double[] {3.0, 1.0, 2.0}, values);
    }

    @Test
    void refusesNoValues() {
        assertThrows(IllegalArgumentException.class, () -> Median.of());
    }
}
