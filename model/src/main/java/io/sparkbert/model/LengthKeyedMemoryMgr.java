package io.sparkbert.model;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.autodiff.samediff.internal.memory.AbstractMemoryMgr;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Memory of a SameDiff session that reuses the buffer of every released array for any later array of the same
 * data type and LENGTH. M2.1's own {@code ArrayCacheMemoryMgr} reuses an array only for exactly its shape, so
 * the many arrays of a BERT step that hold the same number of elements in other shapes ([B·S, H] and
 * [B, S, H], [B, A, S, S] and [B·A, S, S], ...) missed, and every miss is a new native buffer that libnd4j
 * zeroes and the kernel maps in page by page (a fifth of a bert-mini step in profiles, docs/performance.md).
 *
 * <p>Rules kept from M2.1's manager: an array whose buffer is shared (a view, or a buffer used more than once)
 * is closed, not cached; string arrays are never cached; at most {@code maxBytes} are held, beyond that a
 * released array is closed. A new array over a cached buffer is C-ordered (or F, as asked) and dense.
 *
 * <p>{@link #shared()} gives a manager over the process's one pool, for every session of every graph on any
 * thread: what the training graph released at the end of a step serves the evaluation's inference graph and
 * the other way round, so an evaluation does not map fresh memory of its own (fresh memory costs the kernel a
 * page fault and a cleared page per 4 KiB; on virtual machines that is seconds per GB). A released buffer is
 * handed out again only after its session released it, as with one session's own cache.
 */
public final class LengthKeyedMemoryMgr extends AbstractMemoryMgr {
    /** Bytes of released arrays the process keeps for reuse (a bert-base step at batch 32 needs ~2 GB). */
    private static final long SHARED_POOL_BYTES = 4L << 30;

    private static final Pool SHARED = new Pool(SHARED_POOL_BYTES);

    private final Pool pool;
    private final boolean ownsPool;

    /** A manager with a pool of its own, closed with it. */
    public LengthKeyedMemoryMgr(long maxBytes) {
        this(new Pool(maxBytes), true);
    }

    private LengthKeyedMemoryMgr(Pool pool, boolean ownsPool) {
        this.pool = pool;
        this.ownsPool = ownsPool;
    }

    /** A manager over the process's shared pool; closing it leaves the pool to the other sessions. */
    public static LengthKeyedMemoryMgr shared() {
        return new LengthKeyedMemoryMgr(SHARED, false);
    }

    @Override
    public INDArray allocate(boolean detached, DataType dataType, long... shape) {
        return allocate(dataType, shape, 'c');
    }

    @Override
    public INDArray allocate(boolean detached, LongShapeDescriptor descriptor) {
        if (descriptor.isEmpty()) {
            INDArray empty = Nd4j.create(descriptor);
            return detached ? empty.detach() : empty;
        }
        return allocate(descriptor.dataType(), descriptor.getShape(), descriptor.getOrder());
    }

    private INDArray allocate(DataType dataType, long[] shape, char order) {
        long length = length(shape);
        DataBuffer buffer = length > 0 ? pool.take(dataType, length) : null;
        if (buffer != null) {
            return Nd4j.create(buffer, shape, Nd4j.getStrides(shape, order), 0, order, dataType);
        }
        INDArray fresh = Nd4j.createUninitializedDetached(dataType, shape);
        return order == 'c' ? fresh : fresh.dup(order);
    }

    @Override
    public void release(INDArray array) {
        DataBuffer buffer = array.isEmpty() || array.wasClosed() ? null : array.data();
        boolean cacheable = buffer != null && !array.isView() && array.dataType() != DataType.UTF8
                && buffer.length() == array.length() && Nd4j.getExecutioner().useCount(buffer) <= 1
                && pool.put(array.dataType(), array.length(), buffer);
        if (!cacheable && array.closeable()) {
            array.close();
        }
    }

    @Override
    public void close() {
        if (ownsPool) {
            pool.close();
        }
    }

    /** Released buffers by data type and length, at most {@code maxBytes} of them; safe for any thread. */
    private static final class Pool {
        private final Map<DataType, Map<Long, ArrayDeque<DataBuffer>>> free = new HashMap<>();
        private final long maxBytes;
        private long heldBytes;

        Pool(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        synchronized DataBuffer take(DataType dataType, long length) {
            ArrayDeque<DataBuffer> buffers = free.getOrDefault(dataType, Map.of()).get(length);
            if (buffers == null || buffers.isEmpty()) {
                return null;
            }
            heldBytes -= length * dataType.width();
            return buffers.poll();
        }

        /** Keeps {@code buffer} for reuse unless that would hold more than the bound; false if not kept. */
        synchronized boolean put(DataType dataType, long length, DataBuffer buffer) {
            long bytes = length * dataType.width();
            if (heldBytes + bytes > maxBytes) {
                return false;
            }
            free.computeIfAbsent(dataType, t -> new HashMap<>()).computeIfAbsent(length, n -> new ArrayDeque<>())
                    .push(buffer);
            heldBytes += bytes;
            return true;
        }

        synchronized void close() {
            for (Map<Long, ArrayDeque<DataBuffer>> byLength : free.values()) {
                byLength.values().forEach(buffers -> buffers.forEach(DataBuffer::close));
            }
            free.clear();
            heldBytes = 0;
        }
    }

    private static long length(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
