package io.sparkbert.model;

import java.nio.file.Files;
import java.nio.file.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Run in a JVM of its own by {@link HugePagesTest}: how many kB of this process's anonymous memory are on huge
 * pages before and after ND4J allocates (and zero-fills) one 64 MiB array, and what {@link HugePages} says.
 */
final class HugePagesProbe {

    private HugePagesProbe() {
    }

    public static void main(String[] args) throws Exception {
        Nd4j.create(DataType.FLOAT, 16).close(); // ND4J and its native library loaded before the first figure
        long before = anonHugePagesKb();
        INDArray array = Nd4j.create(DataType.FLOAT, 16L << 20);
        long after = anonHugePagesKb();
        System.out.println("huge-kb " + (after - before) + " of " + (array.length() * 4 / 1024));
        System.out.println("says " + HugePages.describe());
    }

    private static long anonHugePagesKb() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/smaps_rollup")).stream()
                .filter(l -> l.startsWith("AnonHugePages:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D+", ""))).sum();
    }
}
