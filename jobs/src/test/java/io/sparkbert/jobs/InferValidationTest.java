package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, bug 1 and the infer lines of "stack traces instead of one line": every request is validated before it
 * reaches ND4J (an id outside the vocabulary crashed the JVM in gather), and every error is one line naming the line
 * number and the field, with exit code 2 and no output (nor a temporary file) left behind.
 */
class InferValidationTest {
    @TempDir
    static Path dir;
    static Path ckpt;

    @BeforeAll
    static void checkpoint() throws Exception {
        ckpt = TinyCheckpoint.init(dir);
    }

    @Test
    void bug1_infer_outOfRangeIdsTypesPositionsAndWrongJsonTypesAreOneLineErrors() throws Exception {
        String ok = "{\"input_ids\":[2,5,6,4,3],\"masked_lm_positions\":[3]}";
        // request line -> what the one-line error must contain
        String[][] cases = {
            {"{\"input_ids\":[2,10,5000,3]}", "line 2: input_ids[2] = 5000 is outside [0, 13)"},
            {"{\"input_ids\":[2,10,13,3]}", "line 2: input_ids[2] = 13 is outside [0, 13)"},
            {"{\"input_ids\":[2,-1,3]}", "line 2: input_ids[1] = -1 is outside [0, 13)"},
            {"{\"input_ids\":[2,5,3],\"token_type_ids\":[0,7,0]}", "line 2: token_type_ids[1] = 7 is outside [0, 2)"},
            {"{\"input_ids\":[2,5,4,3],\"masked_lm_positions\":[99]}",
                "line 2: masked_lm_positions[0] = 99 is outside [0, 4)"},
            {"{\"input_ids\":[2,5,4,3,0],\"attention_mask\":[1,1,1,1,0],\"masked_lm_positions\":[4]}",
                "line 2: masked_lm_positions[0] = 4 is a padding position"},
            {"{\"input_ids\":[2,5,3],\"attention_mask\":[1,2,1]}", "line 2: attention_mask[1] = 2 is outside [0, 2)"},
            {"{\"input_ids\":\"2 10 3\"}", "line 2: input_ids must be an array of integers, not the string \"2 10 3\""},
            {"{\"input_ids\":[2,2.5,3]}", "line 2: input_ids[1] must be an integer, not the number 2.5"},
            {"{\"input_ids\":[2,99999999999,3]}", "line 2: input_ids[1] must be an integer"},
            {"{\"text_a\":123}", "line 2: text_a must be a string, not the number 123"},
            {"{\"input_ids\":[2,5,3],\"token_type_ids\":[0,0]}", "line 2: input_ids (3), token_type_ids (2)"},
            {"{\"input_ids\":[]}", "line 2: input_ids is empty"},
            {"[1,2]", "line 2: a request is a JSON object"},
            {"{\"input_ids\":[2,5,3]", "line 2: not valid JSON"},
            {"{\"input_ids\":[2,5,4,4,4,3],\"masked_lm_positions\":[1,2,3,4]}",
                "line 2: masked_lm_positions has 4 entries; the model predicts at most 3"},
        };
        for (String[] c : cases) {
            Path requests = dir.resolve("requests.jsonl");
            Files.writeString(requests, ok + "\n" + c[0] + "\n");
            Path responses = dir.resolve("responses.jsonl");
            Cli.Result result = Cli.run("infer", "--checkpoint", ckpt.toString(), "--input", requests.toString(),
                    "--output", responses.toString());
            assertEquals(2, result.exitCode(), c[0] + ": " + result.err());
            assertTrue(result.err().contains(c[1]), c[0] + " -> " + result.err());
            assertEquals(1, result.err().strip().lines().count(), result.err());
            assertFalse(Files.exists(responses), c[0]);
            try (Stream<Path> files = Files.list(dir)) {
                assertTrue(files.noneMatch(p -> p.getFileName().toString().contains("tmp")), c[0]);
            }
        }
    }

    @Test
    void badJsonNamesTheRightLine() throws Exception {
        Path requests = dir.resolve("bad-json.jsonl");
        Files.writeString(requests, "{\"text_a\":\"in the beginning\"}\n\n{\"text_a\":\"the\"}\n{\"text_a\": oops}\n");
        Cli.Result result = Cli.run("infer", "--checkpoint", ckpt.toString(), "--input", requests.toString(),
                "--output", dir.resolve("bad-json.out").toString());
        assertEquals(2, result.exitCode(), result.err());
        assertTrue(result.err().startsWith("sparkbert infer: line 4: not valid JSON at column "), result.err());
        assertEquals(1, result.err().strip().lines().count(), result.err());
    }

    @Test
    void truncatedOrEmptyModelZipIsOneLine() throws Exception {
        for (long keep : new long[] {0, 1000}) {
            Path broken = dir.resolve("broken-" + keep);
            Files.createDirectories(broken);
            for (String name : List.of("model.zip", "config.json", "vocab.txt")) {
                Files.copy(ckpt.resolve(name), broken.resolve(name));
            }
            try (RandomAccessFile file = new RandomAccessFile(broken.resolve("model.zip").toFile(), "rw")) {
                file.setLength(keep == 0 ? 0 : file.length() / 2);
            }
            Path requests = dir.resolve("one.jsonl");
            Files.writeString(requests, "{\"input_ids\":[2,5,3]}\n");
            Cli.Result result = Cli.run("infer", "--checkpoint", broken.toString(), "--input", requests.toString(),
                    "--output", dir.resolve("out-" + keep).toString());
            assertEquals(2, result.exitCode(), result.err());
            assertTrue(result.err().contains("model.zip cannot be read"), result.err());
            assertEquals(1, result.err().strip().lines().count(), result.err());
        }
    }
}
