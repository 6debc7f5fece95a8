package io.sparkbert.model.train;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import org.nd4j.kryo.Nd4jSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Kryo serializer of ND4J arrays that copies an array's bytes in bulk: data type, shape, then the elements
 * in C order as they lie in memory, moved in 64 KiB blocks. A parameter-averaging round ships the
 * parameters and Adam moments (12 bytes per parameter) to every worker and back; ND4J's own
 * {@link Nd4jSerializer} writes and reads them one element at a time through a {@code DataOutputStream},
 * which made (de)serialisation the largest cost of a round outside the steps.
 *
 * <p>Arrays this format does not cover (string or compressed arrays) and every array on a backend
 * other than ND4J's CPU one (where host memory may not be the array's current copy) go through
 * {@link Nd4jSerializer}; a leading byte says which of the two wrote the array. Values are bit-exact in
 * both.
 */
public final class NdArrayKryoSerializer extends Serializer<INDArray> {
    private static final byte BULK = 1;
    private static final byte STOCK = 2;
    private static final int BLOCK = 1 << 16;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private final Nd4jSerializer stock = new Nd4jSerializer();

    /** Asked when the first array is written, not when Kryo starts: the question loads ND4J's backend. */
    private static final class Backend {
        static final boolean CPU = Nd4j.getBackend().getClass().getName().contains(".cpu.");
    }

    @Override
    public void write(Kryo kryo, Output output, INDArray array) {
        if (!bulk(array)) {
            output.writeByte(STOCK);
            stock.write(kryo, output, array);
            return;
        }
        INDArray dense = !array.isEmpty() && (array.isView() || array.ordering() != 'c'
                || array.data().length() != array.length()) ? array.dup('c') : array;
        output.writeByte(BULK);
        output.writeBoolean(LITTLE_ENDIAN);
        output.writeString(dense.dataType().name());
        output.writeBoolean(dense.isEmpty());
        long[] shape = dense.shape();
        output.writeInt(shape.length, true);
        for (long d : shape) {
            output.writeLong(d, true);
        }
        if (dense.isEmpty()) {
            return;
        }
        BytePointer memory = new BytePointer(dense.data().addressPointer());
        long bytes = dense.length() * dense.dataType().width();
        byte[] block = new byte[(int) Math.min(BLOCK, bytes)];
        for (long done = 0; done < bytes; ) {
            int n = (int) Math.min(block.length, bytes - done);
            memory.position(done).get(block, 0, n);
            output.writeBytes(block, 0, n);
            done += n;
        }
    }

    @Override
    public INDArray read(Kryo kryo, Input input, Class<INDArray> type) {
        byte format = input.readByte();
        if (format == STOCK) {
            return stock.read(kryo, input, type);
        }
        if (format != BULK) {
            throw new KryoException("not an ND4J array written by " + getClass().getSimpleName() + " (format byte "
                    + format + ")");
        }
        if (input.readBoolean() != LITTLE_ENDIAN) {
            throw new KryoException("ND4J array written on a machine of the other byte order: use the same byte "
                    + "order on the driver and every executor");
        }
        DataType dataType = DataType.valueOf(input.readString());
        boolean empty = input.readBoolean();
        long[] shape = new long[input.readInt(true)];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = input.readLong(true);
        }
        INDArray array;
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            if (empty) {
                return shape.length == 0 ? Nd4j.empty(dataType) : Nd4j.create(dataType, shape);
            }
            array = Nd4j.createUninitialized(dataType, shape, 'c');
        }
        BytePointer memory = new BytePointer(array.data().addressPointer());
        long bytes = array.length() * dataType.width();
        byte[] block = new byte[(int) Math.min(BLOCK, bytes)];
        for (long done = 0; done < bytes; ) {
            int n = (int) Math.min(block.length, bytes - done);
            input.readBytes(block, 0, n);
            memory.position(done).put(block, 0, n);
            done += n;
        }
        return array;
    }

    private static boolean bulk(INDArray array) {
        DataType t = array.dataType();
        return Backend.CPU && !array.isCompressed() && t != DataType.UTF8
                && t != DataType.COMPRESSED && t != DataType.UNKNOWN && t.width() > 0;
    }
}
