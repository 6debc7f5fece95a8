package io.sparkbert.model.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (HuggingFace), read and written without native code: an 8-byte little-endian
 * header length N, N bytes of JSON (per tensor: dtype, shape, data_offsets [begin, end) into the data
 * that follows; an optional "__metadata__" map of strings), then the raw little-endian tensor data.
 * The writer pads the header with spaces to a multiple of 8 bytes, as the reference implementation does,
 * so the data is aligned; the reader accepts any padding and checks every offset against the file.
 */
public final class SafeTensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String METADATA = "__metadata__";
    /** A header larger than this is not a real checkpoint's (the reference implementation's limit). */
    private static final long MAX_HEADER = 100L << 20;

    /** Element types we read and write. */
    public enum DType {
        F32(4), F64(8), I32(4), I64(8);

        final int size;

        DType(int size) {
            this.size = size;
        }

        public int size() {
            return size;
        }
    }

    /** One tensor: its name, type, shape and raw little-endian bytes. */
    public record Tensor(String name, DType dtype, long[] shape, byte[] data) {
        public Tensor {
            long elements = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
                }
                elements = Math.multiplyExact(elements, d);
            }
            if (data.length != elements * dtype.size()) {
                throw new IllegalArgumentException(name + ": " + data.length + " bytes for shape "
                        + Arrays.toString(shape) + " of " + dtype);
            }
        }

        public static Tensor ofFloats(String name, long[] shape, float[] values) {
            ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            buffer.asFloatBuffer().put(values);
            return new Tensor(name, DType.F32, shape, buffer.array());
        }

        public float[] floats() {
            if (dtype != DType.F32) {
                throw new IllegalStateException(name + " is " + dtype + ", not F32");
            }
            float[] values = new float[data.length / 4];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            return values;
        }
    }

    /** A file's tensors (in header order) and metadata. */
    public record Contents(List<Tensor> tensors, Map<String, String> metadata) {
        public Tensor tensor(String name) {
            for (Tensor t : tensors) {
                if (t.name().equals(name)) {
                    return t;
                }
            }
            throw new InvalidSafeTensorsException("no tensor named " + name);
        }
    }

    /** A file that is not valid safetensors, with the reason. */
    public static final class InvalidSafeTensorsException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public InvalidSafeTensorsException(String message) {
            super(message);
        }
    }

    private SafeTensors() {
    }

    /** Writes tensors in the given order, data back to back. */
    public static void write(List<Tensor> tensors, Map<String, String> metadata, OutputStream out) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null) {
            ObjectNode meta = header.putObject(METADATA);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Tensor tensor : tensors) {
            if (tensor.name().equals(METADATA) || header.has(tensor.name())) {
                throw new IllegalArgumentException("duplicate or reserved tensor name " + tensor.name());
            }
            ObjectNode entry = header.putObject(tensor.name());
            entry.put("dtype", tensor.dtype().name());
            var shape = entry.putArray("shape");
            for (long d : tensor.shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + tensor.data().length);
            offset += tensor.data().length;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
        out.write(headerBytes);
        for (Tensor tensor : tensors) {
            out.write(tensor.data());
        }
    }

    /** Reads a whole file; every inconsistency is an {@link InvalidSafeTensorsException} saying what. */
    public static Contents read(InputStream in) throws IOException {
        byte[] lengthBytes = in.readNBytes(8);
        if (lengthBytes.length < 8) {
            throw new InvalidSafeTensorsException("truncated file: " + lengthBytes.length + " bytes, no header length");
        }
        long headerLength = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 2 || headerLength > MAX_HEADER) {
            throw new InvalidSafeTensorsException("implausible header length " + headerLength);
        }
        byte[] headerBytes = in.readNBytes((int) headerLength);
        if (headerBytes.length < headerLength) {
            throw new InvalidSafeTensorsException("truncated header: " + headerBytes.length + " of " + headerLength
                    + " bytes");
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8).stripTrailing());
        } catch (JsonProcessingException e) {
            throw new InvalidSafeTensorsException("header is not JSON: " + e.getOriginalMessage());
        }
        if (header == null || !header.isObject()) {
            throw new InvalidSafeTensorsException("header is not a JSON object");
        }
        byte[] data = in.readAllBytes();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Tensor> tensors = new ArrayList<>();
        List<long[]> ranges = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getKey().equals(METADATA)) {
                field.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            tensors.add(tensor(field.getKey(), field.getValue(), data, ranges));
        }
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        for (int i = 1; i < ranges.size(); i++) {
            if (ranges.get(i)[0] < ranges.get(i - 1)[1]) {
                throw new InvalidSafeTensorsException("tensor data ranges overlap");
            }
        }
        return new Contents(tensors, metadata);
    }

    private static Tensor tensor(String name, JsonNode entry, byte[] data, List<long[]> ranges) {
        DType dtype;
        String type = entry.path("dtype").asText();
        try {
            dtype = DType.valueOf(type);
        } catch (IllegalArgumentException e) {
            throw new InvalidSafeTensorsException(name + ": unsupported dtype " + type + " (supported: "
                    + Arrays.toString(DType.values()) + ")");
        }
        JsonNode shapeNode = entry.path("shape");
        JsonNode offsets = entry.path("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw new InvalidSafeTensorsException(name + ": needs a shape array and two data_offsets");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong();
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end > data.length) {
            throw new InvalidSafeTensorsException(name + ": data_offsets [" + begin + ", " + end + ") outside the "
                    + data.length + " bytes of data (truncated file?)");
        }
        ranges.add(new long[] {begin, end});
        byte[] bytes = Arrays.copyOfRange(data, (int) begin, (int) end);
        try {
            return new Tensor(name, dtype, shape, bytes);
        } catch (IllegalArgumentException e) {
            throw new InvalidSafeTensorsException(e.getMessage());
        }
    }
}
