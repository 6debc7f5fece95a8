package io.sparkbert.pipeline.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Equality as Spark needs it: same class, same partition count, same parameters. */
class FixedPartitionerTest {
    static final class Modulo extends FixedPartitioner {
        Modulo(int partitions) {
            super(partitions);
        }

        @Override
        public int getPartition(Object key) {
            return (int) Math.floorMod((Long) key, (long) numPartitions());
        }
    }

    static final class Ranges extends FixedPartitioner {
        private final long first;

        Ranges(int partitions, long first) {
            super(partitions, first);
            this.first = first;
        }

        @Override
        public int getPartition(Object key) {
            return (int) ((Long) key - first);
        }
    }

    @Test
    void equalExactlyForTheSameClassCountAndParameters() {
        assertEquals(new Modulo(4), new Modulo(4));
        assertEquals(new Modulo(4).hashCode(), new Modulo(4).hashCode());
        assertNotEquals(new Modulo(4), new Modulo(5));
        assertEquals(new Ranges(4, 10), new Ranges(4, 10));
        assertEquals(new Ranges(4, 10).hashCode(), new Ranges(4, 10).hashCode());
        assertNotEquals(new Ranges(4, 10), new Ranges(4, 11));
        assertNotEquals(new Modulo(4), new Ranges(4, 0));
        assertNotEquals(new Ranges(4, 0), new Modulo(4));
    }

    @Test
    void countsAndMapsKeys() {
        Modulo modulo = new Modulo(3);
        assertEquals(3, modulo.numPartitions());
        assertEquals(2, modulo.getPartition(-1L));
        assertEquals(1, new Ranges(4, 10).getPartition(11L));
        assertThrows(IllegalArgumentException.class, () -> new Modulo(0));
    }
}
