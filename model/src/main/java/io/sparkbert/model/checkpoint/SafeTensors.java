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

    /** Element types we read and write (names as in the format). F16 is IEEE half, BF16 is bfloat16. */
    public enum DType {
        F32(4), F64(8), I32(4), I64(8), F16(2), BF16(2);

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

        /**
         * Floating values in {@code dtype} (F32, F16 or BF16), row-major; F16 and BF16 are rounded to nearest
         * even, as PyTorch's {@code .half()} and {@code .bfloat16()} do.
         */
        public static Tensor ofFloats(String name, long[] shape, float[] values, DType dtype) {
            if (dtype == DType.F32) {
                return ofFloats(name, shape, values);
            }
            if (dtype != DType.F16 && dtype != DType.BF16) {
                throw new IllegalArgumentException(name + ": cannot store floats as " + dtype);
            }
            ByteBuffer buffer = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                buffer.putShort(dtype == DType.F16 ? floatToHalf(v) : floatToBfloat16(v));
            }
            return new Tensor(name, dtype, shape, buffer.array());
        }

        /** The values of an F32 tensor. */
        public float[] floats() {
            if (dtype != DType.F32) {
                throw new IllegalStateException(name + " is " + dtype + ", not F32");
            }
            float[] values = new float[data.length / 4];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            return values;
        }

        /**
         * The values of a floating tensor as float: F32 as stored, F16 and BF16 widened (exactly: every
         * half and bfloat16 value is a float). Any other dtype is an {@link InvalidSafeTensorsException}.
         */
        public float[] widenedFloats() {
            switch (dtype) {
                case F32:
                    return floats();
                case F16:
                case BF16:
                    float[] values = new float[data.length / 2];
                    ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < values.length; i++) {
                        short bits = in.getShort();
                        values[i] = dtype == DType.F16 ? halfToFloat(bits) : bfloat16ToFloat(bits);
                    }
                    return values;
                default:
                    throw new InvalidSafeTensorsException(name + ": unsupported dtype " + dtype
                            + " for floating weights (supported: F32, F16, BF16)");
            }
        }
    }

    /** IEEE 754 binary16 to float (exact). */
    public static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {                                    // inf, NaN (payload kept)
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {                                       // zero, subnormal: mantissa · 2^-24
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** float to IEEE 754 binary16, rounding to nearest even; overflow gives infinity, NaN stays NaN. */
    public static short floatToHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7fffff;
        if (exponent == 0xff) {
            return (short) (sign | 0x7c00 | (mantissa != 0 ? 0x200 | (mantissa >>> 13) : 0));
        }
        int e = exponent - 127 + 15;                               // rebiased exponent
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {                                              // subnormal half (or zero)
            if (e < -10) {
                return (short) sign;
            }
            int m = mantissa | 0x800000;                           // implicit 1
            int shift = 14 - e;                                    // 24-bit significand -> 10-bit subnormal
            int half = m >>> shift;
            int rest = m & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rest > halfway || (rest == halfway && (half & 1) != 0)) {
                half++;                                            // may carry into the smallest normal: right
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mantissa >>> 13);
        int rest = mantissa & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
            half++;                                                // may carry into the exponent (or to inf): right
        }
        return (short) (sign | half);
    }

    /** bfloat16 (the top 16 bits of a float) to float (exact). */
    public static float bfloat16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    /** float to bfloat16, rounding to nearest even; NaN stays NaN. */
    public static short floatToBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
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

    /** Reads a whole file from disk (see {@link #read(InputStream)}). */
    public static Contents read(java.nio.file.Path file) throws IOException {
        try (InputStream in = new java.io.BufferedInputStream(java.nio.file.Files.newInputStream(file), 1 << 20)) {
            return read(in);
        } catch (InvalidSafeTensorsException e) {
            throw new InvalidSafeTensorsException(file + ": " + e.getMessage());
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
