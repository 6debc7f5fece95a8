package io.sparkbert.model.train;

import com.esotericsoftware.kryo.Kryo;
import org.apache.spark.serializer.KryoRegistrator;
import org.nd4j.kryo.Nd4jRegistrator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's {@link Nd4jRegistrator} with ND4J arrays written by {@link NdArrayKryoSerializer} (in bulk) instead
 * of element by element. conf/spark.conf lists it in {@code spark.kryo.registrator}; it replaces
 * {@code org.nd4j.kryo.Nd4jRegistrator} there, and the two must not both be listed after each other in the
 * wrong order (Spark applies registrators in order, and the last registration of a class wins).
 */
public final class NdArrayKryoRegistrator implements KryoRegistrator {
    @Override
    public void registerClasses(Kryo kryo) {
        new Nd4jRegistrator().registerClasses(kryo);
        kryo.register(Nd4j.getBackend().getNDArrayClass(), new NdArrayKryoSerializer());
    }
}
