package io.sparkbert.model.train;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import scala.reflect.ClassTag$;

/**
 * Run in a JVM of its own by {@link NdArrayKryoSerializerTest}: starts a Kryo with sparkbert's registrators as
 * conf/spark.conf lists them and says whether ND4J's native library is mapped, then again after writing an array.
 */
final class KryoWithoutNd4jProbe {

    private KryoWithoutNd4jProbe() {
    }

    public static void main(String[] args) throws Exception {
        SerializerInstance kryo = new KryoSerializer(new SparkConf().set("spark.kryo.registrator",
                "io.sparkbert.pipeline.util.SparkbertKryoRegistrator," + NdArrayKryoRegistrator.class.getName()))
                .newInstance();
        kryo.serialize(new String[] {"a", "b"}, ClassTag$.MODULE$.AnyRef());
        System.out.println("after kryo: libnd4jcpu mapped " + nd4jMapped());
        kryo.serialize(org.nd4j.linalg.factory.Nd4j.ones(2, 3), ClassTag$.MODULE$.AnyRef());
        System.out.println("after an array: libnd4jcpu mapped " + nd4jMapped());
    }

    private static boolean nd4jMapped() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(l -> l.contains("libnd4jcpu"));
    }
}
