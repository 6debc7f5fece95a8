package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The dependency set resolves to a working ND4J: the native CPU backend loads and computes. */
class Nd4jBackendTest {
    @Test
    void nativeBackendLoadsAndMultipliesInDoublePrecision() {
        String backend = Nd4j.getBackend().getClass().getName();
        assertTrue(backend.contains("CpuBackend") || backend.contains("JCublasBackend"), backend);
        INDArray a = Nd4j.create(new double[][] {{1, 2, 3}, {4, 5, 6}});
        INDArray b = Nd4j.create(new double[][] {{7, 8}, {9, 10}, {11, 12}});
        INDArray product = a.mmul(b);
        assertEquals(DataType.DOUBLE, product.dataType());
        // worked by hand: [1*7+2*9+3*11, 1*8+2*10+3*12; 4*7+5*9+6*11, 4*8+5*10+6*12]
        assertArrayEquals(new double[] {58, 64, 139, 154}, product.reshape(4).toDoubleVector(), 0.0);
    }
}
