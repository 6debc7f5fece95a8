package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** ND4J's executor limits follow the memory Spark grants an executor, and never override the user's. */
class ExecutorMemoryTest {
    private static final long MIB = 1L << 20;

    private static String options(SparkConf conf) {
        ExecutorMemory.bound(conf);
        return conf.get("spark.executor.extraJavaOptions", "");
    }

    @Test
    void theProcessLimitIsATenthBelowHeapPlusOverheadAndTheOverheadLessTheJvmReserveIsNd4js() {
        SparkConf conf = new SparkConf(false).set("spark.executor.memory", "4g")
                .set("spark.executor.memoryOverhead", "3g").set("spark.executor.extraJavaOptions", "-Dfoo=1");
        // 4 GiB heap + 3 GiB overhead = a 7168 MiB container; the process limit is 716.8 -> 717 MiB below it;
        // ND4J gets 3 GiB - 768 MiB
        assertEquals("-Dfoo=1 -Dorg.bytedeco.javacpp.maxbytes=" + (3072 - 768) * MIB
                + " -Dorg.bytedeco.javacpp.maxphysicalbytes=" + (7168 - 717) * MIB, options(conf));
    }

    @Test
    void theHeadroomIsATenthOfTheContainerAtLeast256MiB() {
        assertEquals(256 * MIB, ExecutorMemory.headroom(2048 * MIB));
        assertEquals(256 * MIB, ExecutorMemory.headroom(2560 * MIB));
        assertEquals(257 * MIB, ExecutorMemory.headroom(2561 * MIB)); // 256.1 MiB, rounded up
        assertEquals(1639 * MIB, ExecutorMemory.headroom(16L * 1024 * MIB)); // 1638.4 MiB, rounded up
    }

    @Test
    void sparksDefaultOverheadIsTenPercentAtLeast384MiB() {
        // Spark's defaults: 1 GiB heap, overhead max(384 MiB, 10%) = 384 MiB; ND4J gets half of it (the JVM's
        // reserve would leave nothing); the 1408 MiB container's limit is the least headroom, 256 MiB, below it
        assertEquals("-Dorg.bytedeco.javacpp.maxbytes=" + 192 * MIB + " -Dorg.bytedeco.javacpp.maxphysicalbytes="
                + (1408 - 256) * MIB, options(new SparkConf(false)));
        // 10 GiB heap: 10% = 1024 MiB overhead; container 11264 MiB, a tenth 1126.4 -> 1127 MiB
        assertEquals("-Dorg.bytedeco.javacpp.maxbytes=" + 512 * MIB + " -Dorg.bytedeco.javacpp.maxphysicalbytes="
                + (11264 - 1127) * MIB, options(new SparkConf(false).set("spark.executor.memory", "10g")));
    }

    @Test
    void theUsersOwnLimitsStay() {
        String mine = "-Dorg.bytedeco.javacpp.maxphysicalbytes=9g";
        assertEquals(mine, options(new SparkConf(false).set("spark.executor.extraJavaOptions", mine)));
    }
}
