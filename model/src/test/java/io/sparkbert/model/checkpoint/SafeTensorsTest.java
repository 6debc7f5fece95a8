package io.sparkbert.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.model.checkpoint.SafeTensors.InvalidSafeTensorsException;
import io.sparkbert.model.checkpoint.SafeTensors.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** safetensors against files built by hand, byte by byte, from the format's description. */
class SafeTensorsTest {
    /** header length (u64 LE) + header JSON + data. */
    private static byte[] file(String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(json.length).put(json).put(data);
        return buffer.array();
    }

    private static byte[] floatsLittleEndian(float... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buffer.putFloat(v);
        }
        return buffer.array();
    }

    @Test
    void readsAHandBuiltFileWithPaddingAndEmptyMetadata() throws Exception {
        // two tensors, the second first in the data; header padded with spaces as the Rust writer does
        String header = "{\"__metadata__\":{},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[8,16]}}   ";
        byte[] data = floatsLittleEndian(3f, 4f, 1f, 2f);
        SafeTensors.Contents contents = SafeTensors.read(new ByteArrayInputStream(file(header, data)));
        assertEquals(Map.of(), contents.metadata());
        assertArrayEquals(new float[] {1f, 2f}, contents.tensor("a").floats());
        assertArrayEquals(new long[] {1, 2}, contents.tensor("a").shape());
        assertArrayEquals(new float[] {3f, 4f}, contents.tensor("b").floats());
    }

    @Test
    void writesTheBytesTheFormatPrescribes() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SafeTensors.write(List.of(Tensor.ofFloats("w", new long[] {2}, new float[] {1.5f, -2f})),
                Map.of("format", "pt"), out);
        byte[] bytes = out.toByteArray();
        String json = "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        int padded = (json.length() + 7) / 8 * 8;
        ByteBuffer expected = ByteBuffer.allocate(8 + padded + 8).order(ByteOrder.LITTLE_ENDIAN);
        expected.putLong(padded).put(json.getBytes(StandardCharsets.UTF_8));
        for (int i = json.length(); i < padded; i++) {
            expected.put((byte) ' ');
        }
        expected.put(floatsLittleEndian(1.5f, -2f));
        assertArrayEquals(expected.array(), bytes);
        assertEquals(0, (8 + padded) % 8, "data starts 8-byte aligned");
    }

    @Test
    void roundTripKeepsOrderValuesAndMetadata() throws Exception {
        float[] big = new float[1000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (float) Math.sin(i);
        }
        List<Tensor> tensors = List.of(Tensor.ofFloats("x.weight", new long[] {10, 100}, big),
                Tensor.ofFloats("x.bias", new long[] {10}, Arrays.copyOf(big, 10)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SafeTensors.write(tensors, Map.of(), out);
        SafeTensors.Contents back = SafeTensors.read(new ByteArrayInputStream(out.toByteArray()));
        assertEquals(List.of("x.weight", "x.bias"), back.tensors().stream().map(Tensor::name).toList());
        assertArrayEquals(big, back.tensor("x.weight").floats());
    }

    @Test
    void clearErrorsForBrokenFiles() {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        byte[] good = file(header, floatsLittleEndian(1f, 2f));
        InvalidSafeTensorsException truncated = assertThrows(InvalidSafeTensorsException.class,
                () -> SafeTensors.read(new ByteArrayInputStream(Arrays.copyOf(good, good.length - 3))));
        assertTrue(truncated.getMessage().contains("outside the 5 bytes of data"), truncated.getMessage());

        assertThrows(InvalidSafeTensorsException.class,
                () -> SafeTensors.read(new ByteArrayInputStream(new byte[5])));
        InvalidSafeTensorsException dtype = assertThrows(InvalidSafeTensorsException.class,
                () -> SafeTensors.read(new ByteArrayInputStream(file(header.replace("F32", "F8_E5M2"),
                        floatsLittleEndian(1f, 2f)))));
        assertTrue(dtype.getMessage().contains("unsupported dtype F8_E5M2"), dtype.getMessage());
        InvalidSafeTensorsException shape = assertThrows(InvalidSafeTensorsException.class,
                () -> SafeTensors.read(new ByteArrayInputStream(file(header.replace("[2]", "[3]"),
                        floatsLittleEndian(1f, 2f)))));
        assertTrue(shape.getMessage().contains("8 bytes for shape [3]"), shape.getMessage());
        String overlapping = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertThrows(InvalidSafeTensorsException.class,
                () -> SafeTensors.read(new ByteArrayInputStream(file(overlapping, floatsLittleEndian(1f, 2f)))));
    }

    @Test
    void halfAndBfloat16TensorsAreWidenedExactly() throws Exception {
        // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, 2^-24 (smallest subnormal) = 0x0001
        // BF16: 1.0 = 0x3f80, -2.5 = 0xc020; data back to back, second tensor 2-byte aligned only
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]}}";
        byte[] data = {0x00, 0x3c, 0x00, (byte) 0xc0, (byte) 0xff, 0x7b, 0x01, 0x00, (byte) 0x80, 0x3f, 0x20,
            (byte) 0xc0};
        SafeTensors.Contents contents = SafeTensors.read(new ByteArrayInputStream(file(header, data)));
        assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f}, contents.tensor("h").widenedFloats());
        assertArrayEquals(new float[] {1f, -2.5f}, contents.tensor("b").widenedFloats());
        assertEquals(Map.of("format", "pt"), contents.metadata());
        // and the writer produces the same bytes
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SafeTensors.write(List.of(Tensor.ofFloats("h", new long[] {2, 2}, new float[] {1f, -2f, 65504f, 0x1p-24f},
                SafeTensors.DType.F16)), null, out);
        byte[] written = out.toByteArray();
        assertArrayEquals(Arrays.copyOf(data, 8), Arrays.copyOfRange(written, written.length - 8, written.length));
        InvalidSafeTensorsException notFloat = assertThrows(InvalidSafeTensorsException.class, () -> new Tensor("i",
                SafeTensors.DType.I32, new long[] {1}, new byte[4]).widenedFloats());
        assertTrue(notFloat.getMessage().contains("unsupported dtype I32"), notFloat.getMessage());
    }

    @Test
    void narrowingRoundsToNearestEvenAndIsExactOnRepresentableValues() {
        assertEquals((short) 0x3c00, SafeTensors.floatToHalf(1f));
        assertEquals((short) 0x3c00, SafeTensors.floatToHalf(1f + 0x1p-11f), "tie to even (down)");
        assertEquals((short) 0x3c02, SafeTensors.floatToHalf(1f + 3 * 0x1p-11f), "tie to even (up)");
        assertEquals((short) 0x3c01, SafeTensors.floatToHalf(1f + 0x1p-11f + 0x1p-20f), "above the tie");
        assertEquals((short) 0x7bff, SafeTensors.floatToHalf(65519f));
        assertEquals((short) 0x7c00, SafeTensors.floatToHalf(65520f), "overflow to infinity");
        assertEquals((short) 0x0000, SafeTensors.floatToHalf(0x1p-25f), "half the smallest subnormal: tie to 0");
        assertEquals((short) 0x0001, SafeTensors.floatToHalf(0x1.8p-25f));
        assertEquals((short) 0x0400, SafeTensors.floatToHalf(0x1.ffcp-15f), "subnormal rounding up into normal");
        assertEquals((short) 0x8000, SafeTensors.floatToHalf(-0f));
        assertTrue(Float.isNaN(SafeTensors.halfToFloat(SafeTensors.floatToHalf(Float.NaN))));
        assertEquals((short) 0x3f80, SafeTensors.floatToBfloat16(1f));
        assertEquals((short) 0x3f80, SafeTensors.floatToBfloat16(1f + 0x1p-8f), "tie to even (down)");
        assertEquals((short) 0x3f82, SafeTensors.floatToBfloat16(1f + 3 * 0x1p-8f), "tie to even (up)");
        assertTrue(Float.isNaN(SafeTensors.bfloat16ToFloat(SafeTensors.floatToBfloat16(Float.NaN))));
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            float half = SafeTensors.halfToFloat(h);
            if (!Float.isNaN(half)) {
                assertEquals(h, SafeTensors.floatToHalf(half), "F16 " + Integer.toHexString(bits));
            }
            float bf = SafeTensors.bfloat16ToFloat(h);
            if (!Float.isNaN(bf)) {
                assertEquals(h, SafeTensors.floatToBfloat16(bf), "BF16 " + Integer.toHexString(bits));
            }
        }
    }
}
