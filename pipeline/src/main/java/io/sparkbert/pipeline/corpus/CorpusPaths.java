package io.sparkbert.pipeline.corpus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
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

    /**
     * What {@link #list} found: the files to read, each once, and every file it leaves out and why, for the report and
     * the console (a job never loses input silently).
     *
     * @param files           the files to read, each once, sorted by path
     * @param hiddenSkipped   files and directories inside an input directory whose names start with '_' or '.'
     *                        (Hadoop's convention for side files: _SUCCESS, .crc, .git); a file named as an input is
     *                        read whatever its name
     * @param duplicates      files that more than one input path names (read once)
     * @param ownOutputs      files of this job's own output (or its lock and staging) found under an input directory
     */
    public record Listing(List<FileStatus> files, List<String> hiddenSkipped, List<String> duplicates,
                          List<String> ownOutputs) {
        /** The report entries (only the non-empty lists). */
        public Map<String, Object> toReport() {
            Map<String, Object> report = new LinkedHashMap<>();
            if (!hiddenSkipped.isEmpty()) {
                report.put("hidden_files_skipped", hiddenSkipped);
            }
            if (!duplicates.isEmpty()) {
                report.put("duplicate_inputs_read_once", duplicates);
            }
            if (!ownOutputs.isEmpty()) {
                report.put("own_outputs_excluded", ownOutputs);
            }
            return report;
        }

        /** One console line per kind of file left out, or none. */
        public List<String> notes() {
            List<String> notes = new ArrayList<>();
            if (!hiddenSkipped.isEmpty()) {
                notes.add("skipped " + hiddenSkipped.size() + " hidden file(s) or directories in input directories "
                        + "(names starting with '_' or '.'; name a file as an input to read it): "
                        + String.join(", ", hiddenSkipped));
            }
            if (!duplicates.isEmpty()) {
                notes.add(duplicates.size() + " file(s) named by more than one input, read once: "
                        + String.join(", ", duplicates));
            }
            if (!ownOutputs.isEmpty()) {
                notes.add("excluded " + ownOutputs.size() + " file(s) of this job's own output found under the input: "
                        + String.join(", ", ownOutputs));
            }
            return notes;
        }
    }

    /** Every file under the given paths (directories are listed recursively), sorted by path. */
    public static List<FileStatus> listFiles(List<String> paths, Configuration hadoop) {
        return list(paths, hadoop, List.of()).files();
    }

    /**
     * Every file under the given paths (files, directories listed recursively, globs), each once, sorted by path,
     * leaving out hidden files inside directories and the files of {@code outputs} (this job's outputs: a path, what
     * is under it, and its lock and staging files {@code .NAME.*} beside it), and saying so.
     */
    public static Listing list(List<String> paths, Configuration hadoop, List<String> outputs) {
        Map<String, FileStatus> files = new TreeMap<>();
        Set<String> duplicates = new TreeSet<>();
        Set<String> hidden = new TreeSet<>();
        Set<String> own = new TreeSet<>();
        try {
            List<Path> outputPaths = new ArrayList<>();
            for (String output : outputs) {
                Path o = new Path(output);
                outputPaths.add(o.getFileSystem(hadoop).makeQualified(o));
            }
            for (String path : paths) {
                Path p = new Path(path);
                FileSystem fs = p.getFileSystem(hadoop);
                FileStatus[] matches = fs.globStatus(p);
                if (matches == null) {
                    continue;
                }
                Map<String, FileStatus> found = new TreeMap<>();
                for (FileStatus match : matches) {
                    collect(fs, match, found, hidden, own, outputPaths);
                }
                for (Map.Entry<String, FileStatus> e : found.entrySet()) {
                    if (files.putIfAbsent(e.getKey(), e.getValue()) != null) {
                        duplicates.add(e.getKey());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list input files", e);
        }
        return new Listing(List.copyOf(files.values()), List.copyOf(hidden), List.copyOf(duplicates),
                List.copyOf(own));
    }

    private static void collect(FileSystem fs, FileStatus status, Map<String, FileStatus> out, Set<String> hidden,
                                Set<String> own, List<Path> outputs) throws IOException {
        Path path = fs.makeQualified(status.getPath());
        if (isOwnOutput(path, outputs)) {
            if (status.isDirectory()) {
                listAll(fs, status, own);
            } else {
                own.add(path.toString());
            }
            return;
        }
        if (status.isDirectory()) {
            for (FileStatus child : fs.listStatus(status.getPath())) {
                String name = child.getPath().getName();
                if ((name.startsWith(".") || name.startsWith("_"))
                        && !isOwnOutput(fs.makeQualified(child.getPath()), outputs)) {
                    hidden.add(fs.makeQualified(child.getPath()) + (child.isDirectory() ? "/" : ""));
                } else {
                    collect(fs, child, out, hidden, own, outputs);
                }
            }
        } else {
            out.put(path.toString(), status);
        }
    }

    private static void listAll(FileSystem fs, FileStatus status, Set<String> out) throws IOException {
        if (status.isDirectory()) {
            for (FileStatus child : fs.listStatus(status.getPath())) {
                listAll(fs, child, out);
            }
        } else {
            out.add(fs.makeQualified(status.getPath()).toString());
        }
    }

    /** Whether {@code path} is an output, is under one, or is an output's lock or staging file ({@code .NAME.*}). */
    private static boolean isOwnOutput(Path path, List<Path> outputs) {
        String p = path.toString();
        for (Path output : outputs) {
            String o = output.toString();
            if (p.equals(o) || p.startsWith(o + "/")) {
                return true;
            }
            Path parent = output.getParent();
            if (parent != null && path.getParent() != null && path.getParent().equals(parent)
                    && path.getName().startsWith("." + output.getName() + ".")) {
                return true;
            }
        }
        return false;
    }

    /** The first bytes a file is judged by. */
    private static final int SNIFF_BYTES = 8192;

    /**
     * Whether a file is not text to learn words from, judged by its first 8 KiB after decompression (.gz …): a
     * UTF-16 byte order mark (not supported), or NUL bytes and invalid UTF-8 sequences, at least 16 and a tenth of
     * them (binary; text with a stray NUL or some Latin-1 is text). Returns the reason, or null for text.
     */
    public static String notText(FileStatus file, Configuration hadoop) {
        Path path = file.getPath();
        try {
            FileSystem fs = path.getFileSystem(hadoop);
            var codec = new org.apache.hadoop.io.compress.CompressionCodecFactory(hadoop).getCodec(path);
            try (java.io.InputStream raw = fs.open(path);
                 java.io.InputStream in = codec == null ? raw : codec.createInputStream(raw)) {
                byte[] head = in.readNBytes(SNIFF_BYTES);
                if (head.length >= 2 && ((head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xFE
                        || (head[0] & 0xFF) == 0xFE && (head[1] & 0xFF) == 0xFF)) {
                    return "UTF-16, not supported";
                }
                long bad = 0;
                for (byte b : head) {
                    bad += b == 0 ? 1 : 0;
                }
                var decoder = new io.sparkbert.pipeline.text.LenientUtf8Decoder();
                decoder.decode(head, 0, head.length);
                bad += decoder.invalidSequences();
                return bad >= 16 && bad * 10 >= head.length ? "binary" : null; // a few bad bytes: text
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }
}
