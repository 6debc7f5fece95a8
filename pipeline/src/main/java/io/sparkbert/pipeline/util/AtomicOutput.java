package io.sparkbert.pipeline.util;

import java.io.IOException;
import java.io.OutputStream;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes an output file so that it either appears complete or not at all: the bytes go to a hidden
 * temporary file beside the target, which is renamed into place only once fully written. A finished
 * output is never replaced unless the caller asked for it. Works on any Hadoop filesystem.
 */
public final class AtomicOutput {
    /** Writes the content of the file. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicOutput() {
    }

    /** Fails with a clear message, before any work starts, if the target exists and may not be replaced. */
    public static void checkWritable(String target, boolean overwrite, Configuration hadoop) throws IOException {
        Path path = new Path(target);
        FileSystem fs = fileSystem(path, hadoop);
        if (!overwrite && fs.exists(path)) {
            throw new OutputExistsException(target);
        }
    }

    public static void write(String target, boolean overwrite, Configuration hadoop, Content content)
            throws IOException {
        Path path = new Path(target);
        FileSystem fs = fileSystem(path, hadoop);
        checkWritable(target, overwrite, hadoop);
        Path parent = path.getParent();
        if (parent != null) {
            fs.mkdirs(parent);
        }
        Path temporary = new Path(parent, "." + path.getName() + ".tmp-" + UUID.randomUUID());
        boolean renamed = false;
        try {
            try (OutputStream out = fs.create(temporary, false)) {
                content.writeTo(out);
            }
            if (overwrite && fs.exists(path)) {
                fs.delete(path, false);
            }
            renamed = fs.rename(temporary, path);
            if (!renamed) {
                throw new IOException("could not rename " + temporary + " to " + path);
            }
        } finally {
            if (!renamed) {
                fs.delete(temporary, false);
            }
        }
    }

    /** The filesystem of a path; a local one writes no .crc side files next to outputs. */
    private static FileSystem fileSystem(Path path, Configuration hadoop) throws IOException {
        FileSystem fs = path.getFileSystem(hadoop);
        if (fs instanceof LocalFileSystem local) {
            return local.getRawFileSystem();
        }
        return fs;
    }
}
