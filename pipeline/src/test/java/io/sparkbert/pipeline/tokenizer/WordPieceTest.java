package io.sparkbert.pipeline.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WordPieceTest {
    private static Vocab vocab(String... tokens) {
        List<String> all = new ArrayList<>(Vocab.SPECIAL_TOKENS);
        all.addAll(List.of(tokens));
        return Vocab.of(all);
    }

    @Test
    void greedyLongestMatchFirst() {
        // The example of Google's tokenization.py docstring
        Vocab vocab = vocab("un", "##aff", "##able", "u", "##n", "##a", "##f");
        WordPiece wordPiece = new WordPiece(vocab);
        assertEquals(List.of("un", "##aff", "##able"), wordPiece.pieces("unaffable", vocab));
    }

    @Test
    void continuationPiecesNeedTheirPrefix() {
        // HuggingFace's own unit test: "banana" = ba ##na ##na; "nanana" has no word-initial piece
        Vocab vocab = vocab("##na", "ba");
        WordPiece wordPiece = new WordPiece(vocab);
        assertEquals(List.of("ba", "##na", "##na"), wordPiece.pieces("banana", vocab));
        assertEquals(List.of(Vocab.UNK), wordPiece.pieces("nanana", vocab));
    }

    @Test
    void aWordWithoutACompleteSegmentationIsOneUnknown() {
        Vocab vocab = vocab("ab", "##c");
        WordPiece wordPiece = new WordPiece(vocab);
        // "ab" matches, "##d" does not: the whole word becomes [UNK], no partial pieces remain
        assertArrayEquals(new int[] {vocab.unkId()}, wordPiece.encode("abd"));
        assertEquals(List.of("ab", "##c"), wordPiece.pieces("abc", vocab));
    }

    @Test
    void longestMatchIsNotTheFirstMatch() {
        // "a" matches first but "abc" is longer; the walk must remember the last complete token
        Vocab vocab = vocab("a", "abc", "##d", "##bcd");
        WordPiece wordPiece = new WordPiece(vocab);
        assertEquals(List.of("abc", "##d"), wordPiece.pieces("abcd", vocab));
    }

    @Test
    void wordsLongerThanTheLimitAreUnknown() {
        Vocab vocab = vocab("a", "##a", "😀", "##😀");
        WordPiece wordPiece = new WordPiece(vocab);
        assertEquals(100, wordPiece.encode("a".repeat(100)).length);
        assertArrayEquals(new int[] {vocab.unkId()}, wordPiece.encode("a".repeat(101)));
        // the limit counts code points, not UTF-16 units: 100 emoji are 200 chars but allowed
        assertEquals(100, wordPiece.encode("😀".repeat(100)).length);
        assertArrayEquals(new int[] {vocab.unkId()}, wordPiece.encode("😀".repeat(101)));
        assertEquals(List.of(Vocab.UNK), new WordPiece(vocab, 3).pieces("aaaa", vocab));
        assertThrows(IllegalArgumentException.class, () -> new WordPiece(vocab, 0));
    }

    @Test
    void encodesARangeOfALargerText() {
        Vocab vocab = vocab("hug", "##s");
        IntList out = new IntList();
        new WordPiece(vocab).encode("xx hugs yy", 3, 7, out);
        assertArrayEquals(new int[] {vocab.id("hug"), vocab.id("##s")}, out.toArray());
    }
}
