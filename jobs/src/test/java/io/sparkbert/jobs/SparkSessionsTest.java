package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Which masters run in this JVM, and with how many threads (Spark's own local master syntax). */
class SparkSessionsTest {
    @Test
    void localMastersAndTheirThreads() {
        assertEquals(1, SparkSessions.localThreads("local"));
        assertEquals(3, SparkSessions.localThreads("local[3]"));
        assertEquals(2, SparkSessions.localThreads("local[2,4]"));
        assertEquals(2, SparkSessions.localThreads(" local[2, 4] "));
        int cores = Runtime.getRuntime().availableProcessors();
        assertEquals(cores, SparkSessions.localThreads("local[*]"));
        assertEquals(cores, SparkSessions.localThreads("local[*,3]"));
    }

    @Test
    void otherMastersAreNotLocal() {
        assertEquals(0, SparkSessions.localThreads("local-cluster[2,1,1024]"));
        assertEquals(0, SparkSessions.localThreads("spark://127.0.0.1:7077"));
        assertEquals(0, SparkSessions.localThreads("yarn"));
        assertEquals(0, SparkSessions.localThreads("k8s://https://host:443"));
        assertEquals(0, SparkSessions.localThreads("localhost"));
        assertEquals(0, SparkSessions.localThreads("local[x]"));
    }
}
