package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The hints printed for set-up failures, on the messages the JVM, Spark and JavaCPP really print. */
class HintsTest {
    @Test
    void java17FlagsOffHeapMemoryAndNatives() {
        assertEquals(Optional.of(Hints.JAVA17), Hints.of(new IllegalAccessError("class org.apache.spark.storage."
                + "StorageUtils$ (in unnamed module @0x69eee410) cannot access class sun.nio.ch.DirectBuffer (in module "
                + "java.base) because module java.base does not export sun.nio.ch to unnamed module @0x69eee410")));
        OutOfMemoryError physical = new OutOfMemoryError("Cannot allocate new LongPointer(2): totalBytes = 256, "
                + "physicalBytes = 409M");
        physical.initCause(new OutOfMemoryError("Physical memory usage is too high: physicalBytes (409M) > "
                + "maxPhysicalBytes (400M)"));
        assertEquals(Optional.of(Hints.OFF_HEAP), Hints.of(physical));
        // an executor's failure reaches the driver as text inside a SparkException
        assertEquals(Optional.of(Hints.OFF_HEAP), Hints.of(new RuntimeException(new IllegalStateException(
                "Job aborted due to stage failure: ... java.lang.OutOfMemoryError: Physical memory usage is too "
                        + "high: physicalBytes (3G) > maxPhysicalBytes (3G)"))));
        assertEquals(Optional.of(Hints.NATIVES), Hints.of(new NoClassDefFoundError(
                "Could not initialize class org.nd4j.linalg.factory.Nd4j")));
        assertEquals(Optional.empty(), Hints.of(new IllegalStateException("something else")));
    }
}
