package io.sparkbert.pipeline.text;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes UTF-8 without ever failing: every maximal invalid byte sequence becomes one U+FFFD (as
 * Python's {@code errors="replace"} and Rust's {@code from_utf8_lossy} do) and is counted, so jobs
 * can report bad input instead of dying on it or hiding it. Not thread-safe: one per reader/task.
 */
public final class LenientUtf8Decoder {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private CharBuffer chars = CharBuffer.allocate(1024);
    private long invalidSequences;

    public String decode(byte[] bytes, int offset, int length) {
        boolean ascii = true;
        for (int i = offset; i < offset + length; i++) {
            if (bytes[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
        }
        if (chars.capacity() < length) {
            chars = CharBuffer.allocate(Math.max(length, chars.capacity() * 2));
        }
        chars.clear();
        decoder.reset();
        ByteBuffer in = ByteBuffer.wrap(bytes, offset, length);
        while (true) {
            CoderResult result = decoder.decode(in, chars, true);
            if (result.isUnderflow()) {
                decoder.flush(chars);
                break;
            }
            if (!result.isError()) {
                throw new IllegalStateException("UTF-8 decoding overflowed a buffer sized for its input");
            }
            chars.put('\uFFFD');
            invalidSequences++;
            // Java's decoder sometimes reports a longer malformed run (a surrogate's three bytes as
            // one); skip only the maximal subpart, so the count matches Python's and Rust's.
            in.position(in.position() + maximalSubpart(bytes, in.position(), offset + length));
        }
        chars.flip();
        return chars.toString();
    }

    /**
     * The length of the maximal subpart of an ill-formed sequence starting at {@code start} (Unicode
     * §3.9, U+FFFD substitution): the longest prefix of a well-formed sequence, at least one byte.
     */
    static int maximalSubpart(byte[] bytes, int start, int end) {
        int lead = bytes[start] & 0xFF;
        int needed;
        int secondLow = 0x80;
        int secondHigh = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            needed = 1;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            needed = 2;
            if (lead == 0xE0) {
                secondLow = 0xA0;
            } else if (lead == 0xED) {
                secondHigh = 0x9F;
            }
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            needed = 3;
            if (lead == 0xF0) {
                secondLow = 0x90;
            } else if (lead == 0xF4) {
                secondHigh = 0x8F;
            }
        } else {
            return 1;
        }
        int length = 1;
        for (int i = 1; i <= needed && start + i < end; i++) {
            int b = bytes[start + i] & 0xFF;
            int low = i == 1 ? secondLow : 0x80;
            int high = i == 1 ? secondHigh : 0xBF;
            if (b < low || b > high) {
                break;
            }
            length++;
        }
        return length;
    }

    /** Invalid UTF-8 sequences replaced by U+FFFD so far. */
    public long invalidSequences() {
        return invalidSequences;
    }
}
