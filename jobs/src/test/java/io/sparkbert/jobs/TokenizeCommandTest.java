package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizeCommandTest {
    @TempDir
    Path dir;
    Path vocab;

    @BeforeEach
    void writeVocab() throws Exception {
        vocab = dir.resolve("vocab.txt");
        // ids: [PAD]0 [UNK]1 [CLS]2 [SEP]3 [MASK]4 the5 cafe6 was7 open8 ##ed9 ,10 .11 Café12
        Files.write(vocab, List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cafe", "was", "open",
                "##ed", ",", ".", "Café"));
    }

    @Test
    void writesOneIdLinePerInputLineAndCountsInvalidUtf8() throws Exception {
        Path input = dir.resolve("in.txt");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write("The Café was opened.\n\n".getBytes(StandardCharsets.UTF_8));
        bytes.write(new byte[] {'w', 'a', 's', ' ', (byte) 0xC3, '\n'}); // truncated é
        bytes.write("the,\tthe".getBytes(StandardCharsets.UTF_8)); // no final newline
        Files.write(input, bytes.toByteArray());
        Path output = dir.resolve("out.ids");

        Cli.Result result = Cli.run("tokenize", "--vocab", vocab.toString(), "--input", input.toString(),
                "--output", output.toString(), "--threads", "2");

        assertEquals(0, result.exitCode(), result.err());
        // worked by hand: uncased strips the accent of Café; the lone 0xC3 becomes U+FFFD, then is cleaned
        assertEquals(List.of("5 6 7 8 9 11", "", "7", "5 10 5"), Files.readAllLines(output));
        assertTrue(result.err().contains("1 invalid UTF-8 sequences replaced"), result.err());
        assertTrue(result.err().contains("4 lines"), result.err());
    }

    @Test
    void casedKeepsAccents() throws Exception {
        Path input = dir.resolve("in.txt");
        Files.writeString(input, "Café the\n");
        Path output = dir.resolve("out.ids");
        assertEquals(0, Cli.run("tokenize", "--vocab", vocab.toString(), "--input", input.toString(),
                "--output", output.toString(), "--cased").exitCode());
        assertEquals(List.of("12 5"), Files.readAllLines(output));
    }

    @Test
    void refusesToReplaceAFinishedOutputUnlessAsked() throws Exception {
        Path input = dir.resolve("in.txt");
        Files.writeString(input, "the\n");
        Path output = dir.resolve("out.ids");
        Files.writeString(output, "finished earlier\n");

        Cli.Result refused = Cli.run("tokenize", "--vocab", vocab.toString(), "--input", input.toString(),
                "--output", output.toString());
        assertEquals(2, refused.exitCode());
        assertTrue(refused.err().contains("already exists; pass --overwrite"), refused.err());
        assertEquals("finished earlier\n", Files.readString(output));

        assertEquals(0, Cli.run("tokenize", "--vocab", vocab.toString(), "--input", input.toString(),
                "--output", output.toString(), "--overwrite").exitCode());
        assertEquals("5\n", Files.readString(output));
        try (var files = Files.list(dir)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().contains(".tmp-")), "no temporary left");
        }
    }

    @Test
    void clearErrorsForMissingOrBrokenInputs() throws Exception {
        Path input = dir.resolve("in.txt");
        Files.writeString(input, "the\n");
        Cli.Result noVocab = Cli.run("tokenize", "--vocab", dir.resolve("missing.txt").toString(),
                "--input", input.toString(), "--output", dir.resolve("o1").toString());
        assertEquals(2, noVocab.exitCode());
        assertTrue(noVocab.err().contains("vocabulary file not found"), noVocab.err());

        Path badVocab = dir.resolve("bad.txt");
        Files.write(badVocab, List.of("[PAD]", "the", "the"));
        Cli.Result duplicate = Cli.run("tokenize", "--vocab", badVocab.toString(), "--input", input.toString(),
                "--output", dir.resolve("o2").toString());
        assertEquals(2, duplicate.exitCode());
        assertTrue(duplicate.err().contains("'the' twice"), duplicate.err());

        Cli.Result noInput = Cli.run("tokenize", "--vocab", vocab.toString(), "--input",
                dir.resolve("nope.txt").toString(), "--output", dir.resolve("o3").toString());
        assertEquals(2, noInput.exitCode());
        assertTrue(noInput.err().contains("input file not found"), noInput.err());
        assertFalse(Files.exists(dir.resolve("o1")) || Files.exists(dir.resolve("o2")) || Files.exists(dir.resolve("o3")));

        Cli.Result missingOption = Cli.run("tokenize", "--vocab", vocab.toString());
        assertEquals(2, missingOption.exitCode());
        assertTrue(missingOption.err().contains("Missing required options"), missingOption.err());
    }
}
