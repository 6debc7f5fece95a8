package io.sparkbert.pipeline.preprocess;

import io.sparkbert.pipeline.samples.TrainingSample;
import org.apache.parquet.example.data.Group;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The stored form of a pretraining sample (docs/design.md §3.4): the seven Parquet columns of a shard, named as
 * the features of Google's tf.train.Example, and the one mapping between a stored row and a
 * {@link TrainingSample} — Spark's rows when shards are written, parquet-mr's records when training reads them
 * ({@link SampleReadSupport}) and its generic groups ({@link SampleReader}, for {@code inspect}).
 */
public final class SampleColumns {
    public static final String INPUT_IDS = "input_ids";
    public static final String TOKEN_TYPE_IDS = "token_type_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String MASKED_LM_POSITIONS = "masked_lm_positions";
    public static final String MASKED_LM_IDS = "masked_lm_ids";
    public static final String MASKED_LM_WEIGHTS = "masked_lm_weights";
    public static final String NEXT_SENTENCE_LABEL = "next_sentence_label";

    /** Spark's schema of a shard, in column order. */
    public static final StructType SCHEMA = new StructType()
            .add(INPUT_IDS, DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add(TOKEN_TYPE_IDS, DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add(ATTENTION_MASK, DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add(MASKED_LM_POSITIONS, DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add(MASKED_LM_IDS, DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add(MASKED_LM_WEIGHTS, DataTypes.createArrayType(DataTypes.FloatType, false), false)
            .add(NEXT_SENTENCE_LABEL, DataTypes.IntegerType, false);

    /** Read access to the columns of one stored row. */
    interface StoredRow {
        int[] ints(String column);

        float[] floats(String column);

        int integer(String column);
    }

    private SampleColumns() {
    }

    /**
     * The sample of a stored row. Of the bookkeeping fields only {@code length} (the real tokens, from the
     * attention mask) is known; the counts and the order key are 0.
     */
    static TrainingSample toSample(StoredRow row) {
        int[] attention = row.ints(ATTENTION_MASK);
        int length = 0;
        for (int a : attention) {
            length += a;
        }
        return new TrainingSample(row.ints(INPUT_IDS), row.ints(TOKEN_TYPE_IDS), attention,
                row.ints(MASKED_LM_POSITIONS), row.ints(MASKED_LM_IDS), row.floats(MASKED_LM_WEIGHTS),
                row.integer(NEXT_SENTENCE_LABEL), length, 0, 0, 0, 0);
    }

    /** The sample of a parquet-hadoop group (a Spark array column is a LIST group of "list" groups with one "element"). */
    static TrainingSample toSample(Group row) {
        return toSample(new StoredRow() {
            @Override
            public int[] ints(String column) {
                Group list = row.getGroup(column, 0);
                int[] values = new int[list.getFieldRepetitionCount("list")];
                for (int i = 0; i < values.length; i++) {
                    values[i] = list.getGroup("list", i).getInteger("element", 0);
                }
                return values;
            }

            @Override
            public float[] floats(String column) {
                Group list = row.getGroup(column, 0);
                float[] values = new float[list.getFieldRepetitionCount("list")];
                for (int i = 0; i < values.length; i++) {
                    values[i] = list.getGroup("list", i).getFloat("element", 0);
                }
                return values;
            }

            @Override
            public int integer(String column) {
                return row.getInteger(column, 0);
            }
        });
    }

    /** The Spark row of a sample, in {@link #SCHEMA}'s column order. */
    public static Row toRow(TrainingSample s) {
        return RowFactory.create(boxed(s.inputIds()), boxed(s.tokenTypeIds()), boxed(s.attentionMask()),
                boxed(s.maskedLmPositions()), boxed(s.maskedLmIds()), boxed(s.maskedLmWeights()),
                s.nextSentenceLabel());
    }

    private static Integer[] boxed(int[] values) {
        Integer[] out = new Integer[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    private static Float[] boxed(float[] values) {
        Float[] out = new Float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
