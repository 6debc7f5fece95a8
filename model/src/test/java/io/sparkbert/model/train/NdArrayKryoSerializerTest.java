package io.sparkbert.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.TreeMap;
import java.util.Map;
import io.sparkbert.model.ChildJvm;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.AtomicDouble;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import scala.reflect.ClassTag$;

/**
 * ND4J arrays through Spark's real KryoSerializer with sparkbert's registrator: every array comes back with
 * the same type, shape and bits as it went in, and as DL4J's own {@code Nd4jRegistrator} brings it back.
 */
class NdArrayKryoSerializerTest {
    private static SerializerInstance kryo(String registrator) {
        return new KryoSerializer(new SparkConf().set("spark.kryo.registrator", registrator)
                .set("spark.kryoserializer.buffer.max", "512m")).newInstance();
    }

    private static final SerializerInstance OURS = kryo(NdArrayKryoRegistrator.class.getName());
    private static final SerializerInstance DL4J = kryo("org.nd4j.kryo.Nd4jRegistrator");

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(SerializerInstance kryo, T value) {
        ByteBuffer bytes = kryo.serialize(value, ClassTag$.MODULE$.AnyRef());
        return (T) kryo.deserialize(bytes, ClassTag$.MODULE$.AnyRef());
    }

    private static List<INDArray> arrays() {
        INDArray matrix = Nd4j.rand(DataType.FLOAT, 5, 7).subi(0.5);
        return List.of(
                matrix,
                Nd4j.rand(DataType.DOUBLE, 'f', 4, 3),                                 // Fortran order
                matrix.get(NDArrayIndex.interval(1, 4), NDArrayIndex.interval(2, 6)),   // strided view
                matrix.getRow(3),                                                       // view with an offset
                Nd4j.scalar(DataType.FLOAT, -3.25f),
                Nd4j.createFromArray(1, -2, Integer.MAX_VALUE),
                Nd4j.createFromArray(new long[] {Long.MIN_VALUE, 0, 7}).reshape(1, 3),
                Nd4j.createFromArray(true, false, true),
                Nd4j.rand(DataType.FLOAT, 2, 3, 4).castTo(DataType.HALF),
                Nd4j.rand(DataType.FLOAT, 6).castTo(DataType.BFLOAT16),
                Nd4j.createFromArray(Float.NaN, Float.NEGATIVE_INFINITY, -0.0f, Float.MIN_VALUE),
                Nd4j.empty(DataType.FLOAT),
                Nd4j.create(DataType.FLOAT, 0, 3));
    }

    @Test
    void everyArrayComesBackBitForBit() {
        for (INDArray array : arrays()) {
            INDArray back = roundTrip(OURS, array);
            assertEquals(array.dataType(), back.dataType(), array.shapeInfoToString());
            assertArrayEquals(array.shape(), back.shape(), array.shapeInfoToString());
            assertEquals(array.isEmpty(), back.isEmpty());
            if (!array.isEmpty()) {
                assertArrayEquals(bits(array), bits(back), array.shapeInfoToString());
            }
            if (array.isEmpty()) {
                continue; // DL4J's own serializer fails on empty arrays (EOFException reading them back)
            }
            // the reference: DL4J's own serializer brings back the same array
            INDArray stock = roundTrip(DL4J, array);
            assertEquals(stock.dataType(), back.dataType());
            assertArrayEquals(stock.shape(), back.shape());
            assertArrayEquals(bits(stock), bits(back));
        }
    }

    @Test
    void dl4jsOwnSerializerCannotReadBackAnEmptyArray() {
        assertThrows(RuntimeException.class, () -> roundTrip(DL4J, Nd4j.empty(DataType.FLOAT)));
    }

    @Test
    void aRoundResultKeepsItsArraysAndIsAsSmallAsItsBytes() {
        INDArray params = Nd4j.rand(DataType.FLOAT, 1, 100_000);
        INDArray state = Nd4j.rand(DataType.FLOAT, 1, 200_000);
        ParameterAveragingTrainingResult result = new ParameterAveragingTrainingResult(params, state, 1.5, null, null,
                null);
        ParameterAveragingTrainingResult back = roundTrip(OURS, result);
        assertArrayEquals(bits(params), bits(back.getParameters()));
        assertArrayEquals(bits(state), bits(back.getUpdaterState()));
        assertEquals(1.5, back.getScore());
        int size = OURS.serialize(result, ClassTag$.MODULE$.AnyRef()).remaining();
        assertTrue(size >= 4 * 300_000 && size < 4 * 300_000 + 1024, "serialized size " + size);
    }

    /** Every class DL4J's registrator registers gets the same serializer from ours, arrays ours. */
    @Test
    void registersWhatDl4jsRegistratorRegisters() {
        Kryo ours = kryoOf(NdArrayKryoRegistrator.class.getName());
        Kryo dl4j = kryoOf("org.nd4j.kryo.Nd4jRegistrator");
        Class<?> arrayClass = Nd4j.getBackend().getNDArrayClass();
        assertTrue(NdArrayKryoRegistrator.ARRAY_CLASSES.contains(arrayClass.getName()), arrayClass.getName());
        assertEquals(NdArrayKryoSerializer.class, ours.getRegistration(arrayClass).getSerializer().getClass());
        for (Object value : List.of(new AtomicDouble(2.5), Collections.unmodifiableList(new ArrayList<>()),
                Collections.unmodifiableMap(new HashMap<>()), Collections.synchronizedList(new ArrayList<>()),
                Collections.synchronizedSortedMap(new TreeMap<>()))) {
            assertEquals(dl4j.getRegistration(value.getClass()).getSerializer().getClass(),
                    ours.getRegistration(value.getClass()).getSerializer().getClass(), value.getClass().getName());
        }
    }

    /**
     * Starting a Kryo with our registrator does not load ND4J's native library (DL4J's does), so the commands
     * that ship no arrays do not pay for it; the first array written loads it. In a JVM of its own
     * ({@link KryoWithoutNd4jProbe}), read from the process's memory map.
     */
    @Test
    void startingKryoLoadsNoNativeNd4j() throws Exception {
        String out = ChildJvm.run(KryoWithoutNd4jProbe.class, "512m", List.of(), Map.of());
        assertTrue(out.contains("after kryo: libnd4jcpu mapped false"), out);
        assertTrue(out.contains("after an array: libnd4jcpu mapped true"), out);
    }

    private static Kryo kryoOf(String registrator) {
        return new KryoSerializer(new SparkConf().set("spark.kryo.registrator", registrator)).newKryo();
    }

    /** The array's elements in C order as raw bits (NaN payloads and signed zeros included). */
    private static long[] bits(INDArray array) {
        INDArray c = array.dup('c').reshape(array.length());
        long[] out = new long[(int) array.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (array.dataType()) {
                case DOUBLE -> Double.doubleToRawLongBits(c.getDouble(i));
                case FLOAT, HALF, BFLOAT16 -> Float.floatToRawIntBits(c.getFloat(i));
                case BOOL -> c.getInt(i);
                default -> c.getLong(i);
            };
        }
        return out;
    }
}
