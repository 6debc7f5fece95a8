package io.sparkbert.pipeline.glove;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reduce side of one output range: adds up the partial sums that the map tasks sent, in bounded
 * memory, and hands over each pair once, in key order. Records are collected in a buffer; when it is
 * full it is radix-sorted and combined, and if that does not free enough of it the sorted run is
 * spilled to a local file. At the end the buffer is sorted and combined once more; with spilled runs,
 * all runs are merged (a heap over the files, as cooccur.c merges its overflow files), adding up equal
 * keys across runs. Sums are exact integers, so the result does not depend on how records arrived.
 */
public final class RangeMerger {
    private static final Logger LOG = LoggerFactory.getLogger(RangeMerger.class);

    /** Receives the final records. */
    @FunctionalInterface
    public interface Sink {
        void pair(long key, long units) throws IOException;
    }

    private final long base;
    private final int keyBits;
    private final int capacity;
    private long[] keys;
    private long[] units;
    private long[] scratchKeys;
    private long[] scratchUnits;
    private final Supplier<File> spillFiles;
    private final List<File> runs = new ArrayList<>();
    private int size;

    /**
     * @param base the smallest key of the range (subtracted so that fewer key bits need sorting)
     * @param maxKey the largest possible key
     * @param capacity records held in memory
     */
    public RangeMerger(long base, long maxKey, int capacity, Supplier<File> spillFiles) {
        this.base = base;
        this.keyBits = 64 - Long.numberOfLeadingZeros(Math.max(1, maxKey - base));
        this.capacity = capacity;
        int initial = Math.min(capacity, 1 << 20); // grown on demand up to the capacity
        this.keys = new long[initial];
        this.units = new long[initial];
        this.scratchKeys = new long[initial];
        this.scratchUnits = new long[initial];
        this.spillFiles = spillFiles;
    }

    /** Adds the records of an encoded chunk. */
    public void add(byte[] chunk) {
        PairRuns.Decoder decoder = new PairRuns.Decoder(chunk);
        while (decoder.next()) {
            if (size == keys.length) {
                if (keys.length < capacity) {
                    grow();
                } else {
                    compact();
                }
            }
            keys[size] = decoder.key() - base;
            units[size++] = decoder.units();
        }
    }

    public int spilledRuns() {
        return runs.size();
    }

    private void grow() {
        int length = (int) Math.min(capacity, 2L * keys.length);
        keys = java.util.Arrays.copyOf(keys, length);
        units = java.util.Arrays.copyOf(units, length);
        scratchKeys = new long[length];
        scratchUnits = new long[length];
    }

    private void compact() {
        size = PairRuns.sortAndCombine(keys, units, size, keyBits, scratchKeys, scratchUnits);
        if (size > keys.length * 3L / 4) {
            spill();
        }
    }

    private void spill() {
        File file = spillFiles.get();
        LOG.info("Spilling a sorted run of {} pairs to disk ({})", size, file.getName());
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(file), 1 << 16))) {
            for (int i = 0; i < size; i++) {
                out.writeLong(keys[i]);
                out.writeLong(units[i]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        runs.add(file);
        size = 0;
    }

    /** Hands every pair of the range to {@code sink}, once, in key order; returns the number of pairs. */
    public long finish(Sink sink) throws IOException {
        size = PairRuns.sortAndCombine(keys, units, size, keyBits, scratchKeys, scratchUnits);
        if (runs.isEmpty()) {
            for (int i = 0; i < size; i++) {
                sink.pair(keys[i] + base, units[i]);
            }
            return size;
        }
        if (size > 0) {
            spill();
        }
        return merge(sink);
    }

    private long merge(Sink sink) throws IOException {
        int n = runs.size();
        DataInputStream[] in = new DataInputStream[n];
        long[] head = new long[n];
        long[] headUnits = new long[n];
        int[] heap = new int[n];
        int heapSize = 0;
        try {
            for (int i = 0; i < n; i++) {
                InputStream file = new BufferedInputStream(new FileInputStream(runs.get(i)), 1 << 16);
                in[i] = new DataInputStream(file);
                if (read(in[i], head, headUnits, i)) {
                    heap[heapSize++] = i;
                    siftUp(heap, heapSize - 1, head);
                }
            }
            long written = 0;
            boolean any = false;
            long current = 0;
            long sum = 0;
            while (heapSize > 0) {
                int top = heap[0];
                long key = head[top];
                if (any && key == current) {
                    sum = Math.addExact(sum, headUnits[top]);
                } else {
                    if (any) {
                        sink.pair(current + base, sum);
                        written++;
                    }
                    current = key;
                    sum = headUnits[top];
                    any = true;
                }
                if (!read(in[top], head, headUnits, top)) {
                    heap[0] = heap[--heapSize];
                }
                siftDown(heap, heapSize, head);
            }
            if (any) {
                sink.pair(current + base, sum);
                written++;
            }
            return written;
        } finally {
            for (int i = 0; i < n; i++) {
                if (in[i] != null) {
                    in[i].close();
                }
                runs.get(i).delete();
            }
            runs.clear();
        }
    }

    private static boolean read(DataInputStream in, long[] head, long[] headUnits, int i) throws IOException {
        try {
            head[i] = in.readLong();
            headUnits[i] = in.readLong();
            return true;
        } catch (EOFException e) {
            return false;
        }
    }

    private static void siftUp(int[] heap, int i, long[] head) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (head[heap[parent]] <= head[heap[i]]) {
                return;
            }
            int t = heap[parent];
            heap[parent] = heap[i];
            heap[i] = t;
            i = parent;
        }
    }

    private static void siftDown(int[] heap, int size, long[] head) {
        int i = 0;
        while (true) {
            int left = 2 * i + 1;
            if (left >= size) {
                return;
            }
            int child = left + 1 < size && head[heap[left + 1]] < head[heap[left]] ? left + 1 : left;
            if (head[heap[i]] <= head[heap[child]]) {
                return;
            }
            int t = heap[child];
            heap[child] = heap[i];
            heap[i] = t;
            i = child;
        }
    }
}
