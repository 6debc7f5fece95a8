package io.sparkbert.model.train;

import com.esotericsoftware.kryo.Kryo;
import de.javakaffee.kryoserializers.SynchronizedCollectionsSerializer;
import de.javakaffee.kryoserializers.UnmodifiableCollectionsSerializer;
import java.util.List;
import org.apache.spark.serializer.KryoRegistrator;
import org.nd4j.common.primitives.AtomicDouble;
import org.nd4j.kryo.primitives.AtomicDoubleSerializer;

/**
 * What DL4J's {@code org.nd4j.kryo.Nd4jRegistrator} registers, with ND4J arrays written by
 * {@link NdArrayKryoSerializer} (in bulk) instead of element by element. conf/spark.conf lists it in
 * {@code spark.kryo.registrator}, where it replaces DL4J's (Spark applies registrators in order, and the last
 * registration of a class wins: never list DL4J's after it).
 *
 * <p>DL4J's registrator asks ND4J for its backend's array class, which loads ND4J and its native library
 * (~0.3 s, and the library's pages) in every JVM that starts a Kryo instance, also in the commands that never
 * see an array (cooccur, preprocess). This one names the backends' array classes instead and loads them
 * without initialising anything.
 */
public final class NdArrayKryoRegistrator implements KryoRegistrator {
    /** The array class of each ND4J backend: CPU ({@code nd4j-native}) and CUDA ({@code nd4j-cuda}). */
    static final List<String> ARRAY_CLASSES = List.of("org.nd4j.linalg.cpu.nativecpu.NDArray",
            "org.nd4j.linalg.jcublas.JCublasNDArray");

    @Override
    public void registerClasses(Kryo kryo) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader() != null
                ? Thread.currentThread().getContextClassLoader() : NdArrayKryoRegistrator.class.getClassLoader();
        for (String name : ARRAY_CLASSES) {
            try {
                kryo.register(Class.forName(name, false, loader), new NdArrayKryoSerializer());
            } catch (ClassNotFoundException absent) {
                // that backend is not on the class path
            }
        }
        kryo.register(AtomicDouble.class, new AtomicDoubleSerializer());
        UnmodifiableCollectionsSerializer.registerSerializers(kryo);
        SynchronizedCollectionsSerializer.registerSerializers(kryo);
    }
}
