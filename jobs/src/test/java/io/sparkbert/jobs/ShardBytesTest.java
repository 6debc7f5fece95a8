package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.pipeline.reference.ReferenceVocabs;
import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.Util;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, bug 6: the same preprocess command gives the same shard bytes in another JVM (parquet-mr's footer listed
 * each column's encodings in a JVM-dependent order).
 */
class ShardBytesTest {
    @TempDir
    Path dir;

    @Test
    void bug6_sameCommandInAnotherJvmGivesIdenticalShardBytes() throws Exception {
        Path vocab = dir.resolve("vocab.txt");
        ReferenceVocabs.bertBaseUncased().write(vocab);
        Path corpus = dir.resolve("corpus.txt");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            text.append("the king walked to the river number ").append(i % 17).append(" and sat down.\n");
            if (i % 6 == 5) {
                text.append('\n');
            }
        }
        Files.writeString(corpus, text);
        List<String> args = List.of("preprocess", "--input", corpus.toString(), "--vocab", vocab.toString(),
                "--master", "local[2]", "--dupe-factor", "2", "--shards", "2", "--max-seq-length", "32");

        List<String> here = new ArrayList<>(args);
        here.addAll(List.of("--output", dir.resolve("here").toString()));
        assertEquals(0, Cli.run(here.toArray(String[]::new)).exitCode());

        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("-X") || a.startsWith("-D")).toList());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), SparkBert.class.getName()));
        command.addAll(args);
        command.addAll(List.of("--output", dir.resolve("there").toString()));
        Processes.Result child = Processes.run(command, Map.of(), dir, 300);
        assertEquals(0, child.exitCode(), child.output());

        List<Path> a = shards(dir.resolve("here"));
        List<Path> b = shards(dir.resolve("there"));
        assertEquals(2, a.size());
        assertEquals(a.stream().map(p -> p.getFileName().toString()).toList(),
                b.stream().map(p -> p.getFileName().toString()).toList());
        for (int i = 0; i < a.size(); i++) {
            byte[] x = Files.readAllBytes(a.get(i));
            assertSortedEncodings(x);
            assertArrayEquals(x, Files.readAllBytes(b.get(i)), a.get(i).getFileName() + " differs between JVMs");
        }
    }

    private static void assertSortedEncodings(byte[] file) throws Exception {
        int footerLength = ByteBuffer.wrap(file, file.length - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        FileMetaData meta = Util.readFileMetaData(new ByteArrayInputStream(
                Arrays.copyOfRange(file, file.length - 8 - footerLength, file.length - 8)));
        for (RowGroup group : meta.getRow_groups()) {
            for (ColumnChunk chunk : group.getColumns()) {
                List<Integer> values = chunk.getMeta_data().getEncodings().stream().map(Encoding::getValue).toList();
                assertTrue(values.equals(values.stream().sorted().toList()), "encodings " + values);
            }
        }
    }

    private static List<Path> shards(Path dataset) throws Exception {
        try (Stream<Path> files = Files.list(dataset)) {
            return files.filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
        }
    }
}
