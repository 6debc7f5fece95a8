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
                () -> SafeTensors.read(new ByteArrayInputStream(file(header.replace("F32", "BF16"),
                        floatsLittleEndian(1f, 2f)))));
        assertTrue(dtype.getMessage().contains("unsupported dtype BF16"), dtype.getMessage());
        InvalidSafeTensorsException shape = assertThrows(InvalidSafeTensorsException.class,
                () -> SafeTensors.read(new ByteArrayInputStream(file(header.replace("[2]", "[3]"),
                        floatsLittleEndian(1f, 2f)))));
        assertTrue(shape.getMessage().contains("8 bytes for shape [3]"), shape.getMessage());
        String overlapping = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertThrows(InvalidSafeTensorsException.class,
                () -> SafeTensors.read(new ByteArrayInputStream(file(overlapping, floatsLittleEndian(1f, 2f)))));
    }
}
