package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.pipeline.reference.ReferenceVocabs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, bugs 2-5: what the input paths name is read, each file once, never our own outputs, and every file left
 * out is listed in the report and on the console; a binary file counts for nothing but itself.
 */
class CorpusInputsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static Path vocabFile;

    @TempDir
    Path dir;

    @BeforeAll
    static void writeVocab() throws Exception {
        vocabFile = shared.resolve("vocab.txt");
        ReferenceVocabs.bertBaseUncased().write(vocabFile);
    }

    private static Cli.Result preprocess(String input, Path output, String... extra) {
        List<String> args = new ArrayList<>(List.of("preprocess", "--input", input, "--vocab", vocabFile.toString(),
                "--output", output.toString(), "--master", "local[2]", "--dupe-factor", "1", "--shards", "1"));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    /** {@code n} lines of text in documents of 5 lines. */
    private static String text(int n, String word) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            out.append("the ").append(word).append(" walked to the river number ").append(i).append(".\n");
            if (i % 5 == 4) {
                out.append('\n');
            }
        }
        return out.toString();
    }

    private static JsonNode report(Path dataset) throws Exception {
        return JSON.readTree(dataset.resolve("report.json").toFile());
    }

    @Test
    void bug2_hiddenFilesInADirectoryAreListedAndANamedHiddenFileIsRead() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        Files.writeString(corpus.resolve("a.txt"), text(20, "king"));
        Files.writeString(corpus.resolve("_b.txt"), text(30, "queen"));
        Files.writeString(corpus.resolve(".c.txt"), text(40, "prince"));
        Cli.Result result = preprocess(corpus.toString(), dir.resolve("out"));
        assertEquals(0, result.exitCode(), result.err());
        JsonNode report = report(dir.resolve("out"));
        assertEquals(1, report.path("input").path("files").asInt());
        assertEquals(2, report.path("hidden_files_skipped").size(), report.toString());
        assertTrue(result.err().contains("preprocess: skipped 2 hidden file(s)"), result.err());
        assertTrue(result.err().contains("_b.txt") && result.err().contains(".c.txt"), result.err());

        // named directly, a hidden file is read (it "did not exist" before)
        Cli.Result named = preprocess(corpus.resolve("_b.txt") + "," + corpus.resolve(".c.txt"), dir.resolve("named"));
        assertEquals(0, named.exitCode(), named.err());
        JsonNode namedReport = report(dir.resolve("named"));
        assertEquals(2, namedReport.path("input").path("files").asInt());
        assertEquals(70 + 14, namedReport.path("input").path("lines").asInt()); // 70 text lines, 14 blank ones

        // vocab and cooccur read named hidden files too, and list the skipped ones
        Cli.Result vocab = Cli.run("vocab", "--input", corpus.toString(), "--output", dir.resolve("v.txt").toString(),
                "--size", "120", "--master", "local[2]");
        assertEquals(0, vocab.exitCode(), vocab.err());
        assertTrue(vocab.err().contains("vocab: skipped 2 hidden file(s)"), vocab.err());
        assertEquals(2, JSON.readTree(dir.resolve("v.report.json").toFile()).path("hidden_files_skipped").size());
        Cli.Result cooccur = Cli.run("cooccur", "--input", corpus.resolve("_b.txt").toString(), "--output",
                dir.resolve("cooc").toString(), "--master", "local[2]", "--min-count", "1");
        assertEquals(0, cooccur.exitCode(), cooccur.err());
        assertEquals(36, JSON.readTree(dir.resolve("cooc/report.json").toFile()).path("lines").asInt());
    }

    @Test
    void bug3_ourOwnOutputUnderTheInputIsNeverReadAsCorpus() throws Exception {
        Path s = Files.createDirectories(dir.resolve("s"));
        Files.writeString(s.resolve("a.txt"), text(20, "king"));
        Path output = s.resolve("samples");
        Cli.Result first = preprocess(s.toString(), output, "--incremental");
        assertEquals(0, first.exitCode(), first.err());
        Files.writeString(s.resolve("b.txt"), text(10, "queen"));
        Cli.Result second = preprocess(s.toString(), output, "--incremental");
        assertEquals(0, second.exitCode(), second.err());
        assertTrue(second.err().contains("excluded"), second.err());
        JsonNode manifest = JSON.readTree(output.resolve("manifest.json").toFile());
        List<String> read = new ArrayList<>();
        for (JsonNode run : manifest.withArray("runs")) {
            for (JsonNode file : run.withArray("files")) {
                read.add(Path.of(java.net.URI.create(file.get("path").asText())).getFileName().toString());
            }
        }
        assertEquals(List.of("a.txt", "b.txt"), read);
        Cli.Result third = preprocess(s.toString(), output, "--incremental");
        assertEquals(0, third.exitCode(), third.err());
        assertTrue(third.err().contains("nothing to do"), third.err());
    }

    @Test
    void bug4_overlappingInputsAreReadOnceAndSaid() throws Exception {
        Path d = Files.createDirectories(dir.resolve("d"));
        Path a = d.resolve("a.txt");
        Files.writeString(a, text(20, "king"));
        Files.writeString(d.resolve("b.txt"), text(10, "queen"));
        Cli.Result twice = preprocess(a + "," + a, dir.resolve("twice"));
        assertEquals(0, twice.exitCode(), twice.err());
        assertTrue(twice.err().contains("1 file(s) named by more than one input, read once"), twice.err());
        assertEquals(1, report(dir.resolve("twice")).path("input").path("files").asInt());
        assertEquals(1, report(dir.resolve("twice")).path("duplicate_inputs_read_once").size());
        Cli.Result overlap = preprocess(d + "," + a, dir.resolve("overlap"));
        assertEquals(0, overlap.exitCode(), overlap.err());
        assertEquals(2, report(dir.resolve("overlap")).path("input").path("files").asInt());

        Cli.Result once = Cli.run("cooccur", "--input", a.toString(), "--output", dir.resolve("c1").toString(),
                "--master", "local[2]", "--min-count", "1");
        Cli.Result doubled = Cli.run("cooccur", "--input", a + "," + a, "--output", dir.resolve("c2").toString(),
                "--master", "local[2]", "--min-count", "1");
        assertEquals(0, once.exitCode(), once.err());
        assertEquals(0, doubled.exitCode(), doubled.err());
        assertTrue(Arrays.equals(Files.readAllBytes(dir.resolve("c1/cooccurrence.bin")),
                Files.readAllBytes(dir.resolve("c2/cooccurrence.bin"))));
        assertEquals(Files.readString(dir.resolve("c1/vocab.txt")), Files.readString(dir.resolve("c2/vocab.txt")));
    }

    @Test
    void bug5_aBinaryFileCountsForNothingButItself() throws Exception {
        Path d = Files.createDirectories(dir.resolve("mixed"));
        Files.writeString(d.resolve("a.txt"), text(20, "king")); // 20 lines + 4 blank
        // lines that look like text (one of them a sentence too long for a sample), then a NUL within 8 KiB
        StringBuilder binary = new StringBuilder(text(2, "queen"));
        binary.append("word ".repeat(200)).append('\n');
        byte[] bytes = (binary + "\u0000\u0001\u0002 binary tail\n").getBytes(StandardCharsets.UTF_8);
        Files.write(d.resolve("z.bin"), bytes);
        Cli.Result result = preprocess(d.toString(), dir.resolve("out"), "--max-seq-length", "32");
        assertEquals(0, result.exitCode(), result.err());
        JsonNode input = report(dir.resolve("out")).path("input");
        assertEquals(2, input.path("files").asInt());
        assertEquals(1, input.path("binary_files_skipped").asInt());
        assertEquals(24, input.path("lines").asInt(), input.toString());
        assertEquals(0, input.path("long_sentences_truncated").asInt(), input.toString());
        assertEquals(4, input.path("documents").asInt(), input.toString());
        assertFalse(input.toString().contains("\"bytes\":0"));
    }

    @Test
    void bug7_cooccurVocabIsValidUtf8WithReplacementCharactersAndNoNul() throws Exception {
        Path corpus = dir.resolve("bytes.txt");
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 3; i++) {
            bytes.writeBytes("caf".getBytes(StandardCharsets.US_ASCII));
            bytes.write(0xE9); // Latin-1 é: invalid UTF-8
            bytes.writeBytes(" ok na".getBytes(StandardCharsets.US_ASCII));
            bytes.write(0);
            bytes.writeBytes("me ok\n".getBytes(StandardCharsets.US_ASCII));
        }
        Files.write(corpus, bytes.toByteArray());
        Cli.Result result = Cli.run("cooccur", "--input", corpus.toString(), "--output", dir.resolve("c").toString(),
                "--master", "local[2]", "--min-count", "1");
        assertEquals(0, result.exitCode(), result.err());
        byte[] vocab = Files.readAllBytes(dir.resolve("c/vocab.txt"));
        String text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(vocab)).toString(); // strict
        assertEquals(List.of("ok 6", "caf\uFFFD 3", "name 3"), text.lines().toList());
        assertEquals(3, JSON.readTree(dir.resolve("c/report.json").toFile()).path("lines_with_invalid_utf8").asInt());
    }

    @Test
    void utf16FileIsSaidToBeUnsupportedAndAnOverlongLineIsCountedAsSuch() throws Exception {
        Path d = Files.createDirectories(dir.resolve("enc"));
        Files.writeString(d.resolve("a.txt"), text(20, "king"));
        Files.write(d.resolve("u.txt"), ("\uFEFF" + text(10, "queen")).getBytes(StandardCharsets.UTF_16LE));
        Cli.Result result = preprocess(d.toString(), dir.resolve("out"));
        assertEquals(0, result.exitCode(), result.err());
        JsonNode input = report(dir.resolve("out")).path("input");
        assertEquals(1, input.path("utf16_files_skipped").asInt(), input.toString());
        assertEquals(0, input.path("binary_files_skipped").asInt(), input.toString());
        assertTrue(result.err().contains("UTF-16 is not supported"), result.err());

        Path longLine = dir.resolve("long.txt");
        Files.writeString(longLine, "word ".repeat(1000)); // 5000 bytes, no newline
        Cli.Result dropped = preprocess(longLine.toString(), dir.resolve("long"), "--max-line-bytes", "1000");
        assertEquals(2, dropped.exitCode(), dropped.err());
        assertTrue(dropped.err().contains("1 line(s) read, of which 1 dropped as longer than 1000 bytes"),
                dropped.err());
    }

    @Test
    void vocabSkipsBinaryFilesAndCooccurEndsLinesAtALoneCarriageReturn() throws Exception {
        Path d = Files.createDirectories(dir.resolve("bin"));
        Files.writeString(d.resolve("a.txt"), text(40, "king"));
        byte[] noise = new byte[50_000];
        new java.util.Random(16).nextBytes(noise);
        noise[100] = 0;
        Files.write(d.resolve("noise.dat"), noise);
        Cli.Result vocab = Cli.run("vocab", "--input", d.toString(), "--output", dir.resolve("v.txt").toString(),
                "--size", "100", "--master", "local[2]");
        assertEquals(0, vocab.exitCode(), vocab.err());
        assertTrue(vocab.err().contains("vocab: skipped 1 file(s) that are not text"), vocab.err());
        assertTrue(Files.readAllLines(dir.resolve("v.txt")).size() <= 100);
        assertEquals(1, JSON.readTree(dir.resolve("v.report.json").toFile()).path("not_text_files_skipped").size());

        Path mac = dir.resolve("mac.txt");
        Files.writeString(mac, "a b\rc d\r\ne f\n");
        Cli.Result cooccur = Cli.run("cooccur", "--input", mac.toString(), "--output", dir.resolve("cr").toString(),
                "--master", "local[2]", "--min-count", "1");
        assertEquals(0, cooccur.exitCode(), cooccur.err());
        assertEquals(List.of("a 1", "b 1", "c 1", "d 1", "e 1", "f 1"),
                Files.readAllLines(dir.resolve("cr/vocab.txt")));
        assertEquals(3, JSON.readTree(dir.resolve("cr/report.json").toFile()).path("lines").asInt());
        // three lines, one pair each in both directions: b-c (across the lone CR) is no pair
        assertEquals(6 * 16, Files.size(dir.resolve("cr/cooccurrence.bin")));
    }
}
