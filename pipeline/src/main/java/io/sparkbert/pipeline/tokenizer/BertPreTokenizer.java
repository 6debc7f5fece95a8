package io.sparkbert.pipeline.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Stage 2 of the tokenizer (docs/design.md §2): split normalised text into words on
 * whitespace, and split off every punctuation character as a word of its own.
 * Words are reported as [start, end) char ranges of the input, so nothing is copied.
 */
public final class BertPreTokenizer implements PreTokenizer {
    private static final long serialVersionUID = 1L;

    @Override
    public void split(CharSequence text, WordSink sink) {
        int length = text.length();
        int wordStart = -1;
        for (int i = 0; i < length; ) {
            int c = text.charAt(i);
            int width = 1;
            if (Character.isHighSurrogate((char) c) && i + 1 < length) {
                c = Character.codePointAt(text, i);
                width = Character.charCount(c);
            }
            if (UnicodeRules.isWhitespace(c)) {
                if (wordStart >= 0) {
                    sink.word(text, wordStart, i);
                    wordStart = -1;
                }
            } else if (UnicodeRules.isPunctuation(c)) {
                if (wordStart >= 0) {
                    sink.word(text, wordStart, i);
                    wordStart = -1;
                }
                sink.word(text, i, i + width);
            } else if (wordStart < 0) {
                wordStart = i;
            }
            i += width;
        }
        if (wordStart >= 0) {
            sink.word(text, wordStart, length);
        }
    }

    /** Convenience form for tests and inspection. */
    public List<String> split(CharSequence text) {
        List<String> words = new ArrayList<>();
        split(text, (t, start, end) -> words.add(t.subSequence(start, end).toString()));
        return words;
    }
}
