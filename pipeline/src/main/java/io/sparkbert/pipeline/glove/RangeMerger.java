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
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reduce side of one output range: adds up the partial sums that the map tasks sent, in bounded
 * memory, and hands over each pair once, in key order. Every chunk that arrives is already a sorted
 * run, so nothing is sorted here: the chunks are kept as they came (encoded, a few bytes a record) and
 * merged — a heap over the runs' heads, adding up equal keys, as cooccur.c merges its overflow files.
 * When the chunks held reach the memory bound they are merged into one sorted run on local disk, and the
 * end merges those runs with the chunks still held. Sums are exact integers, so the result does not
 * depend on the order in which chunks arrived.
 */
public final class RangeMerger {
    private static final Logger LOG = LoggerFactory.getLogger(RangeMerger.class);
    /** Bytes of a block of a spilled run (one encoded chunk, length-prefixed; as small as the map's chunks). */
    private static final int SPILL_BLOCK_BYTES = 1 << 18;

    /** Receives the final records. */
    @FunctionalInterface
    public interface Sink {
        void pair(long key, long units) throws IOException;
    }

    private final long first;
    private final long last;
    private final long capacityBytes;
    private final Supplier<File> spillFiles;
    private final List<byte[]> chunks = new ArrayList<>();
    private final List<File> runs = new ArrayList<>();
    private long heldBytes;

    /**
     * @param first the smallest key of the range
     * @param last the largest key of the range
     * @param capacityBytes bytes of encoded chunks held in memory before they are merged to a run on disk
     */
    public RangeMerger(long first, long last, long capacityBytes, Supplier<File> spillFiles) {
        this.first = first;
        this.last = last;
        this.capacityBytes = capacityBytes;
        this.spillFiles = spillFiles;
    }

    /** Takes an encoded chunk: a sorted run of records of this range (the merger keeps the array). */
    public void add(byte[] chunk) {
        if (heldBytes + chunk.length > capacityBytes && !chunks.isEmpty()) {
            spill();
        }
        chunks.add(chunk);
        heldBytes += chunk.length;
    }

    public int spilledRuns() {
        return runs.size();
    }

    /** Merges the chunks held into one sorted run in a local file, as length-prefixed encoded blocks. */
    private void spill() {
        File file = spillFiles.get();
        LOG.info("Merging {} chunks ({} MB) into a sorted run on disk ({})", chunks.size(), heldBytes >> 20,
                file.getName());
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(file), 1 << 16))) {
            PairRuns.Encoder block = new PairRuns.Encoder(SPILL_BLOCK_BYTES + 64);
            merge(chunkRuns(), (key, units) -> {
                block.add(key, units);
                if (block.size() >= SPILL_BLOCK_BYTES) {
                    writeBlock(out, block);
                }
            });
            writeBlock(out, block);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        runs.add(file);
        chunks.clear();
        heldBytes = 0;
    }

    private static void writeBlock(DataOutputStream out, PairRuns.Encoder block) throws IOException {
        if (block.records() > 0) {
            byte[] bytes = block.take();
            out.writeInt(bytes.length);
            out.write(bytes);
        }
    }

    /** Hands every pair of the range to {@code sink}, once, in key order; returns the number of pairs. */
    public long finish(Sink sink) throws IOException {
        List<Run> all = new ArrayList<>();
        try {
            for (File file : runs) {
                all.add(new FileRun(file));
            }
            all.addAll(chunkRuns());
            return merge(all, sink);
        } finally {
            for (Run run : all) {
                run.close();
            }
            for (File file : runs) {
                file.delete();
            }
            runs.clear();
            chunks.clear();
            heldBytes = 0;
        }
    }

    private List<Run> chunkRuns() {
        List<Run> list = new ArrayList<>(chunks.size());
        for (byte[] chunk : chunks) {
            list.add(new ChunkRun(chunk));
        }
        return list;
    }

    /** A sorted run being read: {@link #next} moves to its next record. */
    private abstract static class Run {
        long key;
        long units;

        abstract boolean next() throws IOException;

        void close() throws IOException {
        }
    }

    private static final class ChunkRun extends Run {
        private final PairRuns.Decoder decoder;

        ChunkRun(byte[] chunk) {
            decoder = new PairRuns.Decoder(chunk);
        }

        @Override
        boolean next() {
            if (!decoder.next()) {
                return false;
            }
            key = decoder.key();
            units = decoder.units();
            return true;
        }
    }

    /** A spilled run, read a block at a time. */
    private static final class FileRun extends Run {
        private final DataInputStream in;
        private PairRuns.Decoder block = new PairRuns.Decoder(new byte[0]);

        FileRun(File file) throws IOException {
            in = new DataInputStream(new BufferedInputStream(new FileInputStream(file), 1 << 16));
        }

        @Override
        boolean next() throws IOException {
            while (!block.next()) {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException e) {
                    return false;
                }
                byte[] bytes = new byte[length];
                in.readFully(bytes);
                block = new PairRuns.Decoder(bytes);
            }
            key = block.key();
            units = block.units();
            return true;
        }

        @Override
        void close() throws IOException {
            in.close();
        }
    }

    /** Merges sorted runs, adding up equal keys; returns the number of records handed over. */
    private long merge(List<Run> sources, Sink sink) throws IOException {
        Run[] heap = new Run[sources.size()];
        int size = 0;
        for (Run run : sources) {
            if (run.next()) {
                heap[size++] = run;
            }
        }
        for (int i = size / 2 - 1; i >= 0; i--) {
            siftDown(heap, size, i);
        }
        long written = 0;
        long current = -1;
        long sum = 0;
        while (size > 0) {
            Run top = heap[0];
            long key = top.key;
            if (key < first || key > last) {
                throw new IllegalStateException("key " + key + " outside the range [" + first + ", " + last + "]");
            }
            if (key == current) {
                sum = Math.addExact(sum, top.units);
            } else {
                if (current >= 0) {
                    sink.pair(current, sum);
                    written++;
                }
                current = key;
                sum = top.units;
            }
            if (!top.next()) {
                heap[0] = heap[--size];
            }
            siftDown(heap, size, 0);
        }
        if (current >= 0) {
            sink.pair(current, sum);
            written++;
        }
        return written;
    }

    private static void siftDown(Run[] heap, int size, int i) {
        Run moving = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1].key < heap[child].key) {
                child++;
            }
            if (moving.key <= heap[child].key) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = moving;
    }
}
