package io.sparkbert.pipeline.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class BertPreTokenizerTest {
    private final BertPreTokenizer preTokenizer = new BertPreTokenizer();

    @Test
    void splitsOnWhitespaceAndIsolatesPunctuation() {
        assertEquals(List.of("Hey", "friend", "!", "How", "are", "you", "?", "!", "?"),
                preTokenizer.split("Hey friend!     How are you?!?"));
    }

    @Test
    void asciiSymbolsCountAsPunctuation() {
        // $ + < = > ^ ` | ~ are symbols in Unicode but punctuation in BERT's ASCII ranges
        assertEquals(List.of("$", "5", ".", "00", "+", "x", "=", "y", "^", "2", "|", "~", "`"),
                preTokenizer.split("$5.00+x=y^2|~`"));
    }

    @Test
    void unicodePunctuationSplitsButSymbolsDoNot() {
        assertEquals(List.of("“", "hi", "”", "—", "ok", "…"), preTokenizer.split("“hi”—ok…"));
        // € (Sc) and ° (So) are not punctuation: they stay inside the word
        assertEquals(List.of("5€", "and", "20°"), preTokenizer.split("5€ and 20°"));
    }

    @Test
    void supplementaryCharactersStayWhole() {
        String emoji = new String(Character.toChars(0x1F600));
        assertEquals(List.of("a" + emoji + "b", "!"), preTokenizer.split("a" + emoji + "b!"));
    }

    @Test
    void emptyAndBlankTextGiveNoWords() {
        assertEquals(List.of(), preTokenizer.split(""));
        assertEquals(List.of(), preTokenizer.split("  \u3000 "));
    }
}
