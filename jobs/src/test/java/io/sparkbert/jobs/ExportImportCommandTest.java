package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.model.checkpoint.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** export and import as a user runs them: init -> export -> import gives the same parameters and outputs. */
class ExportImportCommandTest {
    @TempDir
    Path dir;

    @Test
    void exportThenImportGivesTheSameCheckpoint() throws Exception {
        Path ckpt = TinyCheckpoint.init(dir, "--cased");

        Path hf = dir.resolve("hf");
        Cli.Result export = Cli.run("export", "--checkpoint", ckpt.toString(), "--output", hf.toString());
        assertEquals(0, export.exitCode(), export.err());
        assertTrue(export.err().contains("float32"), export.err());
        for (String file : List.of("config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json",
                "model.safetensors")) {
            assertTrue(Files.isRegularFile(hf.resolve(file)), file);
        }
        assertTrue(Files.readString(hf.resolve("tokenizer_config.json")).contains("\"do_lower_case\" : false"));
        Cli.Result again = Cli.run("export", "--checkpoint", ckpt.toString(), "--output", hf.toString());
        assertEquals(2, again.exitCode());
        assertTrue(again.err().contains("already exists; pass --overwrite"), again.err());

        Path back = dir.resolve("back");
        Cli.Result imported = Cli.run("import", "--hf", hf.toString(), "--output", back.toString(),
                "--max-seq-length", "16", "--max-predictions", "3");
        assertEquals(0, imported.exitCode(), imported.err());
        assertTrue(!imported.err().contains("freshly initialised"), imported.err());
        Checkpoint.Loaded original = Checkpoint.read(ckpt);
        Checkpoint.Loaded loaded = Checkpoint.read(back);
        assertArrayEquals(original.graph().params().toFloatVector(), loaded.graph().params().toFloatVector());
        assertEquals(original.config(), loaded.config());
        assertEquals(false, loaded.uncased());

        // infer gives the same numbers from both checkpoints
        Path requests = dir.resolve("requests.jsonl");
        Files.write(requests, List.of("{\"text_a\":\"in the [MASK] god created\",\"text_b\":\"the heaven and earth\"}"));
        for (Path c : List.of(ckpt, back)) {
            Cli.Result infer = Cli.run("infer", "--checkpoint", c.toString(), "--input", requests.toString(),
                    "--output", dir.resolve(c.getFileName() + ".jsonl").toString(), "--sequence-output");
            assertEquals(0, infer.exitCode(), infer.err());
        }
        assertEquals(Files.readString(dir.resolve("ckpt.jsonl")), Files.readString(dir.resolve("back.jsonl")));

        // a clear error for a broken file
        Files.write(hf.resolve("model.safetensors"), new byte[] {1, 2, 3});
        Cli.Result broken = Cli.run("import", "--hf", hf.toString(), "--output", dir.resolve("x").toString());
        assertEquals(2, broken.exitCode());
        assertTrue(broken.err().contains("truncated"), broken.err());
        Cli.Result dtype = Cli.run("export", "--checkpoint", ckpt.toString(), "--output", dir.resolve("y").toString(),
                "--dtype", "int8");
        assertEquals(2, dtype.exitCode());
        assertTrue(dtype.err().contains("unsupported dtype 'int8'"), dtype.err());
    }
}
