package io.sparkbert.pipeline.util;

import java.io.IOException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An output directory that appears complete or not at all: everything is written into a hidden staging
 * directory beside it, renamed into place at the end. A finished output is never replaced unless asked.
 */
public final class AtomicDirectory {
    private final Path target;
    private final FileSystem fs;

    public AtomicDirectory(String target, Configuration hadoop) throws IOException {
        this.target = new Path(target);
        FileSystem fileSystem = this.target.getFileSystem(hadoop);
        this.fs = fileSystem instanceof LocalFileSystem local ? local.getRawFileSystem() : fileSystem;
    }

    public Path target() {
        return target;
    }

    /** The filesystem, without checksum side files for local paths. */
    public FileSystem fileSystem() {
        return fs;
    }

    /** Fails before any work starts if the target exists and may not be replaced. */
    public void checkWritable(boolean overwrite) throws IOException {
        if (!overwrite && fs.exists(target)) {
            throw new OutputExistsException(target.toString());
        }
    }

    /** A new hidden staging directory beside the target (not created). */
    public Path newStaging() {
        return new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
    }

    /** Renames the staging directory into place, replacing a previous output only if {@code overwrite}. */
    public void commit(Path staging, boolean overwrite) throws IOException {
        Path old = null;
        if (fs.exists(target)) {
            if (!overwrite) {
                throw new OutputExistsException(target.toString());
            }
            old = new Path(target.getParent(), "." + target.getName() + ".old-" + UUID.randomUUID());
            rename(target, old);
        }
        rename(staging, target);
        if (old != null) {
            fs.delete(old, true);
        }
    }

    /** Removes a staging directory after a failure. */
    public void abandon(Path staging) throws IOException {
        fs.delete(staging, true);
    }

    private void rename(Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("cannot rename " + from + " to " + to);
        }
    }
}
