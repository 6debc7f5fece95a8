package io.sparkbert.pipeline.preprocess;

import io.sparkbert.pipeline.samples.TrainingSample;
import io.sparkbert.pipeline.tokenizer.IntList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.api.InitContext;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * parquet-mr's record assembly straight into {@link TrainingSample}s: every value of a column lands in that
 * column's buffer, with no intermediate row objects (Spark SQL's reader would also load and plan Spark SQL for
 * it, several seconds of a training run's start). The values of a top-level column are collected in file order
 * whatever its nesting (Spark's three-level LIST or the legacy two-level one), so the mapping to a sample stays
 * {@link SampleColumns}'s.
 */
public final class SampleReadSupport extends ReadSupport<TrainingSample> {
    private static final List<String> COLUMNS = List.of(SampleColumns.INPUT_IDS, SampleColumns.TOKEN_TYPE_IDS,
            SampleColumns.ATTENTION_MASK, SampleColumns.MASKED_LM_POSITIONS, SampleColumns.MASKED_LM_IDS,
            SampleColumns.MASKED_LM_WEIGHTS, SampleColumns.NEXT_SENTENCE_LABEL);

    @Override
    public ReadContext init(InitContext context) {
        // the seven columns only: a shard with more (a later format) still reads
        MessageType file = context.getFileSchema();
        List<Type> columns = new ArrayList<>();
        for (String column : COLUMNS) {
            if (!file.containsField(column)) {
                throw new IllegalArgumentException("not a pretraining shard: no column " + column + " in " + file);
            }
            columns.add(file.getType(column));
        }
        return new ReadContext(new MessageType(file.getName(), columns));
    }

    @Override
    public RecordMaterializer<TrainingSample> prepareForRead(Configuration configuration,
                                                             Map<String, String> keyValueMetaData,
                                                             MessageType fileSchema, ReadContext readContext) {
        return new SampleMaterializer(readContext.getRequestedSchema());
    }

    /** One sample per record: the root converter's buffers, read out at the record's end. */
    private static final class SampleMaterializer extends RecordMaterializer<TrainingSample> {
        private final Map<String, IntList> ints = new HashMap<>();
        private final FloatValues weights = new FloatValues();
        private final GroupConverter root;
        private TrainingSample current;

        SampleMaterializer(MessageType schema) {
            Converter[] columns = new Converter[schema.getFieldCount()];
            for (int i = 0; i < columns.length; i++) {
                Type field = schema.getType(i);
                String name = field.getName();
                PrimitiveConverter sink;
                if (name.equals(SampleColumns.MASKED_LM_WEIGHTS)) {
                    sink = new PrimitiveConverter() {
                        @Override
                        public void addFloat(float value) {
                            weights.add(value);
                        }
                    };
                } else {
                    IntList values = new IntList();
                    ints.put(name, values);
                    sink = new PrimitiveConverter() {
                        @Override
                        public void addInt(int value) {
                            values.add(value);
                        }
                    };
                }
                columns[i] = field.isPrimitive() ? sink : Nested.feeding(field.asGroupType(), sink);
            }
            root = new Nested(columns) {
                @Override
                public void start() {
                    ints.values().forEach(IntList::clear);
                    weights.size = 0;
                }

                @Override
                public void end() {
                    current = SampleColumns.toSample(new SampleColumns.StoredRow() {
                        @Override
                        public int[] ints(String column) {
                            return ints.get(column).toArray();
                        }

                        @Override
                        public float[] floats(String column) {
                            return Arrays.copyOf(weights.values, weights.size);
                        }

                        @Override
                        public int integer(String column) {
                            IntList value = ints.get(column);
                            if (value.size() != 1) {
                                throw new IllegalArgumentException("column " + column + " holds " + value.size()
                                        + " values in one sample, not 1");
                            }
                            return value.get(0);
                        }
                    });
                }
            };
        }

        @Override
        public TrainingSample getCurrentRecord() {
            return current;
        }

        @Override
        public GroupConverter getRootConverter() {
            return root;
        }
    }

    /** A group of the record or of a column's nesting, handing each field to its converter. */
    private static class Nested extends GroupConverter {
        private final Converter[] children;

        Nested(Converter[] children) {
            this.children = children;
        }

        /** The converter of a column's group: every primitive below it feeds the column's one sink. */
        static Nested feeding(GroupType group, PrimitiveConverter sink) {
            Converter[] children = new Converter[group.getFieldCount()];
            for (int i = 0; i < children.length; i++) {
                Type field = group.getType(i);
                children[i] = field.isPrimitive() ? sink : feeding(field.asGroupType(), sink);
            }
            return new Nested(children);
        }

        @Override
        public Converter getConverter(int fieldIndex) {
            return children[fieldIndex];
        }

        @Override
        public void start() {
        }

        @Override
        public void end() {
        }
    }

    /** A growable float array (the masked-LM weights of one sample). */
    private static final class FloatValues {
        private float[] values = new float[32];
        private int size;

        void add(float value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }
    }
}
