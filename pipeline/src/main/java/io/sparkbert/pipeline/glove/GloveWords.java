package io.sparkbert.pipeline.glove;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * GloVe's own tokenization ({@code get_word} of vocab_count.c and cooccur.c), byte for byte: words are
 * separated by spaces and tabs, a newline ends the line (and the context window), carriage returns are
 * ignored wherever they are, nothing is lowercased or split off, and a word longer than 999 bytes is
 * cut there without splitting a UTF-8 character.
 *
 * <p>Words are kept as their raw bytes, one {@code char} per byte (ISO-8859-1), so that invalid UTF-8
 * behaves exactly as in the C tools and a word's bytes are written back unchanged; {@link #toUtf8}
 * turns such a word into text for people.
 */
public final class GloveWords {
    /** GloVe's MAX_STRING_LENGTH − 1: the longest word kept, in bytes. */
    public static final int MAX_WORD_BYTES = 999;

    private GloveWords() {
    }

    /** Appends the words of one line (its bytes without the newline) to {@code out}. */
    public static void split(byte[] line, int length, List<String> out) {
        byte[] word = new byte[MAX_WORD_BYTES];
        int n = 0;
        boolean inWord = false;
        for (int i = 0; i <= length; i++) {
            byte b = i < length ? line[i] : (byte) ' ';
            if (b == '\r') {
                continue;
            }
            if (b == ' ' || b == '\t') {
                if (inWord) {
                    out.add(finish(word, n));
                    n = 0;
                    inWord = false;
                }
                continue;
            }
            inWord = true;
            if (n < MAX_WORD_BYTES) {
                word[n++] = b;
            }
        }
    }

    /** Receives words as byte ranges. */
    @FunctionalInterface
    public interface WordVisitor {
        void word(byte[] bytes, int offset, int length);
    }

    /**
     * The same words as {@link #split}, handed over as ranges of {@code line} without copying when the
     * line has no carriage return and no word near the 999-byte cut (nearly always); otherwise through
     * {@link #split}, byte-identical either way.
     */
    public static void forEachWord(byte[] line, int length, WordVisitor visitor) {
        int run = 0;
        boolean simple = true;
        for (int i = 0; i < length; i++) {
            byte b = line[i];
            if (b == ' ' || b == '\t') {
                run = 0;
            } else if (b == '\r' || ++run >= MAX_WORD_BYTES - 3) {
                simple = false;
                break;
            }
        }
        if (!simple) {
            List<String> words = new java.util.ArrayList<>();
            split(line, length, words);
            for (String word : words) {
                byte[] bytes = word.getBytes(StandardCharsets.ISO_8859_1);
                visitor.word(bytes, 0, bytes.length);
            }
            return;
        }
        int start = -1;
        for (int i = 0; i < length; i++) {
            byte b = line[i];
            if (b == ' ' || b == '\t') {
                if (start >= 0) {
                    visitor.word(line, start, i - start);
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
        }
        if (start >= 0) {
            visitor.word(line, start, length - start);
        }
    }

    /** GloVe's care at the cut: drop a trailing partial UTF-8 character of a word cut at 999 bytes. */
    private static String finish(byte[] word, int n) {
        int length = n;
        if (n == MAX_WORD_BYTES && (word[n - 1] & 0x80) == 0x80) {
            if ((word[n - 1] & 0xC0) == 0xC0) {
                length = n - 1;
            } else if (n > 2 && (word[n - 2] & 0xE0) == 0xE0) {
                length = n - 2;
            } else if (n > 3 && (word[n - 3] & 0xF8) == 0xF0) {
                length = n - 3;
            }
        }
        return new String(word, 0, length, StandardCharsets.ISO_8859_1);
    }

    /** A byte-string word (as produced here) as readable text. */
    public static String toUtf8(String word) {
        return new String(word.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    /** Text (for example a wordpiece) as a byte-string word: its UTF-8 bytes, one char per byte. */
    public static String fromUtf8(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    /**
     * GloVe's {@code scmp}: byte-wise comparison with C's signed {@code char} on x86, so bytes of 0x80 and
     * above sort before ASCII, and a word that is a prefix of another is compared through the other's next
     * byte against the terminating 0.
     */
    public static int compareBytes(String a, String b) {
        int i = 0;
        while (true) {
            int ca = i < a.length() ? (byte) a.charAt(i) : 0;
            int cb = i < b.length() ? (byte) b.charAt(i) : 0;
            if (ca != cb || ca == 0) {
                return ca - cb;
            }
            i++;
        }
    }
}
