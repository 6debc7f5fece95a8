package io.sparkbert.pipeline.corpus;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What reading a corpus found, good and bad (docs/design.md §1): every job reports these next to its output.
 * Mutable counters, merged across files and tasks.
 */
public final class InputStats implements Serializable {
    private static final long serialVersionUID = 1L;

    public long files;
    public long bytes;
    public long lines;
    public long documents;
    public long sentences;
    public long tokens;
    public long emptyFiles;
    public long binaryFilesSkipped;
    public long utf16FilesSkipped;
    public long invalidUtf8Sequences;
    public long controlCharactersRemoved;
    public long longLinesDropped;
    public long longSentencesTruncated;
    public long emptySentencesDropped;
    public long emptyDocumentsSkipped;
    public long singleSentenceDocuments;
    public long malformedJsonLines;

    public InputStats merge(InputStats other) {
        files += other.files;
        bytes += other.bytes;
        lines += other.lines;
        documents += other.documents;
        sentences += other.sentences;
        tokens += other.tokens;
        emptyFiles += other.emptyFiles;
        binaryFilesSkipped += other.binaryFilesSkipped;
        utf16FilesSkipped += other.utf16FilesSkipped;
        invalidUtf8Sequences += other.invalidUtf8Sequences;
        controlCharactersRemoved += other.controlCharactersRemoved;
        longLinesDropped += other.longLinesDropped;
        longSentencesTruncated += other.longSentencesTruncated;
        emptySentencesDropped += other.emptySentencesDropped;
        emptyDocumentsSkipped += other.emptyDocumentsSkipped;
        singleSentenceDocuments += other.singleSentenceDocuments;
        malformedJsonLines += other.malformedJsonLines;
        return this;
    }

    /** The counts under the names report.json uses. */
    public Map<String, Long> toMap() {
        Map<String, Long> map = new LinkedHashMap<>();
        map.put("files", files);
        map.put("bytes", bytes);
        map.put("lines", lines);
        map.put("documents", documents);
        map.put("sentences", sentences);
        map.put("tokens", tokens);
        map.put("empty_files", emptyFiles);
        map.put("binary_files_skipped", binaryFilesSkipped);
        map.put("utf16_files_skipped", utf16FilesSkipped);
        map.put("invalid_utf8_sequences_replaced", invalidUtf8Sequences);
        map.put("control_characters_removed", controlCharactersRemoved);
        map.put("long_lines_dropped", longLinesDropped);
        map.put("long_sentences_truncated", longSentencesTruncated);
        map.put("empty_sentences_dropped", emptySentencesDropped);
        map.put("empty_documents_skipped", emptyDocumentsSkipped);
        map.put("single_sentence_documents", singleSentenceDocuments);
        map.put("malformed_json_lines", malformedJsonLines);
        return map;
    }
}
