package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BertInference;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.InferenceRequests;
import io.sparkbert.model.checkpoint.Checkpoint;
import io.sparkbert.model.checkpoint.SafeTensors;
import io.sparkbert.pipeline.TestSeed;
import io.sparkbert.pipeline.corpus.DocumentParser;
import io.sparkbert.pipeline.corpus.InputStats;
import io.sparkbert.pipeline.samples.SampleConfig;
import io.sparkbert.pipeline.text.LenientUtf8Decoder;
import io.sparkbert.pipeline.text.Utf8Lines;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.IntList;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine;

/**
 * Issue 16's randomized harness (Lucene's habit): generated bad input — random bytes, mixed encodings (Latin-1,
 * UTF-16, broken UTF-8), huge lines, control characters, malformed JSON Lines, out-of-range numbers, mangled HOCON,
 * truncated and bit-flipped safetensors, truncated model.zip — goes through the readers a user's files reach, and
 * each must either accept the input or fail with our one-line user error ({@link SparkBert#isUserError}); no line may
 * be lost without being counted; the same seed gives the same results.
 *
 * <p>One seed per run, printed on failure and at the end; {@code -Dtests.seed=HEX} replays a run. Cases per target:
 * {@code -Dtests.multiplier=N} (default 1) multiplies them; the default costs a few seconds in all.
 */
class BadInputHarnessTest {
    private static final long SEED = TestSeed.SEED;
    private static final int MULTIPLIER = Integer.getInteger("tests.multiplier", 1);
    private static final String REPLAY = TestSeed.replay();
    private static final List<String> WORDS = List.of("in", "the", "beginning", "god", "created", "heaven", "and",
            "earth", "##s", "##ed", "light", "water", ".", ",");
    private static final Vocab VOCAB = vocab();
    private static int cases;

    @TempDir
    static Path dir;

    private static Vocab vocab() {
        List<String> tokens = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        tokens.addAll(WORDS);
        return Vocab.of(tokens);
    }

    @AfterAll
    static void printSeed() {
        System.out.println("BadInputHarnessTest: " + cases + " cases, " + REPLAY);
    }

    /** Runs {@code n} cases of a target, each with its own generator derived from the run's seed. */
    private static void forCases(String target, int n, CaseBody body) {
        for (int i = 0; i < n * MULTIPLIER; i++) {
            long caseSeed = new Random(SEED ^ target.hashCode() * 0x9E3779B97F4A7C15L ^ i).nextLong();
            try {
                body.run(new Random(caseSeed), i);
            } catch (Throwable t) {
                throw new AssertionError(target + " case " + i + " failed, " + REPLAY + ": " + t, t);
            }
            cases++;
        }
    }

    @FunctionalInterface
    private interface CaseBody {
        void run(Random random, int index) throws Exception;
    }

    /** Fails unless {@code e} is one of our user errors, printed as one line that says something. */
    private static void assertUserError(Throwable e) {
        if (!SparkBert.isUserError(e) && !(e instanceof CommandLine.ParameterException)) {
            throw new AssertionError("not a user error: " + e, e);
        }
        String message = e.getMessage();
        assertTrue(message != null && !message.isBlank(), "empty message: " + e);
        assertEquals(1, SparkBert.printable(message).lines().count(), "printed on several lines: " + message);
        assertTrue(message.length() < 2000, "a message of " + message.length() + " characters");
    }

    // ---- generators ----

    private static byte[] line(Random random) {
        return switch (random.nextInt(10)) {
            case 0 -> randomBytes(random, random.nextInt(200));
            case 1 -> text(random).getBytes(StandardCharsets.ISO_8859_1); // Latin-1
            case 2 -> text(random).getBytes(StandardCharsets.UTF_16LE);
            case 3 -> ("word ".repeat(1 + random.nextInt(4000))).getBytes(StandardCharsets.US_ASCII); // long
            case 4 -> controls(random).getBytes(StandardCharsets.UTF_8);
            case 5 -> new byte[0];
            case 6 -> "  \t ".getBytes(StandardCharsets.US_ASCII);
            case 7 -> brokenUtf8(random);
            default -> text(random).getBytes(StandardCharsets.UTF_8);
        };
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        for (int i = 0; i < n; i++) {
            if (bytes[i] == '\n') {
                bytes[i] = ' ';
            }
        }
        return bytes;
    }

    private static String text(Random random) {
        StringBuilder out = new StringBuilder();
        int words = random.nextInt(30);
        for (int i = 0; i < words; i++) {
            int kind = random.nextInt(20);
            if (kind == 0) {
                out.appendCodePoint(random.nextInt(0x110000)); // any code point, lone surrogates included
            } else if (kind == 1) {
                out.append("café Ünïcödé 日本語 🙂");
            } else if (kind == 2) {
                out.append("[MASK]");
            } else {
                out.append(WORDS.get(random.nextInt(WORDS.size())).replace("##", ""));
            }
            out.append(random.nextInt(8) == 0 ? "\t" : " ");
        }
        return out.toString();
    }

    private static String controls(Random random) {
        StringBuilder out = new StringBuilder(text(random));
        for (int i = 0; i < 1 + random.nextInt(5); i++) {
            char c = (char) new int[] {0, 1, 7, 8, 0x0B, 0x0C, '\r', 0x1B, 0x7F, 0x85, 0x200B, 0xFEFF, 0xFFFD}[
                    random.nextInt(13)];
            out.insert(random.nextInt(out.length() + 1), c);
        }
        return out.toString();
    }

    private static byte[] brokenUtf8(Random random) {
        byte[] good = text(random).getBytes(StandardCharsets.UTF_8);
        byte[] bad = {(byte) 0xC3, (byte) 0xE2, (byte) 0x82, (byte) 0xF0, (byte) 0x9F, (byte) 0xFF, (byte) 0xC0};
        byte[] out = Arrays.copyOf(good, good.length + 3);
        for (int i = good.length; i < out.length; i++) {
            out[i] = bad[random.nextInt(bad.length)];
        }
        return out;
    }

    // ---- targets ----

    /** One generated file through DocumentParser: returns its documents and counts, checking the accounting. */
    private static String parseFile(Random random) {
        DocumentParser.Format format = random.nextBoolean() ? DocumentParser.Format.LINES : DocumentParser.Format.JSONL;
        int maxLineBytes = 2_000;
        List<byte[]> lines = new ArrayList<>();
        int n = random.nextInt(40);
        if (random.nextInt(10) == 0) { // a UTF-16 file with its byte order mark
            lines.add(new byte[] {(byte) 0xFF, (byte) 0xFE, 'a', 0});
        }
        for (int i = 0; i < n; i++) {
            byte[] line = line(random);
            if (format == DocumentParser.Format.JSONL && random.nextInt(3) > 0) {
                line = jsonLine(random).getBytes(StandardCharsets.UTF_8);
            }
            lines.add(line);
        }
        boolean binary = random.nextInt(15) == 0;
        if (binary) {
            lines.add(random.nextInt(lines.size() + 1), new byte[] {'x', 0, 'y'});
        }
        InputStats stats = new InputStats();
        SampleConfig samples = new SampleConfig(16, 3, 0.15, 0.1, 1, false, SampleConfig.Truncation.HEAD_TAIL, 1);
        DocumentParser parser = new DocumentParser(format, new BertTokenizer(VOCAB, true), samples, maxLineBytes,
                stats);
        List<List<int[]>> documents = new ArrayList<>();
        long blank = 0;
        LenientUtf8Decoder decoder = new LenientUtf8Decoder();
        for (byte[] line : lines) {
            parser.line(line, line.length, documents);
            if (line.length <= maxLineBytes && decoder.decode(line, 0, line.length).isBlank()) {
                blank++;
            }
        }
        parser.endOfFile(documents);
        long counted = stats.binaryFilesSkipped + stats.utf16FilesSkipped;
        if (counted > 0) { // a skipped file counts for nothing but itself
            assertEquals(1, counted);
            assertEquals(0, stats.lines + stats.documents + stats.sentences + stats.longLinesDropped);
            assertTrue(documents.isEmpty());
        } else {
            assertEquals(lines.size(), stats.lines, "lines");
            // every line is accounted for: blank, too long, or it became (part of) a document or a counted drop
            long accounted = format == DocumentParser.Format.LINES
                    ? blank + stats.longLinesDropped + stats.emptySentencesDropped + stats.sentences
                    : blank + stats.longLinesDropped + stats.malformedJsonLines + stats.documents
                            + stats.emptyDocumentsSkipped;
            assertEquals(stats.lines, accounted, "a line lost without being counted: " + stats.toMap());
            assertEquals(stats.documents, documents.size());
            for (List<int[]> document : documents) {
                for (int[] sentence : document) {
                    assertTrue(sentence.length > 0 && sentence.length <= samples.maxNumTokens());
                    for (int id : sentence) {
                        assertTrue(id >= 0 && id < VOCAB.size(), "id " + id);
                    }
                }
            }
        }
        StringBuilder digest = new StringBuilder(stats.toMap().toString());
        for (List<int[]> document : documents) {
            for (int[] sentence : document) {
                digest.append(Arrays.toString(sentence));
            }
            digest.append('|');
        }
        return digest.toString();
    }

    private static String jsonLine(Random random) {
        return switch (random.nextInt(8)) {
            case 0 -> "{\"text\":" + quote(text(random)) + "}";
            case 1 -> "{\"text\":" + random.nextInt() + "}";
            case 2 -> "{\"text\":" + quote(text(random));
            case 3 -> "[" + quote(text(random)) + "]";
            case 4 -> "{\"txt\":\"x\"}";
            case 5 -> "null";
            case 6 -> "{\"text\":\"" + text(random) + "\"}"; // unescaped: sometimes valid
            default -> "{\"text\":" + quote(text(random) + ". " + text(random) + "? " + text(random)) + "}";
        };
    }

    private static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        text.codePoints().forEach(c -> {
            if (c == '"' || c == '\\') {
                out.append('\\').appendCodePoint(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.append('"').toString();
    }

    @Test
    void documentParserCountsEveryLineAndIsDeterministic() {
        List<String> first = new ArrayList<>();
        forCases("DocumentParser", 300, (random, i) -> first.add(parseFile(random)));
        List<String> again = new ArrayList<>();
        forCases("DocumentParser", 300, (random, i) -> again.add(parseFile(random)));
        assertEquals(first, again, "the same seed gave other output, " + REPLAY);
    }

    @Test
    void tokenizerAndLineReaderTakeAnyInput() {
        BertTokenizer tokenizer = new BertTokenizer(VOCAB, true);
        BertTokenizer cased = new BertTokenizer(VOCAB, false);
        forCases("tokenizer", 2000, (random, i) -> {
            String text = random.nextInt(4) == 0 ? controls(random)
                    : new String(line(random), random.nextBoolean() ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            BertTokenizer chosen = random.nextBoolean() ? tokenizer : cased;
            IntList ids = new IntList();
            chosen.encode(text, ids);
            for (int k = 0; k < ids.size(); k++) {
                assertTrue(ids.get(k) >= 0 && ids.get(k) < VOCAB.size());
            }
            assertEquals(Arrays.toString(ids.toArray()), Arrays.toString(chosen.encode(text)), "not deterministic");
        });
        forCases("Utf8Lines", 300, (random, i) -> {
            ByteArrayOutputStream file = new ByteArrayOutputStream();
            int ends = 0;
            int n = random.nextInt(30);
            for (int k = 0; k < n; k++) {
                file.writeBytes(line(random));
                String end = List.of("\n", "\r\n", "\r").get(random.nextInt(3));
                byte[] raw = file.toByteArray();
                // "\r" then "\n" from the next line end would read as one CRLF: keep the count exact
                if (end.equals("\n") && raw.length > 0 && raw[raw.length - 1] == '\r') {
                    end = "\r\n";
                }
                if (raw.length > 0 && raw[raw.length - 1] == '\r') {
                    ends--; // a line's own trailing '\r' already ended it
                }
                file.writeBytes(end.getBytes(StandardCharsets.US_ASCII));
                ends++;
            }
            byte[] bytes = file.toByteArray();
            int read = 0;
            try (Utf8Lines lines = new Utf8Lines(new ByteArrayInputStream(bytes))) {
                while (lines.next() != null) {
                    read++;
                }
                assertEquals(bytes.length, lines.bytesRead());
            }
            assertTrue(read >= ends, "read " + read + " lines of at least " + ends);
        });
    }

    private static BertInference model;
    private static Path checkpoint;

    @BeforeAll
    static void tinyModel() throws Exception {
        BertConfig config = BertConfig.preset("tiny", VOCAB.size());
        var graph = BertModel.build(config, 16, 3, 7, DataType.FLOAT, new org.nd4j.linalg.learning.config.Adam(1e-3));
        checkpoint = dir.resolve("ckpt");
        Checkpoint.write(checkpoint, graph, VOCAB, true, false);
        model = new BertInference(Checkpoint.read(checkpoint));
    }

    private static String requestLine(Random random) {
        String ints = ints(random);
        return switch (random.nextInt(12)) {
            case 0 -> "{\"input_ids\":" + ints + "}";
            case 1 -> "{\"input_ids\":" + ints + ",\"token_type_ids\":" + ints(random) + "}";
            case 2 -> "{\"input_ids\":" + ints + ",\"attention_mask\":" + ints(random) + ",\"masked_lm_positions\":"
                    + ints(random) + "}";
            case 3 -> "{\"text_a\":" + quote(text(random)) + ",\"text_b\":" + quote(text(random)) + "}";
            case 4 -> "{\"text_a\":" + List.of("123", "null", "[1]", "{}", "true", "\"x\"").get(random.nextInt(6)) + "}";
            case 5 -> "{\"input_ids\":" + List.of("\"2 10 3\"", "2.5", "null", "{}", "[2,2.5]", "[\"2\"]", "[null]",
                    "[1e3]", "[99999999999]").get(random.nextInt(9)) + "}";
            case 6 -> new String(randomBytes(random, random.nextInt(60)), StandardCharsets.ISO_8859_1);
            case 7 -> "{\"input_ids\":" + ints;
            case 8 -> "{}";
            case 9 -> "[]";
            case 10 -> "{\"input_ids\":[2,5,3],\"text_a\":\"x\"}";
            default -> "{\"input_ids\":[2" + ",5".repeat(random.nextInt(20)) + ",3],\"masked_lm_positions\":"
                    + ints(random) + "}";
        };
    }

    private static String ints(Random random) {
        int n = random.nextInt(20);
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            out.append(i > 0 ? "," : "").append(switch (random.nextInt(6)) {
                case 0 -> random.nextInt();
                case 1 -> -random.nextInt(3);
                case 2 -> VOCAB.size() + random.nextInt(3) - 1;
                default -> random.nextInt(VOCAB.size());
            });
        }
        return out.append(']').toString();
    }

    @Test
    void inferRequestsAreValidatedOrNamedByLine() {
        InferenceRequests reader = new InferenceRequests(model, new BertTokenizer(VOCAB, true), VOCAB);
        List<BertInference.Request> valid = new ArrayList<>();
        List<String> first = new ArrayList<>();
        forCases("infer", 1000, (random, i) -> {
            String line = requestLine(random);
            try {
                BertInference.Request request = reader.parse(line, i + 1);
                valid.add(request);
                first.add("ok " + Arrays.toString(request.inputIds()));
            } catch (RuntimeException e) {
                assertUserError(e);
                assertTrue(e.getMessage().startsWith("line " + (i + 1) + ": "), e.getMessage());
                first.add(e.getMessage());
            }
        });
        List<String> again = new ArrayList<>();
        forCases("infer", 1000, (random, i) -> {
            try {
                again.add("ok " + Arrays.toString(reader.parse(requestLine(random), i + 1).inputIds()));
            } catch (RuntimeException e) {
                again.add(e.getMessage());
            }
        });
        assertEquals(first, again, REPLAY);
        // whatever validation accepted, the model runs (a batch of the first few, so the case stays cheap)
        if (!valid.isEmpty()) {
            var out = model.run(valid.subList(0, Math.min(16, valid.size())));
            assertTrue(Float.isFinite(out.nspLogits().sumNumber().floatValue()), REPLAY);
        }
    }

    @Test
    void configFilesAreReadOrRefusedInOneLine() throws Exception {
        String good = "preprocess {\n  max-seq-length = 64\n  dupe-factor = 3\n}\nvocab.size = 1000\n"
                + "spark.conf { \"spark.x\" = \"y\" }\n";
        CommandLine root = new CommandLine(new SparkBert());
        forCases("config", 50, (random, i) -> {
            StringBuilder text = new StringBuilder(good);
            for (int m = 0; m < 1 + random.nextInt(3); m++) {
                int at = random.nextInt(text.length() + 1);
                switch (random.nextInt(5)) {
                    case 0 -> text.insert(at, "{}[]=:,\"$#\n".charAt(random.nextInt(11)));
                    case 1 -> text.delete(at, Math.min(text.length(), at + 1 + random.nextInt(5)));
                    case 2 -> text.insert(at, new String(randomBytes(random, 5), StandardCharsets.ISO_8859_1));
                    case 3 -> text.insert(at, "x");
                    default -> text.insert(at, "\ninclude \"nowhere.conf\"\n");
                }
            }
            Path file = dir.resolve("fuzz-" + i + ".conf");
            Files.writeString(file, text);
            try {
                Settings.load(file).checkUserKeys(root);
            } catch (RuntimeException e) {
                assertUserError(e);
            }
        });
    }

    @Test
    void safetensorsAndModelZipReadOrRefusedInOneLine() throws Exception {
        ByteArrayOutputStream valid = new ByteArrayOutputStream();
        SafeTensors.write(List.of(SafeTensors.Tensor.ofFloats("a.weight", new long[] {2, 3}, new float[6]),
                SafeTensors.Tensor.ofFloats("b", new long[] {4}, new float[4], SafeTensors.DType.F16)),
                Map.of("format", "pt"), valid);
        byte[] bytes = valid.toByteArray();
        forCases("safetensors", 300, (random, i) -> {
            byte[] mutated = switch (random.nextInt(3)) {
                case 0 -> Arrays.copyOf(bytes, random.nextInt(bytes.length));
                case 1 -> {
                    byte[] copy = bytes.clone();
                    for (int k = 0; k < 1 + random.nextInt(4); k++) {
                        copy[random.nextInt(copy.length)] = (byte) random.nextInt(256);
                    }
                    yield copy;
                }
                default -> randomBytes(random, random.nextInt(100));
            };
            try {
                SafeTensors.read(new ByteArrayInputStream(mutated));
            } catch (RuntimeException e) {
                assertUserError(e);
            }
        });
        Path zip = checkpoint.resolve("model.zip");
        byte[] original = Files.readAllBytes(zip);
        try {
            // truncation only: flipping bytes inside DL4J's array blobs could ask ND4J for any amount of memory
            forCases("model.zip", 12, (random, i) -> {
                try (RandomAccessFile file = new RandomAccessFile(zip.toFile(), "rw")) {
                    file.setLength(random.nextInt(original.length));
                }
                try {
                    Checkpoint.read(checkpoint);
                    throw new AssertionError("a truncated model.zip was read");
                } catch (RuntimeException e) {
                    assertUserError(e);
                }
                Files.write(zip, original);
            });
        } finally {
            Files.write(zip, original);
        }
        assertEquals(HexFormat.of().formatHex(original), HexFormat.of().formatHex(Files.readAllBytes(zip)));
    }
}
