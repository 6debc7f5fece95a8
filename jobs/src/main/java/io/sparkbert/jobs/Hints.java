package io.sparkbert.jobs;

import java.util.Optional;

/** What to do about failures whose cause lies in the JVM's set-up rather than in sparkbert's input. */
final class Hints {
    static final String JAVA17 = "Spark on Java 17 needs the JVM flags --add-opens=java.base/sun.nio.ch=ALL-UNNAMED "
            + "and the rest of Spark's list: run through bin/sparkbert or spark-submit, which add them (the list is "
            + "in bin/sparkbert)";
    static final String OFF_HEAP = "ND4J ran out of off-heap memory, which JavaCPP caps with "
            + "-Dorg.bytedeco.javacpp.maxbytes and -Dorg.bytedeco.javacpp.maxphysicalbytes (by default the -Xmx heap "
            + "size and four times it): raise them (SPARKBERT_JAVA_OPTS; spark.driver.extraJavaOptions, "
            + "spark.executor.extraJavaOptions) and, on a cluster, spark.executor.memoryOverhead, so that a "
            + "container holds heap + off-heap";
    static final String NATIVES = "ND4J's native libraries could not be loaded. JavaCPP unpacks them (~400 MB) into "
            + "-Dorg.bytedeco.javacpp.cachedir (default ~/.javacpp/cache): it must be writable and have room, on the "
            + "driver and on every executor (spark.executor.extraJavaOptions)";

    private Hints() {
    }

    /** A hint for a failure, looking through its causes (and the text Spark makes of executor failures). */
    static Optional<String> of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if ((t instanceof IllegalAccessError || t instanceof java.lang.reflect.InaccessibleObjectException)
                    && message.contains("java.base")) {
                return Optional.of(JAVA17);
            }
            if (message.contains("Physical memory usage is too high") || message.contains("Cannot allocate new ")
                    && message.contains("Pointer(")) {
                return Optional.of(OFF_HEAP);
            }
            if (t instanceof UnsatisfiedLinkError || message.contains("Could not initialize class org.nd4j")
                    || message.contains("jnind4j")) {
                return Optional.of(NATIVES);
            }
        }
        return Optional.empty();
    }
}
