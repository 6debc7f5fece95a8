package io.sparkbert.pipeline.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabTest {
    @TempDir
    Path dir;

    private Path write(String content) throws IOException {
        Path file = dir.resolve("vocab.txt");
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void idsAreLineNumbers() throws Exception {
        Path file = write("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n##s  \n");
        Vocab vocab = Vocab.load(file);
        assertEquals(7, vocab.size());
        assertEquals(0, vocab.padId());
        assertEquals(1, vocab.unkId());
        assertEquals(4, vocab.maskId());
        assertEquals(5, vocab.id("the"));
        assertEquals(6, vocab.id("##s"), "trailing whitespace of an entry is ignored");
        assertEquals(-1, vocab.id("missing"));
        assertTrue(vocab.isSpecial(2));
        byte[] bytes = Files.readAllBytes(file);
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)), vocab.sha256());
    }

    /** Issue 16: a vocab.txt saved with a UTF-8 byte order mark failed with "lacks [[PAD]]". */
    @Test
    void aUtf8ByteOrderMarkIsNoToken() throws Exception {
        Vocab vocab = Vocab.load(write("\uFEFF[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n"));
        assertEquals(0, vocab.padId());
        assertEquals(6, vocab.size());
    }

    @Test
    void writtenVocabReloadsWithTheSameHash() throws Exception {
        Vocab vocab = Vocab.load(write("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nwort\n"));
        Path copy = dir.resolve("copy.txt");
        vocab.write(copy);
        assertEquals(vocab.tokens(), Vocab.load(copy).tokens());
        assertEquals(vocab.sha256(), Vocab.load(copy).sha256());
        assertEquals(vocab.sha256(), Vocab.of(vocab.tokens()).sha256());
    }

    @Test
    void clearErrors() throws Exception {
        InvalidVocabException missing = assertThrows(InvalidVocabException.class,
                () -> Vocab.load(dir.resolve("nope.txt")));
        assertTrue(missing.getMessage().contains("not found"), missing.getMessage());

        InvalidVocabException empty = assertThrows(InvalidVocabException.class, () -> Vocab.load(write("")));
        assertTrue(empty.getMessage().contains("is empty"), empty.getMessage());

        InvalidVocabException duplicate = assertThrows(InvalidVocabException.class,
                () -> Vocab.load(write("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\na\nthe\n")));
        assertTrue(duplicate.getMessage().contains("'the' twice, at lines 6 and 8"), duplicate.getMessage());

        InvalidVocabException specials = assertThrows(InvalidVocabException.class,
                () -> Vocab.load(write("[PAD]\n[UNK]\nthe\n")));
        assertTrue(specials.getMessage().contains("[[CLS], [SEP], [MASK]]"), specials.getMessage());

        InvalidVocabException blank = assertThrows(InvalidVocabException.class,
                () -> Vocab.load(write("[PAD]\n[UNK]\n\n[CLS]\n[SEP]\n[MASK]\n")));
        assertTrue(blank.getMessage().contains("empty entry at line 3"), blank.getMessage());
    }
}
