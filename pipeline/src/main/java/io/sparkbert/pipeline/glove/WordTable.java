package io.sparkbert.pipeline.glove;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Words as raw bytes, looked up without making a String per token: an open-addressing table from a
 * word's bytes to a dense index (0, 1, 2, … in insertion order) and a count per index. Used to count
 * the words of a task (pass 1) and to map a line's words to vocabulary ids (pass 2, where index + 1
 * is the GloVe id because the vocabulary is inserted in id order).
 */
public final class WordTable {
    private byte[] arena = new byte[1 << 16];
    private int arenaSize;
    private int[] offsets = new int[1024];
    private int[] lengths = new int[1024];
    private int[] hashes = new int[1024];
    private long[] counts = new long[1024];
    private long[] heads = new long[1024]; // a word's first 8 bytes: most words are compared without the arena
    private int size;
    private int[] slots = new int[2048]; // index + 1, 0 = empty
    private int mask = slots.length - 1;

    /** A table holding the words in this order: word i gets index i. */
    public static WordTable of(String[] words) {
        WordTable table = new WordTable();
        for (String word : words) {
            byte[] bytes = word.getBytes(StandardCharsets.ISO_8859_1);
            table.add(bytes, 0, bytes.length, 0);
        }
        return table;
    }

    /** The first 8 bytes of a word, packed: with the length, a word of up to 8 bytes is its head. */
    static long head(byte[] bytes, int offset, int length) {
        long head = 0;
        for (int i = 0, n = Math.min(8, length); i < n; i++) {
            head |= (bytes[offset + i] & 0xFFL) << (8 * i);
        }
        return head;
    }

    static int hash(byte[] bytes, int offset, int length) {
        int h = 0x811C9DC5;
        for (int i = offset, end = offset + length; i < end; i++) {
            h = (h ^ bytes[i]) * 0x01000193;
        }
        return h ^ (h >>> 15);
    }

    /** The index of a word, or -1. */
    public int find(byte[] bytes, int offset, int length) {
        return slots[slot(bytes, offset, length, hash(bytes, offset, length), head(bytes, offset, length))] - 1;
    }

    /** The slot holding a word, or the empty slot where it would go. */
    private int slot(byte[] bytes, int offset, int length, int h, long head) {
        for (int s = h & mask; ; s = (s + 1) & mask) {
            int entry = slots[s];
            if (entry == 0) {
                return s;
            }
            int index = entry - 1;
            if (hashes[index] == h && heads[index] == head && equal(index, bytes, offset, length)) {
                return s;
            }
        }
    }

    /** Adds {@code count} to a word's count, inserting it if new; returns its index. */
    public int add(byte[] bytes, int offset, int length, long count) {
        int h = hash(bytes, offset, length);
        long head = head(bytes, offset, length);
        int s = slot(bytes, offset, length, h, head);
        if (slots[s] != 0) {
            counts[slots[s] - 1] += count;
            return slots[s] - 1;
        }
        int index = size++;
        if (index == offsets.length) {
            int grown = index * 2;
            offsets = Arrays.copyOf(offsets, grown);
            lengths = Arrays.copyOf(lengths, grown);
            hashes = Arrays.copyOf(hashes, grown);
            counts = Arrays.copyOf(counts, grown);
            heads = Arrays.copyOf(heads, grown);
        }
        if (arenaSize + length > arena.length) {
            arena = Arrays.copyOf(arena, Math.max(arena.length * 2, arenaSize + length));
        }
        System.arraycopy(bytes, offset, arena, arenaSize, length);
        offsets[index] = arenaSize;
        lengths[index] = length;
        hashes[index] = h;
        counts[index] = count;
        heads[index] = head;
        arenaSize += length;
        slots[s] = index + 1;
        if (size * 2 > slots.length) {
            rehash();
        }
        return index;
    }

    /** Equality once hash and head (the first 8 bytes) match: only longer words need the arena. */
    private boolean equal(int index, byte[] bytes, int offset, int length) {
        if (lengths[index] != length) {
            return false;
        }
        if (length <= 8) {
            return true;
        }
        int start = offsets[index];
        if (length > 24) {
            return Arrays.equals(arena, start, start + length, bytes, offset, offset + length);
        }
        for (int i = 0; i < length; i++) { // words are short: a plain loop beats the vectorised mismatch
            if (arena[start + i] != bytes[offset + i]) {
                return false;
            }
        }
        return true;
    }

    private void rehash() {
        slots = new int[slots.length * 2];
        mask = slots.length - 1;
        for (int index = 0; index < size; index++) {
            int s = hashes[index] & mask;
            while (slots[s] != 0) {
                s = (s + 1) & mask;
            }
            slots[s] = index + 1;
        }
    }

    public int size() {
        return size;
    }

    public long count(int index) {
        return counts[index];
    }

    int hash(int index) {
        return hashes[index];
    }

    int length(int index) {
        return lengths[index];
    }

    /** Copies a word's bytes into {@code target} at {@code position}; returns the position after them. */
    int copyWord(int index, byte[] target, int position) {
        System.arraycopy(arena, offsets[index], target, position, lengths[index]);
        return position + lengths[index];
    }

    /** The word of an index as a byte string (one char per byte, as {@link GloveWords} keeps words). */
    public String word(int index) {
        return new String(arena, offsets[index], lengths[index], StandardCharsets.ISO_8859_1);
    }
}
