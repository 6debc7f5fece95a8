package io.sparkbert.pipeline.util;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/** Tidying what Spark's writers leave, so outputs have stable names. */
public final class SparkOutputs {
    private SparkOutputs() {
    }

    /**
     * Renames Spark's {@code part-NNNNN-<job uuid>…} files in {@code dir} to {@code prefix-NNNNN.suffix}
     * (the uuid changes every run) and deletes its side files (_SUCCESS, .crc). Returns the new names.
     */
    public static List<String> renamePartFiles(String dir, String prefix, String suffix, Configuration hadoop)
            throws IOException {
        Path path = new Path(dir);
        FileSystem fs = path.getFileSystem(hadoop);
        if (fs instanceof LocalFileSystem local) {
            fs = local.getRawFileSystem(); // no .crc side files travel with the parts
        }
        List<String> names = new ArrayList<>();
        for (FileStatus status : fs.listStatus(path)) {
            String name = status.getPath().getName();
            if (name.startsWith("part-") && name.endsWith(suffix)) {
                int part = Integer.parseInt(name.substring(5, name.indexOf('-', 5)));
                String target = String.format("%s-%05d%s", prefix, part, suffix);
                if (!fs.rename(status.getPath(), new Path(path, target))) {
                    throw new IOException("cannot rename " + status.getPath() + " to " + target);
                }
                names.add(target);
            } else {
                fs.delete(status.getPath(), false);
            }
        }
        Collections.sort(names);
        return names;
    }
}
