package io.sparkbert.pipeline.corpus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Input paths as users give them (files, directories, globs, comma-separated, on any Hadoop
 * filesystem), checked before any work starts so that a typo is a clear error, not an empty job.
 */
public final class CorpusPaths {
    private CorpusPaths() {
    }

    /** Splits a comma-separated list of paths, dropping empty entries. */
    public static List<String> split(String paths) {
        return Arrays.stream(paths.split(",")).map(String::trim).filter(p -> !p.isEmpty()).toList();
    }

    /**
     * Checks that every path or glob matches something.
     *
     * @throws IllegalArgumentException naming the first path that matches nothing
     */
    public static void requireExisting(List<String> paths, Configuration hadoop) {
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("no input path given");
        }
        for (String path : paths) {
            try {
                Path p = new Path(path);
                FileSystem fs = p.getFileSystem(hadoop);
                FileStatus[] matches = fs.globStatus(p);
                if (matches == null || matches.length == 0) {
                    throw new IllegalArgumentException("input path does not exist: " + path);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list input path " + path, e);
            }
        }
    }

    /** Every file under the given paths (directories are listed recursively), sorted by path. */
    public static List<FileStatus> listFiles(List<String> paths, Configuration hadoop) {
        List<FileStatus> files = new ArrayList<>();
        try {
            for (String path : paths) {
                Path p = new Path(path);
                FileSystem fs = p.getFileSystem(hadoop);
                FileStatus[] matches = fs.globStatus(p);
                if (matches == null) {
                    continue;
                }
                for (FileStatus match : matches) {
                    collect(fs, match, files);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list input files", e);
        }
        files.sort((a, b) -> a.getPath().toString().compareTo(b.getPath().toString()));
        return files;
    }

    private static void collect(FileSystem fs, FileStatus status, List<FileStatus> out) throws IOException {
        if (status.isDirectory()) {
            for (FileStatus child : fs.listStatus(status.getPath())) {
                String name = child.getPath().getName();
                if (!name.startsWith(".") && !name.startsWith("_")) { // Hadoop's hidden-file convention
                    collect(fs, child, out);
                }
            }
        } else {
            out.add(status);
        }
    }
}
