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
            in.position(in.position() + result.length());
        }
        chars.flip();
        return chars.toString();
    }

    /** Invalid UTF-8 sequences replaced by U+FFFD so far. */
    public long invalidSequences() {
        return invalidSequences;
    }
}
