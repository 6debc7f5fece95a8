package io.sparkbert.jobs.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** GloVe's cooccurrence files (16-byte records: int32 word1, int32 word2, float64), compared. */
public final class GloveRecords {
    private GloveRecords() {
    }

    /** [1 if the pairs differ anywhere else 0, the largest relative difference of a value]. */
    public static double[] compare(Path a, Path b) throws IOException {
        if (Files.size(a) != Files.size(b)) {
            return new double[] {1, Double.NaN};
        }
        double worst = 0;
        try (var x = new java.io.DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(a), 1 << 20));
             var y = new java.io.DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(b), 1 << 20))) {
            byte[] ra = new byte[16];
            byte[] rb = new byte[16];
            var va = java.nio.ByteBuffer.wrap(ra).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            var vb = java.nio.ByteBuffer.wrap(rb).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (long n = Files.size(a) / 16; n > 0; n--) {
                x.readFully(ra);
                y.readFully(rb);
                if (va.getLong(0) != vb.getLong(0)) {
                    return new double[] {1, worst};
                }
                double p = va.getDouble(8);
                double q = vb.getDouble(8);
                worst = Math.max(worst, Math.abs(p - q) / Math.max(Math.abs(p), Math.abs(q)));
            }
        }
        return new double[] {0, worst};
    }
}
