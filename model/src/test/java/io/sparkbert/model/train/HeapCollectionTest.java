package io.sparkbert.model.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import org.junit.jupiter.api.Test;

class HeapCollectionTest {

    @Test
    void collectsOnlyOnceTheIntervalHasPassed() {
        HeapCollection hourly = new HeapCollection(3600);
        assertFalse(hourly.collectIfDue());
        HeapCollection always = new HeapCollection(0);
        assertTrue(always.collectIfDue());
        assertTrue(always.collectIfDue());
    }

    /** A due collection really collects: an unreachable object is gone after it (what frees an array's memory). */
    @Test
    void aDueCollectionCollectsUnreachableObjects() {
        WeakReference<Object> garbage = new WeakReference<>(new byte[1 << 20]);
        HeapCollection always = new HeapCollection(0);
        for (int attempt = 0; attempt < 5 && garbage.get() != null; attempt++) {
            assertTrue(always.collectIfDue());
        }
        assertTrue(garbage.get() == null, "an unreachable array survived five collections");
    }
}
