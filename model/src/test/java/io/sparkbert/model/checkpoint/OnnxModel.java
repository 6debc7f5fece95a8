package io.sparkbert.model.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX model file a weight mapping needs — the graph's nodes (op type, inputs, outputs,
 * tensor attributes) and its initializers — read straight from the protobuf wire format, so no generated
 * onnx.proto classes are needed. Field numbers are those of onnx.proto (ModelProto.graph = 7;
 * GraphProto.node = 1, initializer = 5; NodeProto.input = 1, output = 2, name = 3, op_type = 4,
 * attribute = 5; AttributeProto.name = 1, t = 5; TensorProto.dims = 1, data_type = 2, float_data = 4,
 * int64_data = 7, name = 8, raw_data = 9, data_location = 14). Only FLOAT and INT64 tensors stored inline
 * are supported; anything else is an error naming the tensor.
 */
final class OnnxModel {
    /** ONNX TensorProto.DataType values. */
    private static final int FLOAT = 1;
    private static final int INT64 = 7;

    /** A tensor: name, dims, and either float or long values. */
    record Tensor(String name, long[] dims, float[] floats, long[] longs) {
    }

    /** A node: op type, name, input and output value names, tensor-valued attributes. */
    record Node(String opType, String name, List<String> inputs, List<String> outputs, Map<String, Tensor> tensors) {
    }

    final List<Node> nodes = new ArrayList<>();
    final Map<String, Tensor> initializers = new LinkedHashMap<>();

    OnnxModel(byte[] file) {
        Reader model = new Reader(ByteBuffer.wrap(file));
        boolean sawGraph = false;
        while (model.more()) {
            int field = model.tag();
            if (field == 7) {
                graph(model.message());
                sawGraph = true;
            } else {
                model.skip();
            }
        }
        if (!sawGraph) {
            throw new IllegalArgumentException("not an ONNX model: no graph");
        }
    }

    /** The node that produces {@code value}, or null (a graph input or an initializer). */
    Node producer(String value) {
        for (Node n : nodes) {
            if (n.outputs().contains(value)) {
                return n;
            }
        }
        return null;
    }

    /** The nodes that read {@code value}. */
    List<Node> consumers(String value) {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            if (n.inputs().contains(value)) {
                out.add(n);
            }
        }
        return out;
    }

    private void graph(Reader g) {
        while (g.more()) {
            int field = g.tag();
            if (field == 1) {
                nodes.add(node(g.message()));
            } else if (field == 5) {
                Tensor t = tensor(g.message());
                initializers.put(t.name(), t);
            } else {
                g.skip();
            }
        }
    }

    private static Node node(Reader n) {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        String name = "";
        String op = "";
        while (n.more()) {
            switch (n.tag()) {
                case 1 -> inputs.add(n.string());
                case 2 -> outputs.add(n.string());
                case 3 -> name = n.string();
                case 4 -> op = n.string();
                case 5 -> {
                    Reader a = n.message();
                    String attribute = "";
                    Tensor t = null;
                    while (a.more()) {
                        switch (a.tag()) {
                            case 1 -> attribute = a.string();
                            case 5 -> t = tensor(a.message());
                            default -> a.skip();
                        }
                    }
                    if (t != null) {
                        tensors.put(attribute, t);
                    }
                }
                default -> n.skip();
            }
        }
        return new Node(op, name, inputs, outputs, tensors);
    }

    private static Tensor tensor(Reader t) {
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = "";
        ByteBuffer raw = null;
        List<Float> floatData = new ArrayList<>();
        List<Long> longData = new ArrayList<>();
        while (t.more()) {
            switch (t.tag()) {
                case 1 -> t.varints(dims);
                case 2 -> type = (int) t.varint();
                case 4 -> t.floats(floatData);
                case 7 -> t.varints(longData);
                case 8 -> name = t.string();
                case 9 -> raw = t.bytes().order(ByteOrder.LITTLE_ENDIAN);
                case 14 -> {
                    if (t.varint() != 0) {
                        throw new IllegalArgumentException("tensor " + name + " is stored externally: not supported");
                    }
                }
                default -> t.skip();
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        if (type == FLOAT) {
            float[] values = new float[Math.toIntExact(count)];
            if (raw != null) {
                raw.asFloatBuffer().get(values);
            } else {
                for (int i = 0; i < values.length; i++) {
                    values[i] = floatData.get(i);
                }
            }
            return new Tensor(name, shape, values, null);
        }
        if (type == INT64) {
            long[] values = new long[Math.toIntExact(count)];
            if (raw != null) {
                raw.asLongBuffer().get(values);
            } else {
                for (int i = 0; i < values.length; i++) {
                    values[i] = longData.get(i);
                }
            }
            return new Tensor(name, shape, null, values);
        }
        throw new IllegalArgumentException("tensor " + name + ": ONNX data type " + type + " not supported");
    }

    /** Protobuf wire format: varint keys, varint / fixed64 / length-delimited / fixed32 values. */
    private static final class Reader {
        private final ByteBuffer buffer;
        private int wireType;

        Reader(ByteBuffer buffer) {
            this.buffer = buffer;
        }

        boolean more() {
            return buffer.hasRemaining();
        }

        /** Reads a key; returns the field number. */
        int tag() {
            long key = varint();
            wireType = (int) (key & 7);
            return (int) (key >>> 3);
        }

        long varint() {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                byte b = buffer.get();
                result |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return result;
                }
            }
            throw new IllegalArgumentException("malformed varint");
        }

        ByteBuffer bytes() {
            int length = Math.toIntExact(varint());
            ByteBuffer slice = buffer.slice();
            slice.limit(length);
            buffer.position(buffer.position() + length);
            return slice;
        }

        Reader message() {
            return new Reader(bytes());
        }

        String string() {
            ByteBuffer b = bytes();
            byte[] s = new byte[b.remaining()];
            b.get(s);
            return new String(s, StandardCharsets.UTF_8);
        }

        /** A repeated varint field, packed (wire type 2) or not. */
        void varints(List<Long> out) {
            if (wireType == 2) {
                Reader packed = message();
                while (packed.more()) {
                    out.add(packed.varint());
                }
            } else {
                out.add(varint());
            }
        }

        /** A repeated float field, packed or not. */
        void floats(List<Float> out) {
            if (wireType == 2) {
                ByteBuffer packed = bytes().order(ByteOrder.LITTLE_ENDIAN);
                while (packed.hasRemaining()) {
                    out.add(packed.getFloat());
                }
            } else {
                out.add(buffer.order(ByteOrder.LITTLE_ENDIAN).getFloat(buffer.position()));
                buffer.position(buffer.position() + 4);
            }
        }

        void skip() {
            switch (wireType) {
                case 0 -> varint();
                case 1 -> buffer.position(buffer.position() + 8);
                case 2 -> bytes();
                case 5 -> buffer.position(buffer.position() + 4);
                default -> throw new IllegalArgumentException("unsupported protobuf wire type " + wireType);
            }
        }
    }
}
