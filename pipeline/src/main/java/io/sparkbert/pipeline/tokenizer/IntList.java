package io.sparkbert.pipeline.tokenizer;

import java.util.Arrays;

/** A growable int array: the tokenizer appends ids here without boxing. */
public final class IntList {
    private int[] values;
    private int size;

    public IntList() {
        this(64);
    }

    public IntList(int capacity) {
        values = new int[Math.max(4, capacity)];
    }

    public void add(int value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, values.length * 2);
        }
        values[size++] = value;
    }

    public int get(int index) {
        if (index >= size) {
            throw new IndexOutOfBoundsException(index + " >= " + size);
        }
        return values[index];
    }

    public int size() {
        return size;
    }

    public void clear() {
        size = 0;
    }

    /** Drops everything after the first {@code newSize} values. */
    public void truncate(int newSize) {
        if (newSize < 0 || newSize > size) {
            throw new IndexOutOfBoundsException(newSize + " not in [0, " + size + "]");
        }
        size = newSize;
    }

    public int[] toArray() {
        return Arrays.copyOf(values, size);
    }

    @Override
    public String toString() {
        return Arrays.toString(toArray());
    }
}
