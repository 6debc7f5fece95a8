package io.sparkbert.pipeline.glove;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The schema our Parquet footers carry is Spark's own for the pair columns. */
class PairParquetWriterTest {
    @Test
    void theFootersSchemaIsSparksJson() {
        StructType spark = new StructType()
                .add("word_id", DataTypes.IntegerType, false)
                .add("context_id", DataTypes.IntegerType, false)
                .add("value", DataTypes.DoubleType, false);
        assertEquals(spark.json(), PairParquetWriter.SPARK_SCHEMA_JSON);
        assertEquals(spark, org.apache.spark.sql.types.DataType.fromJson(PairParquetWriter.SPARK_SCHEMA_JSON));
    }
}
