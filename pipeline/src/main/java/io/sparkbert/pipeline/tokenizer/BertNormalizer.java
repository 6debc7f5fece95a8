package io.sparkbert.pipeline.tokenizer;

import java.text.Normalizer;

/**
 * Stage 1 of the tokenizer (docs/design.md §2): clean the text, space out CJK ideographs, and
 * for uncased models strip accents and lowercase.
 *
 * <p>The order is HuggingFace's BertNormalizer: clean, CJK spacing, NFD + drop non-spacing marks,
 * lowercase (one code point at a time, without Greek final-sigma context, as HuggingFace does).
 * ASCII text, by far the common case, takes a fast path with no Unicode normalisation.
 */
public final class BertNormalizer implements TextNormalizer {
    private static final long serialVersionUID = 1L;

    private final boolean uncased;

    public BertNormalizer(boolean uncased) {
        this.uncased = uncased;
    }

    public boolean uncased() {
        return uncased;
    }

    /** Convenience form for tests and inspection. */
    public String normalize(CharSequence text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        normalize(text, out);
        return out.toString();
    }

    @Override
    public void normalize(CharSequence text, StringBuilder out) {
        out.setLength(0);
        boolean sawNonAscii = false;
        int length = text.length();
        for (int i = 0; i < length; i++) {
            char ch = text.charAt(i);
            if (ch < 0x80) {
                if (ch >= 0x20 && ch != 0x7F) {
                    out.append(uncased && ch >= 'A' && ch <= 'Z' ? (char) (ch + ('a' - 'A')) : ch);
                } else if (ch == '\t' || ch == '\n' || ch == '\r') {
                    out.append(' ');
                }
                // every other C0 control character (and DEL) is dropped
                continue;
            }
            sawNonAscii = true;
            int c = ch;
            if (Character.isHighSurrogate(ch) && i + 1 < length && Character.isLowSurrogate(text.charAt(i + 1))) {
                c = Character.toCodePoint(ch, text.charAt(++i));
            }
            if (c == 0xFFFD || UnicodeRules.isControl(c)) {
                continue;
            }
            if (UnicodeRules.isWhitespace(c)) {
                out.append(' ');
            } else if (UnicodeRules.isChineseChar(c)) {
                out.append(' ').appendCodePoint(c).append(' ');
            } else {
                out.appendCodePoint(c);
            }
        }
        if (uncased && sawNonAscii) {
            stripAccentsAndLowercase(out);
        }
    }

    private static void stripAccentsAndLowercase(StringBuilder out) {
        String decomposed = Normalizer.normalize(out, Normalizer.Form.NFD);
        out.setLength(0);
        for (int i = 0; i < decomposed.length(); ) {
            int c = decomposed.codePointAt(i);
            i += Character.charCount(c);
            if (!UnicodeRules.isNonSpacingMark(c)) {
                out.appendCodePoint(Character.toLowerCase(c));
            }
        }
    }
}
