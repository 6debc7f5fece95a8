package io.sparkbert.pipeline.util;

import com.esotericsoftware.kryo.Kryo;

/**
 * Teaches Spark's Kryo about Java records ({@code spark.kryo.registrator=
 * io.sparkbert.pipeline.util.SparkbertKryoRegistrator}, set by conf/spark.conf): every record, ours or
 * nested in what we ship to executors, is written with a {@link RecordSerializer}.
 */
public final class SparkbertKryoRegistrator implements org.apache.spark.serializer.KryoRegistrator {
    @Override
    public void registerClasses(Kryo kryo) {
        kryo.addDefaultSerializer(Record.class, RecordSerializer.class);
    }
}
