package io.sparkbert.pipeline.corpus;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Lines of text, one split per file: documents never span files, and a file read start to end by one
 * task needs no rules for documents crossing split boundaries. Reading is cheap next to tokenizing, and
 * the job repartitions the parsed documents, so a large single file does not serialise the work.
 */
public final class WholeFileTextInputFormat extends ListedTextInputFormat {
    @Override
    protected boolean isSplitable(FileSystem fs, Path file) {
        return false;
    }
}
