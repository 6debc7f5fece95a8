package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which masters run in this JVM, and with how many threads (Spark's own local master syntax); the Hadoop
 * properties a command gets without a session.
 */
class SparkSessionsTest {
    @TempDir
    Path dir;

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

    @Test
    void hadoopPropertiesComeFromTheConfigurationAndTheCommandLineAsASessionsWould() throws Exception {
        Path user = dir.resolve("user.conf");
        Files.writeString(user, "spark.conf { \"spark.hadoop.fs.a\" = \"from-spark-conf\", \"spark.hadoop.fs.b\" = "
                + "\"from-spark-conf\" }\ncooccur.spark-conf { \"spark.hadoop.fs.b\" = \"from-cooccur-conf\" }\n");
        Settings settings = Settings.load(user);
        SparkSessions sessions = new SparkSessions();
        sessions.sparkConf = Map.of("spark.hadoop.fs.c", "from-command-line", "spark.executor.memory", "2g");
        Map<String, String> hadoop = sessions.hadoopProperties("cooccur", settings);
        assertEquals("from-spark-conf", hadoop.get("fs.a"));
        assertEquals("from-cooccur-conf", hadoop.get("fs.b"));      // the command's own defaults first
        assertEquals("from-command-line", hadoop.get("fs.c"));
        assertEquals(null, hadoop.get("executor.memory"));

        sessions.sparkConf = Map.of("spark.hadoop.fs.b", "from-command-line");
        assertEquals("from-command-line", sessions.hadoopProperties("cooccur", settings).get("fs.b"));
        sessions.sparkConf = null;
        assertEquals("from-spark-conf", sessions.hadoopProperties("vocab", settings).get("fs.b")); // not cooccur's
    }
}
