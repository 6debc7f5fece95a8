package io.sparkbert.jobs;

import java.util.Locale;
import org.apache.spark.SparkConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ND4J's off-heap limits on cluster executors, derived from the memory Spark grants each executor.
 *
 * <p>ND4J keeps its arrays outside the Java heap, where Spark does not look: an executor is given
 * {@code spark.executor.memory} of heap plus {@code spark.executor.memoryOverhead} for everything else, and on
 * YARN or Kubernetes a process that grows past their sum is killed ("container killed ... exceeding memory
 * limits", seen by the driver as a lost executor). JavaCPP, which allocates ND4J's memory, can hold a process
 * to a limit instead: past {@code maxphysicalbytes} of resident memory it collects garbage, returns free memory
 * to the system and, only if that is not enough, fails the allocation with an OutOfMemoryError that names the
 * setting. JavaCPP measures resident memory only when it allocates, so the process can pass that limit by
 * whatever is allocated between two checks (the array being allocated, heap the JVM commits, libnd4j's own
 * buffers); in a 22-minute soak an executor with the limit at the container's size peaked 76 MiB above it,
 * which YARN would have killed. So the limit sits {@link #headroom a headroom} below the container. Unless the
 * executors' Java options already set them, the executors get
 * <ul>
 *   <li>{@code org.bytedeco.javacpp.maxphysicalbytes} = heap + overhead (the container) minus the headroom,
 *       and</li>
 *   <li>{@code org.bytedeco.javacpp.maxbytes} = overhead minus {@link #JVM_RESERVE} (ND4J's share of the
 *       overhead; the JVM's own native memory takes the rest).</li>
 * </ul>
 * Local mode runs in the launcher's JVM, whose limits the launcher sets.
 */
final class ExecutorMemory {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorMemory.class);
    static final String MAX_BYTES = "org.bytedeco.javacpp.maxbytes";
    static final String MAX_PHYSICAL_BYTES = "org.bytedeco.javacpp.maxphysicalbytes";
    private static final long MIB = 1L << 20;
    /** Native memory of an executor JVM besides ND4J's arrays: metaspace, code, thread stacks, Netty buffers. */
    static final long JVM_RESERVE = 768 * MIB;
    /** Spark's own default overhead: 10% of the heap, at least 384 MiB. */
    private static final double SPARK_OVERHEAD_FACTOR = 0.10;
    private static final long SPARK_MIN_OVERHEAD = 384 * MIB;
    /** The least headroom between JavaCPP's limit and the container. */
    static final long MIN_HEADROOM = 256 * MIB;

    private ExecutorMemory() {
    }

    /** The limits for executors of {@code conf}, or none when its executor options already set one. */
    static void bound(SparkConf conf) {
        String options = conf.get("spark.executor.extraJavaOptions", "");
        if (options.contains(MAX_BYTES) || options.contains(MAX_PHYSICAL_BYTES)) {
            return;
        }
        long heap = conf.getSizeAsBytes("spark.executor.memory", "1g");
        long overhead = conf.contains("spark.executor.memoryOverhead")
                ? conf.getSizeAsMb("spark.executor.memoryOverhead") * MIB
                : Math.max(SPARK_MIN_OVERHEAD,
                        (long) (heap * conf.getDouble("spark.executor.memoryOverheadFactor", SPARK_OVERHEAD_FACTOR)));
        long nd4j = Math.max(overhead - JVM_RESERVE, overhead / 2);
        if (overhead < 2 * JVM_RESERVE) {
            LOG.warn("spark.executor.memoryOverhead is {} MiB: ND4J's arrays get {} MiB of it; a BERT step needs "
                    + "more than that for any but the smallest models (raise spark.executor.memoryOverhead)",
                    overhead / MIB, nd4j / MIB);
        }
        conf.set("spark.executor.extraJavaOptions", (options + String.format(Locale.ROOT, " -D%s=%d -D%s=%d",
                MAX_BYTES, nd4j, MAX_PHYSICAL_BYTES, maxPhysicalBytes(heap + overhead))).trim());
    }

    /** JavaCPP's resident-memory limit for a container of {@code bytes}: the container less its {@link #headroom}. */
    static long maxPhysicalBytes(long bytes) {
        return bytes - headroom(bytes);
    }

    /**
     * How far below a container of {@code bytes} JavaCPP's resident-memory limit sits: a tenth of it (rounded up
     * to whole MiB), at least {@link #MIN_HEADROOM}. A tenth covers the largest single array of a round (the
     * Adam moments, 8 bytes per parameter: 0.9 GB for bert-base, whose executors need 10+ GB containers).
     */
    static long headroom(long bytes) {
        long tenth = (bytes / 10 + MIB - 1) / MIB * MIB;
        return Math.max(MIN_HEADROOM, tenth);
    }
}
