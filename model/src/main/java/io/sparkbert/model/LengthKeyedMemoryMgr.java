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
 */
public final class LengthKeyedMemoryMgr extends AbstractMemoryMgr {
    private final Map<DataType, Map<Long, ArrayDeque<DataBuffer>>> free = new HashMap<>();
    private final long maxBytes;
    private long heldBytes;

    public LengthKeyedMemoryMgr(long maxBytes) {
        this.maxBytes = maxBytes;
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
        ArrayDeque<DataBuffer> buffers = length > 0 ? free.getOrDefault(dataType, Map.of()).get(length) : null;
        if (buffers != null && !buffers.isEmpty()) {
            DataBuffer buffer = buffers.poll();
            heldBytes -= length * dataType.width();
            return Nd4j.create(buffer, shape, Nd4j.getStrides(shape, order), 0, order, dataType);
        }
        INDArray fresh = Nd4j.createUninitializedDetached(dataType, shape);
        return order == 'c' ? fresh : fresh.dup(order);
    }

    @Override
    public void release(INDArray array) {
        DataBuffer buffer = array.isEmpty() || array.wasClosed() ? null : array.data();
        long bytes = buffer == null ? 0 : array.length() * array.dataType().width();
        boolean cacheable = buffer != null && !array.isView() && array.dataType() != DataType.UTF8
                && buffer.length() == array.length() && Nd4j.getExecutioner().useCount(buffer) <= 1
                && heldBytes + bytes <= maxBytes;
        if (!cacheable) {
            if (array.closeable()) {
                array.close();
            }
            return;
        }
        free.computeIfAbsent(array.dataType(), t -> new HashMap<>())
                .computeIfAbsent(array.length(), n -> new ArrayDeque<>()).push(buffer);
        heldBytes += bytes;
    }

    @Override
    public void close() {
        for (Map<Long, ArrayDeque<DataBuffer>> byLength : free.values()) {
            byLength.values().forEach(buffers -> buffers.forEach(DataBuffer::close));
        }
        free.clear();
        heldBytes = 0;
    }

    private static long length(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
