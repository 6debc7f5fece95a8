package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench transfer} runs on a real (tiny) network and reports both serializers' figures. */
class BenchTransferTest {
    @Test
    void reportsBothSerializersForARealNetwork(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("transfer.json");
        assertEquals(0, SparkBert.execute("bench", "transfer", "--preset", "tiny", "--vocab-size", "300", "--runs", "1",
                "--json", json.toString()));
        JsonNode figures = new ObjectMapper().readTree(json.toFile());
        long parameters = figures.get("parameters").asLong();
        assertTrue(parameters > 300 * 16, "parameters " + parameters);
        // parameters + Adam's two moments, 4 bytes each
        assertEquals(parameters * 12 / 1e6, figures.get("megabytes_per_transfer").asDouble(), 1e-9);
        for (String name : new String[] {"ours", "dl4j"}) {
            for (String key : new String[] {"broadcast_serialize", "broadcast_deserialize", "result_serialize",
                    "result_deserialize", "two_worker_round"}) {
                assertTrue(figures.get(name + "_" + key + "_sec").asDouble() > 0, name + "_" + key);
            }
        }
    }
}
