package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Buffers reused by data type and length, whatever the shape; shared buffers and overflow never cached. */
class LengthKeyedMemoryMgrTest {

    @Test
    void aReleasedBufferServesAnyShapeOfTheSameTypeAndLength() {
        LengthKeyedMemoryMgr mgr = new LengthKeyedMemoryMgr(1 << 20);
        INDArray first = mgr.allocate(false, DataType.FLOAT, 6, 4);
        long address = first.data().address();
        mgr.release(first);
        INDArray other = mgr.allocate(false, DataType.DOUBLE, 2, 3, 4);
        assertNotEquals(address, other.data().address(), "another data type gets another buffer");
        INDArray reused = mgr.allocate(false, DataType.FLOAT, 2, 3, 4);
        assertEquals(address, reused.data().address());
        assertArrayEquals(new long[] {2, 3, 4}, reused.shape());
        assertArrayEquals(new long[] {12, 4, 1}, reused.stride());
        reused.assign(Nd4j.arange(24).reshape(2, 3, 4).castTo(DataType.FLOAT));
        assertEquals(23f, reused.getFloat(1, 2, 3));
        assertNotEquals(address, mgr.allocate(false, DataType.FLOAT, 24).data().address(),
                "the one cached buffer was handed out already");
    }

    @Test
    void viewsAndArraysBeyondTheBoundAreClosedNotCached() {
        LengthKeyedMemoryMgr mgr = new LengthKeyedMemoryMgr(64);
        INDArray parent = Nd4j.create(DataType.FLOAT, 4, 4);
        INDArray view = parent.get(NDArrayIndex.interval(0, 2), NDArrayIndex.all());
        mgr.release(view);
        assertNotEquals(parent.data().address(), mgr.allocate(false, DataType.FLOAT, 8).data().address());

        INDArray big = mgr.allocate(false, DataType.FLOAT, 32);     // 128 bytes > 64
        long address = big.data().address();
        mgr.release(big);
        assertTrue(big.wasClosed(), "an array over the bound is closed");
        INDArray small = mgr.allocate(false, DataType.FLOAT, 4);    // 16 bytes: cached and reused
        long smallAddress = small.data().address();
        mgr.release(small);
        assertEquals(smallAddress, mgr.allocate(false, DataType.FLOAT, 2, 2).data().address());
        assertNotEquals(0, address);
    }

    @Test
    void sharedManagersServeEachOthersReleasedBuffersAndClosingOneKeepsThePool() {
        LengthKeyedMemoryMgr training = LengthKeyedMemoryMgr.shared();
        LengthKeyedMemoryMgr evaluation = LengthKeyedMemoryMgr.shared();
        INDArray released = training.allocate(false, DataType.FLOAT, 3, 5, 7);
        long address = released.data().address();
        training.release(released);
        training.close();
        INDArray reused = evaluation.allocate(false, DataType.FLOAT, 7, 15);
        assertEquals(address, reused.data().address(), "the other session's released buffer");
        assertFalse(reused.wasClosed());
        reused.assign(1f);
        assertEquals(105f, reused.sumNumber().floatValue());
        evaluation.release(reused);
    }
}
