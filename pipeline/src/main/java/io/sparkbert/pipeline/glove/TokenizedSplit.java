package io.sparkbert.pipeline.glove;

import io.sparkbert.pipeline.text.LenientUtf8Decoder;
import io.sparkbert.pipeline.tokenizer.IntList;
import java.util.Arrays;
import java.util.Iterator;
import org.apache.hadoop.io.Text;

/**
 * One input split read and split into words once, for both passes of {@link CooccurrenceJob}: the
 * split's distinct words with their counts (a {@link WordTable}, whose index is the word's local
 * index), its tokens as local indexes, line by line, and its input statistics. The vocabulary pass
 * reads the counts; the pair pass maps each local index to a vocabulary id once ({@link #toIds}) and
 * then works on ints only, without looking up a word's bytes per token again.
 *
 * <p>Kept in memory between the passes (Spark's MEMORY_ONLY cache, as objects): 4 bytes a token and
 * 4 a line, plus the split's distinct words. GloVe's {@code <unk>} is left out here (it takes no
 * position in either tool) and counted in {@link #stats}.
 */
public final class TokenizedSplit {
    /** Indexes of {@link #stats}. */
    static final int LINES = 0;
    static final int TOKENS = 1;
    static final int UNK = 2;
    static final int INVALID_UTF8_LINES = 3;
    static final int TRUNCATED = 4;
    static final int STATS = 5;

    private final WordTable words;
    private final int[] tokens;
    /** Line i holds tokens[lineEnds[i - 1] .. lineEnds[i]) (lines without a word are not kept). */
    private final int[] lineEnds;
    private final long[] stats;

    private TokenizedSplit(WordTable words, int[] tokens, int[] lineEnds, long[] stats) {
        this.words = words;
        this.tokens = tokens;
        this.lineEnds = lineEnds;
        this.stats = stats;
    }

    /** Reads a split's lines into words (GloVe's, or wordpieces, as {@code splitter} says). */
    static TokenizedSplit read(Iterator<Text> lines, CooccurrenceJob.LineWords splitter) {
        WordTable words = new WordTable();
        LenientUtf8Decoder decoder = new LenientUtf8Decoder();
        IntList scratch = new IntList();
        long[] stats = new long[STATS];
        int[][] tokens = {new int[1 << 16]};
        int[] size = {0};
        GloveWords.WordVisitor visitor = (bytes, offset, length) -> {
            if (CooccurrenceJob.isUnk(bytes, offset, length)) {
                stats[UNK]++;
                return;
            }
            if (length == GloveWords.MAX_WORD_BYTES) {
                stats[TRUNCATED]++;
            }
            stats[TOKENS]++;
            if (size[0] == tokens[0].length) {
                tokens[0] = Arrays.copyOf(tokens[0], grow(size[0]));
            }
            tokens[0][size[0]++] = words.add(bytes, offset, length, 1);
        };
        int[] lineEnds = new int[1 << 12];
        int lineCount = 0;
        while (lines.hasNext()) {
            Text line = lines.next();
            stats[LINES]++;
            int before = size[0];
            if (!splitter.words(line, visitor, decoder, scratch, true)) {
                stats[INVALID_UTF8_LINES]++;
            }
            if (size[0] > before) {
                if (lineCount == lineEnds.length) {
                    lineEnds = Arrays.copyOf(lineEnds, grow(lineCount));
                }
                lineEnds[lineCount++] = size[0];
            }
        }
        return new TokenizedSplit(words, Arrays.copyOf(tokens[0], size[0]), Arrays.copyOf(lineEnds, lineCount),
                stats);
    }

    private static int grow(int size) {
        return (int) Math.min(Integer.MAX_VALUE - 16, Math.max(16, size + (long) size / 2));
    }

    /** The split's distinct words (index = local index) and their counts in it. */
    WordTable words() {
        return words;
    }

    /** lines, tokens, unk, invalid UTF-8 lines, words truncated (see the constants). */
    long[] stats() {
        return stats.clone();
    }

    /**
     * Each local word's vocabulary id (1-based), or 0 when it is out of the vocabulary; {@code vocabulary}
     * holds the vocabulary in id order (index + 1 = id).
     */
    int[] toIds(WordTable vocabulary) {
        int[] ids = new int[words.size()];
        byte[] buffer = new byte[GloveWords.MAX_WORD_BYTES * 4];
        for (int i = 0; i < ids.length; i++) {
            int length = words.length(i);
            if (length > buffer.length) {
                buffer = new byte[length];
            }
            words.copyWord(i, buffer, 0);
            ids[i] = vocabulary.find(buffer, 0, length) + 1;
        }
        return ids;
    }

    /** The split's tokens (in and out of the vocabulary, GloVe's {@code <unk>} left out). */
    int tokenCount() {
        return tokens.length;
    }

    /** Lines that hold at least one word. */
    int lines() {
        return lineEnds.length;
    }

    /**
     * Hands line {@code index}'s in-vocabulary ids, in order, to {@code window} (out-of-vocabulary words take no
     * position); {@code scratch} holds them and is returned, grown if it had to be.
     */
    int[] countLine(int index, int[] ids, CooccurrenceWindow window, CooccurrenceWindow.PairSink sink, int[] scratch) {
        int start = index == 0 ? 0 : lineEnds[index - 1];
        int end = lineEnds[index];
        int[] line = end - start > scratch.length ? new int[end - start] : scratch;
        int n = 0;
        for (int t = start; t < end; t++) {
            int id = ids[tokens[t]];
            if (id != 0) {
                line[n++] = id;
            }
        }
        window.countOneWay(line, n, sink);
        return line;
    }
}
