package io.sparkbert.pipeline.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Stage 3 of the tokenizer (docs/design.md §2): greedy longest-match-first WordPiece.
 *
 * <p>A word is cut into the longest vocabulary entry that starts it, then repeatedly into the
 * longest {@code ##}-continuation that starts the rest. A word with no complete segmentation, or
 * longer than {@code maxInputCharsPerWord} code points, becomes a single {@code [UNK]}.
 *
 * <p>The longest match is found by walking a character trie of the vocabulary (one trie for
 * word-initial pieces, one for continuations stored without their {@code ##}), which visits each
 * character once per piece instead of probing every prefix with a substring. Trie edges live in
 * one open-addressing hash table keyed by (node, char), so a step costs one probe and no allocation.
 */
public final class WordPiece implements SubwordModel {
    private static final long serialVersionUID = 1L;

    /** HuggingFace's default; Google's tokenization.py uses 200. */
    public static final int DEFAULT_MAX_INPUT_CHARS_PER_WORD = 100;

    private static final int WORD_ROOT = 0;
    private static final int CONTINUATION_ROOT = 1;
    private static final long EMPTY = -1L;

    private final int unkId;
    private final int maxInputCharsPerWord;

    /** tokenIdAt[node]: the vocabulary id of the piece ending at this node, or -1. */
    private int[] tokenIdAt;
    private int nodeCount;
    /** Edges: key (parent node << 16 | char) to child node, linear probing. */
    private long[] edgeKeys;
    private int[] edgeChildren;
    private int edgeMask;

    public WordPiece(Vocab vocab) {
        this(vocab, DEFAULT_MAX_INPUT_CHARS_PER_WORD);
    }

    public WordPiece(Vocab vocab, int maxInputCharsPerWord) {
        if (maxInputCharsPerWord < 1) {
            throw new IllegalArgumentException("maxInputCharsPerWord must be positive: " + maxInputCharsPerWord);
        }
        this.unkId = vocab.unkId();
        this.maxInputCharsPerWord = maxInputCharsPerWord;
        int totalChars = 2;
        for (String token : vocab.tokens()) {
            totalChars += token.length();
        }
        tokenIdAt = new int[totalChars];
        Arrays.fill(tokenIdAt, -1);
        nodeCount = 2;
        int capacity = Integer.highestOneBit(Math.max(16, totalChars * 2)) << 1;
        edgeKeys = new long[capacity];
        Arrays.fill(edgeKeys, EMPTY);
        edgeChildren = new int[capacity];
        edgeMask = capacity - 1;
        List<String> tokens = vocab.tokens();
        for (int id = 0; id < tokens.size(); id++) {
            String token = tokens.get(id);
            if (token.startsWith(Vocab.CONTINUATION_PREFIX) && token.length() > Vocab.CONTINUATION_PREFIX.length()) {
                insert(CONTINUATION_ROOT, token, Vocab.CONTINUATION_PREFIX.length(), id);
            } else {
                insert(WORD_ROOT, token, 0, id);
            }
        }
    }

    private void insert(int root, String token, int from, int id) {
        int node = root;
        for (int i = from; i < token.length(); i++) {
            char ch = token.charAt(i);
            int child = child(node, ch);
            if (child < 0) {
                child = nodeCount++;
                putEdge(node, ch, child);
            }
            node = child;
        }
        tokenIdAt[node] = id;
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    private void putEdge(int node, char ch, int child) {
        long key = ((long) node << 16) | ch;
        int i = slot(key, edgeMask);
        while (edgeKeys[i] != EMPTY) {
            i = (i + 1) & edgeMask;
        }
        edgeKeys[i] = key;
        edgeChildren[i] = child;
    }

    private int child(int node, char ch) {
        long key = ((long) node << 16) | ch;
        long[] keys = edgeKeys;
        int mask = edgeMask;
        int i = slot(key, mask);
        while (true) {
            long k = keys[i];
            if (k == key) {
                return edgeChildren[i];
            }
            if (k == EMPTY) {
                return -1;
            }
            i = (i + 1) & mask;
        }
    }

    @Override
    public void encode(CharSequence text, int start, int end, IntList out) {
        if (Character.codePointCount(text, start, end) > maxInputCharsPerWord) {
            out.add(unkId);
            return;
        }
        int firstPiece = out.size();
        int root = WORD_ROOT;
        int pos = start;
        while (pos < end) {
            int node = root;
            int matchedId = -1;
            int matchedEnd = -1;
            for (int i = pos; i < end; i++) {
                node = child(node, text.charAt(i));
                if (node < 0) {
                    break;
                }
                int id = tokenIdAt[node];
                if (id >= 0) {
                    matchedId = id;
                    matchedEnd = i + 1;
                }
            }
            if (matchedId < 0) {
                out.truncate(firstPiece);
                out.add(unkId);
                return;
            }
            out.add(matchedId);
            pos = matchedEnd;
            root = CONTINUATION_ROOT;
        }
    }

    /** Convenience form for tests: the ids of one word. */
    public int[] encode(String word) {
        IntList out = new IntList();
        encode(word, 0, word.length(), out);
        return out.toArray();
    }

    public int maxInputCharsPerWord() {
        return maxInputCharsPerWord;
    }

    /** The pieces of one word as strings, for inspection. */
    public List<String> pieces(String word, Vocab vocab) {
        List<String> pieces = new ArrayList<>();
        for (int id : encode(word)) {
            pieces.add(vocab.token(id));
        }
        return pieces;
    }
}
