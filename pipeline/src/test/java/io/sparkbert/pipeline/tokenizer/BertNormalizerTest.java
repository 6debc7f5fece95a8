package io.sparkbert.pipeline.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class BertNormalizerTest {
    private final BertNormalizer uncased = new BertNormalizer(true);
    private final BertNormalizer cased = new BertNormalizer(false);

    @Test
    void lowercasesAndStripsAccentsOnlyWhenUncased() {
        assertEquals("hello world", uncased.normalize("HéLLo WÖrld"));
        assertEquals("HéLLo WÖrld", cased.normalize("HéLLo WÖrld"));
        // NFD splits the precomposed letter; the combining mark (Mn) is dropped
        assertEquals("creme brulee", uncased.normalize("Crème Brûlée"));
        assertEquals("e", uncased.normalize("e\u0301"));
    }

    @Test
    void dotlessAndDottedTurkishI() {
        // U+0130 decomposes to I + U+0307 (dropped), then lowercases; U+0131 has no decomposition
        assertEquals("istanbul", uncased.normalize("\u0130stanbul"));
        assertEquals("\u0131", uncased.normalize("\u0131"));
    }

    @Test
    void lowercasesOneCodePointAtATimeWithoutFinalSigma() {
        // String.toLowerCase would give a final sigma (ς) at the end of the word; HuggingFace does not
        assertEquals("σοσ", uncased.normalize("ΣΟΣ"));
    }

    @Test
    void removesControlAndFormatCharactersAndMapsWhitespaceToSpace() {
        assertEquals("a b c d", cased.normalize("a\tb\nc\rd"));
        assertEquals("ab", cased.normalize("a\u0000\u0007\u001B\u007F\u0085\u200B\u00AD\uFEFF\uFFFD\uE000b"));
        assertEquals("a b c d e", cased.normalize("a\u00A0b\u2028c\u3000d\u202Fe"));
        // vertical tab and form feed are Cc: removed, not mapped to a space
        assertEquals("ab", cased.normalize("a\u000B\u000Cb"));
    }

    @Test
    void keepsUnassignedCodePoints() {
        assertEquals("a\u0378b", cased.normalize("a\u0378b"));
    }

    @Test
    void spacesOutCjkIdeographsButNotKanaOrHangul() {
        assertEquals(" 中  文 ab", cased.normalize("中文ab"));
        assertEquals("ひらがな 한국", cased.normalize("ひらがな 한국"));
        String extensionB = new String(Character.toChars(0x20000));
        assertEquals("x " + extensionB + " y", cased.normalize("x" + extensionB + "y"));
        // compatibility ideograph: spaced, and NFD maps it to its unified twin when uncased
        assertEquals(" \u8C48 ", uncased.normalize("\uF900"));
    }

    @Test
    void asciiFastPathAndGeneralPathAgree() {
        // The same ASCII text must normalise identically whether or not a non-ASCII char forces NFD
        String ascii = "The Quick, BROWN fox! 123";
        assertEquals(uncased.normalize(ascii) + " e", uncased.normalize(ascii + " É"));
    }
}
