package io.sparkbert.pipeline.glove;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** GloVe's get_word rules, worked out by hand from vocab_count.c. */
class GloveWordsTest {
    private static List<String> split(String line) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        List<String> words = new ArrayList<>();
        GloveWords.split(bytes, bytes.length, words);
        return words.stream().map(GloveWords::toUtf8).toList();
    }

    @Test
    void spacesAndTabsSeparateNothingElseDoes() {
        assertEquals(List.of("Hello,", "World!", "it's", "a-b"), split("  Hello,\tWorld!   it's a-b "));
        // case-sensitive, punctuation attached, other whitespace (no-break space) is part of a word
        assertEquals(List.of("The", "the", "x\u00A0y"), split("The the x\u00A0y"));
        assertEquals(List.of(), split(" \t "));
    }

    @Test
    void carriageReturnsAreIgnoredEvenInsideWords() {
        assertEquals(List.of("ab", "cd"), split("a\rb cd\r"));
    }

    @Test
    void wordsAreCutAt999BytesWithoutSplittingAUtf8Character() {
        assertEquals(List.of("x".repeat(999)), split("x".repeat(1500)));
        // 998 ASCII bytes then 'é' (2 bytes): the 999th byte is é's lead byte (11xxxxxx), so it is dropped
        assertEquals(List.of("x".repeat(998)), split("x".repeat(998) + "é" + "yyy"));
        // 997 ASCII bytes then é: both bytes fit, nothing is cut
        assertEquals(List.of("x".repeat(997) + "é"), split("x".repeat(997) + "é" + "yyy"));
        // 997 ASCII bytes then '€' (3 bytes): the cut leaves a lead byte (1110xxxx) and one continuation
        assertEquals(List.of("x".repeat(997)), split("x".repeat(997) + "€"));
    }

    @Test
    void comparisonIsCsSignedCharScmp() {
        // bytes >= 0x80 are negative as signed chars: "é" (0xC3 0xA9) sorts before "a"
        assertTrue(GloveWords.compareBytes(GloveWords.fromUtf8("é"), "a") < 0);
        assertTrue(GloveWords.compareBytes("B", "a") < 0); // 'B' 66 < 'a' 97
        assertTrue(GloveWords.compareBytes("ab", "abc") < 0); // terminator 0 < 'c'
        // but the terminator 0 is greater than a negative byte: "ab" sorts after "abé"
        assertTrue(GloveWords.compareBytes("ab", GloveWords.fromUtf8("abé")) > 0);
        assertEquals(0, GloveWords.compareBytes("same", "same"));
    }
}
