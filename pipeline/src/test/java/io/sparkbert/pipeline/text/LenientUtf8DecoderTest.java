package io.sparkbert.pipeline.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class LenientUtf8DecoderTest {
    private static byte[] hex(String hex) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String b : hex.trim().split("\\s+")) {
            out.write(Integer.parseInt(b, 16));
        }
        return out.toByteArray();
    }

    /**
     * Expected values are what Python's bytes.decode("utf-8", "replace") gives (the Unicode
     * standard's "maximal subpart" practice): one U+FFFD per maximal invalid subsequence.
     */
    @ParameterizedTest
    @CsvSource({
        "ff,                1, '\uFFFD'",
        "61 e2 82,          1, 'a\uFFFD'",
        "e2 82 61,          1, '\uFFFDa'",
        "c0 af,             2, '\uFFFD\uFFFD'",
        "ed a0 80,          3, '\uFFFD\uFFFD\uFFFD'",
        "f4 90 80 80,       4, '\uFFFD\uFFFD\uFFFD\uFFFD'",
        "6f 6b f0 9f 98,    1, 'ok\uFFFD'",
        "63 61 66 c3 a9,    0, 'café'",
        "f0 9f 98 80,       0, '\uD83D\uDE00'",
    })
    void replacesEachMaximalInvalidSubsequenceOnce(String bytes, long invalid, String expected) {
        LenientUtf8Decoder decoder = new LenientUtf8Decoder();
        byte[] input = hex(bytes);
        assertEquals(expected, decoder.decode(input, 0, input.length));
        assertEquals(invalid, decoder.invalidSequences());
    }

    @Test
    void linesKeepEmptyLinesAndAFinalLineWithoutNewline() throws Exception {
        byte[] input = "one\n\ntwo\r\n\u00e9\n".getBytes(StandardCharsets.UTF_8);
        assertEquals(List.of("one", "", "two", "é"), readAll(input)); // "\r\n" is one line end
        assertEquals(List.of("a", "b"), readAll("a\nb".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of(), readAll(new byte[0]));
        assertEquals(List.of(""), readAll("\n".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void linesLongerThanTheReadBufferAndInvalidBytesAcrossIt() throws Exception {
        String longLine = "x".repeat(200_000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(longLine.getBytes(StandardCharsets.US_ASCII));
        out.write(0xFF);
        out.write('\n');
        out.write("end".getBytes(StandardCharsets.US_ASCII));
        try (Utf8Lines lines = new Utf8Lines(new ByteArrayInputStream(out.toByteArray()))) {
            assertEquals(longLine + "\uFFFD", lines.next());
            assertEquals("end", lines.next());
            assertEquals(null, lines.next());
            assertEquals(1, lines.invalidSequences());
            assertEquals(out.size(), lines.bytesRead());
        }
    }

    private static List<String> readAll(byte[] input) throws Exception {
        List<String> result = new ArrayList<>();
        try (Utf8Lines lines = new Utf8Lines(new ByteArrayInputStream(input))) {
            for (String line = lines.next(); line != null; line = lines.next()) {
                result.add(line);
            }
        }
        return result;
    }
}
