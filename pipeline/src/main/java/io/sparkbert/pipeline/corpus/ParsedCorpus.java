package io.sparkbert.pipeline.corpus;

import java.io.Serializable;

/** What parsing one corpus file yields: its documents, then one summary of the file. */
public sealed interface ParsedCorpus extends Serializable {
    /** A document of file {@code fileIndex}, the {@code ordinal}-th of that file, sentences tokenized. */
    record ParsedDocument(int fileIndex, long ordinal, int[][] sentences) implements ParsedCorpus {
    }

    /** The counts of file {@code fileIndex}, emitted after its last document. */
    record FileSummary(int fileIndex, InputStats stats) implements ParsedCorpus {
    }
}
