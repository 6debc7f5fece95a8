package io.sparkbert.pipeline.glove;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.pipeline.util.OutputExistsException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GloVe's files: vocab.txt in, text vectors and glove.c's binary parameters out. */
class GloveOutputTest {
    private static final List<String> VOCAB = List.of("the", "naïve", "日本", ",");
    private static final int DIM = 5;

    @TempDir
    Path dir;

    /** A model that has moved away from its start, so that vectors and biases differ everywhere. */
    private static GloveModel trainedModel() {
        GloveModel model = GloveModel.initialize(VOCAB.size(), DIM, 99);
        List<GloveEntry> entries = List.of(new GloveEntry(1, 2, 30), new GloveEntry(2, 1, 30),
                new GloveEntry(3, 4, 2.5), new GloveEntry(4, 3, 2.5), new GloveEntry(1, 1, 500));
        for (int i = 0; i < 5; i++) {
            model.pass(entries.iterator(), GloveConfig.defaults(1));
        }
        return model;
    }

    @Test
    void textVectorsParseBack() throws IOException {
        GloveModel model = trainedModel();
        Path target = dir.resolve("vectors.txt");
        GloveOutput.writeText(target.toString(), VOCAB, model, false, new Configuration());
        List<String> lines = Files.readAllLines(target, StandardCharsets.UTF_8);
        assertEquals(VOCAB.size(), lines.size(), "one line per vocabulary word, nothing else");
        for (int id = 1; id <= VOCAB.size(); id++) {
            String[] fields = lines.get(id - 1).split(" ", -1);
            assertEquals(DIM + 1, fields.length, lines.get(id - 1));
            assertEquals(VOCAB.get(id - 1), fields[0]);
            double[] expected = model.vector(id); // w + w~
            for (int b = 0; b < DIM; b++) {
                assertTrue(fields[b + 1].matches("-?\\d+\\.\\d{6}"), fields[b + 1]);
                assertEquals(expected[b], Double.parseDouble(fields[b + 1]), 5e-7);
                assertEquals(reference(expected[b]), fields[b + 1]);
            }
        }
        GloveVectors neighbors = GloveVectors.read(target.toString(), new Configuration());
        assertEquals(VOCAB, neighbors.words());
        assertEquals(DIM, neighbors.dim());
    }

    @Test
    void binaryParametersHaveGloveCsLayout() throws IOException {
        GloveModel model = trainedModel();
        Path target = dir.resolve("vectors.bin");
        GloveOutput.writeBinary(target.toString(), model, false, new Configuration());
        byte[] bytes = Files.readAllBytes(target);
        int v = VOCAB.size();
        assertEquals(2L * v * (DIM + 1) * 8, bytes.length, "2·V·(d+1) doubles, no header");
        assertEquals(GloveOutput.binarySize(v, DIM), bytes.length);
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int id = 1; id <= v; id++) {
            double[] word = new double[DIM];
            double[] context = new double[DIM];
            for (int b = 0; b < DIM; b++) {
                word[b] = in.getDouble(((id - 1) * (DIM + 1) + b) * 8);
                context[b] = in.getDouble(((v + id - 1) * (DIM + 1) + b) * 8);
            }
            assertArrayEquals(model.wordVector(id), word, 0.0, "row " + (id - 1) + ": w_" + id);
            assertEquals(model.wordBias(id), in.getDouble(((id - 1) * (DIM + 1) + DIM) * 8), 0.0, "then b_" + id);
            assertArrayEquals(model.contextVector(id), context, 0.0, "row V+" + (id - 1) + ": w~_" + id);
            assertEquals(model.contextBias(id), in.getDouble(((v + id - 1) * (DIM + 1) + DIM) * 8), 0.0);
        }
    }

    @Test
    void binaryIsLittleEndian() throws IOException {
        double[] params = new double[2 * 1 * 2];
        params[0] = 1.0;
        params[3] = -2.0;
        GloveModel model = GloveModel.of(1, 1, params, new double[4]);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        GloveOutput.writeBinary(out, model);
        byte[] expected = {
            0, 0, 0, 0, 0, 0, (byte) 0xF0, 0x3F, // 1.0 = 0x3FF0000000000000, least significant byte first
            0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, (byte) 0xC0, // -2.0 = 0xC000000000000000
        };
        assertArrayEquals(expected, out.toByteArray());
    }

    @Test
    void refusesToOverwriteUnlessAsked() throws IOException {
        GloveModel model = trainedModel();
        Path target = dir.resolve("out/vectors.txt");
        Configuration hadoop = new Configuration();
        GloveOutput.writeText(target.toString(), VOCAB, model, false, hadoop);
        GloveOutput.writeBinary(target + ".bin", model, false, hadoop);
        String before = Files.readString(target);
        GloveModel other = GloveModel.initialize(VOCAB.size(), DIM, 1);
        assertThrows(OutputExistsException.class,
                () -> GloveOutput.writeText(target.toString(), VOCAB, other, false, hadoop));
        assertThrows(OutputExistsException.class, () -> GloveOutput.writeBinary(target + ".bin", other, false, hadoop));
        assertEquals(before, Files.readString(target), "untouched");
        GloveOutput.writeText(target.toString(), VOCAB, other, true, hadoop);
        assertTrue(!before.equals(Files.readString(target)), "replaced when asked");
        try (Stream<Path> files = Files.list(target.getParent())) {
            assertEquals(List.of("vectors.txt", "vectors.txt.bin"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary files left");
        }
        assertThrows(IllegalArgumentException.class,
                () -> GloveOutput.writeText(dir.resolve("x.txt").toString(), VOCAB.subList(0, 2), model, false, hadoop));
    }

    @Test
    void numbersArePrintedLikeCPrintfLf() {
        // expected strings from glibc's printf("%lf"): correctly rounded from the exact binary value
        assertEquals("0.000000", GloveOutput.formatLf(0.0));
        assertEquals("-0.000000", GloveOutput.formatLf(-0.0));
        assertEquals("-0.000000", GloveOutput.formatLf(-1e-9));
        assertEquals("2.500000", GloveOutput.formatLf(2.5));
        assertEquals("-0.123457", GloveOutput.formatLf(-0.1234567));
        assertEquals("0.007812", GloveOutput.formatLf(0.0078125), "an exact tie rounds to even");
        assertEquals("0.023438", GloveOutput.formatLf(0.0234375), "an exact tie rounds to even");
        assertEquals("0.123456", GloveOutput.formatLf(0.1234565), "the double is just below the tie");
        assertEquals("1.000001", GloveOutput.formatLf(1.0000005), "the double is just above the tie");
        assertEquals("1.000000", GloveOutput.formatLf(0.9999995));
        assertEquals("999.999999", GloveOutput.formatLf(999.9999995));
        assertEquals("1234.000000", GloveOutput.formatLf(1234.0000005));
        assertEquals("33333333333333331968.000000", GloveOutput.formatLf(1e20 / 3));
        assertEquals("inf", GloveOutput.formatLf(Double.POSITIVE_INFINITY));
        assertEquals("-inf", GloveOutput.formatLf(Double.NEGATIVE_INFINITY));
        Random random = new Random(5);
        for (int i = 0; i < 200_000; i++) {
            double value = (random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(8) - 4);
            assertEquals(reference(value), GloveOutput.formatLf(value), "value " + value);
        }
    }

    @Test
    void vocabularyIsGloveVocabTxt() throws IOException {
        byte[] vocab = "the 1061396\nnaïve 12\n, 5\n".getBytes(StandardCharsets.UTF_8);
        assertEquals(List.of("the", "naïve", ","), GloveOutput.readVocab(new ByteArrayInputStream(vocab), "vocab.txt"));
        byte[] bertVocab = "[PAD]\n[UNK]\n".getBytes(StandardCharsets.UTF_8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GloveOutput.readVocab(new ByteArrayInputStream(bertVocab), "vocab.txt"));
        assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("word count"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> GloveOutput.readVocab(new ByteArrayInputStream(new byte[0]), "vocab.txt"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> GloveOutput.readVocab(dir.resolve("none.txt").toString(), new Configuration()));
        assertTrue(missing.getMessage().contains("not found"), missing.getMessage());
        assertEquals(Arrays.asList("a", "b"), GloveOutput.readVocab(
                new ByteArrayInputStream("a 2\nb\t1\n".getBytes(StandardCharsets.UTF_8)), "vocab.txt"));
    }

    /** %lf by definition: the exact value rounded half-even to 6 decimals, with the sign of the double. */
    private static String reference(double value) {
        boolean negative = value < 0 || (value == 0 && 1 / value < 0);
        return (negative ? "-" : "") + new BigDecimal(Math.abs(value)).setScale(6, RoundingMode.HALF_EVEN)
                .toPlainString();
    }
}
