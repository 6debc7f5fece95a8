package io.sparkbert.pipeline.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.pipeline.samples.Document;
import io.sparkbert.pipeline.samples.SampleConfig;
import io.sparkbert.pipeline.samples.SentenceSplitter;
import io.sparkbert.pipeline.text.LenientUtf8Decoder;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.IntList;
import io.sparkbert.pipeline.tokenizer.UnicodeRules;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the lines of one corpus file into tokenized documents (docs/design.md §1), counting everything bad it
 * meets instead of failing (a sentence longer than a sample is cut with the configured truncation):
 * <ul>
 *   <li>{@code LINES}: one sentence per line, an empty (or blank) line between documents, the format
 *       of Google's BERT tools;</li>
 *   <li>{@code JSONL}: one document per line, a JSON object whose {@code text} field is split into
 *       sentences by {@link SentenceSplitter}.</li>
 * </ul>
 * Invalid UTF-8 is replaced and counted; control characters are removed (by the tokenizer) and
 * counted; a line longer than the cap is dropped and counted; a sentence that tokenizes to nothing is
 * dropped, a document left with no sentence is skipped, both counted. A file with a NUL byte in its
 * first 8 KiB is treated as binary: skipped whole and counted; a file starting with a UTF-16 byte order mark is
 * skipped whole and counted apart (UTF-16 is not supported: convert it to UTF-8). Documents never span files: one parser
 * reads one file.
 */
public final class DocumentParser {
    /** Corpus file formats. */
    public enum Format { LINES, JSONL }

    private static final int BINARY_SNIFF_BYTES = 8192;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Format format;
    private final BertTokenizer tokenizer;
    private final SentenceSplitter splitter = new SentenceSplitter();
    private final SampleConfig samples;
    private final int maxLineBytes;
    private final InputStats stats;
    /** This file's counts, added to {@link #stats} at its end unless it turns out to be binary. */
    private final InputStats fileStats = new InputStats();
    private final LenientUtf8Decoder decoder = new LenientUtf8Decoder();
    private final IntList ids = new IntList(256);

    private List<int[]> current = new ArrayList<>();
    /** Whether the current document had any text, even if none of it tokenized to anything. */
    private boolean currentHadText;
    /** Documents held back until the binary sniff is over, so a binary file yields nothing. */
    private final List<List<int[]>> held = new ArrayList<>();
    private long bytesSeen;
    private boolean binary;
    private boolean utf16;

    /**
     * @param samples      sample settings: a sentence longer than one sample holds is cut to fit with
     *                     their truncation strategy (and counted)
     * @param maxLineBytes lines longer than this are dropped and counted
     */
    public DocumentParser(Format format, BertTokenizer tokenizer, SampleConfig samples, int maxLineBytes,
                          InputStats stats) {
        this.format = format;
        this.tokenizer = tokenizer;
        this.samples = samples;
        this.maxLineBytes = maxLineBytes;
        this.stats = stats;
        stats.files++;
    }

    /** Feeds one line (its bytes without the newline); finished documents are added to {@code out}. */
    public void line(byte[] bytes, int length, List<List<int[]>> out) {
        if (binary) {
            return;
        }
        if (bytesSeen == 0 && length >= 2 && ((bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xFE
                || (bytes[0] & 0xFF) == 0xFE && (bytes[1] & 0xFF) == 0xFF)) {
            utf16 = true; // a UTF-16 byte order mark: not binary, but not supported either (counted apart)
            binary = true;
            return;
        }
        if (bytesSeen < BINARY_SNIFF_BYTES) {
            int limit = (int) Math.min(length, BINARY_SNIFF_BYTES - bytesSeen);
            for (int i = 0; i < limit; i++) {
                if (bytes[i] == 0) {
                    binary = true;
                    held.clear();
                    current.clear();
                    return;
                }
            }
        }
        bytesSeen += length + 1;
        fileStats.bytes += length + 1;
        fileStats.lines++;
        List<List<int[]>> target = bytesSeen < BINARY_SNIFF_BYTES ? held : out;
        if (target == out && !held.isEmpty()) {
            out.addAll(held);
            held.clear();
        }
        if (length > maxLineBytes) {
            fileStats.longLinesDropped++;
            return;
        }
        String text = decoder.decode(bytes, 0, length);
        if (format == Format.LINES) {
            if (text.isBlank()) {
                endDocument(target);
            } else {
                addSentence(text);
            }
        } else {
            jsonDocument(text, target);
        }
    }

    /** Ends the file: the last document is finished and the file's counts are final. */
    public void endOfFile(List<List<int[]>> out) {
        if (utf16) {
            stats.utf16FilesSkipped++;
            return;
        }
        if (binary) { // nothing of a binary file counts but the file itself (its lines were never read as text)
            stats.binaryFilesSkipped++;
            return;
        }
        fileStats.invalidUtf8Sequences += decoder.invalidSequences();
        if (bytesSeen == 0) {
            fileStats.emptyFiles++;
        }
        out.addAll(held);
        held.clear();
        endDocument(out);
        stats.merge(fileStats);
    }

    private void jsonDocument(String line, List<List<int[]>> out) {
        if (line.isBlank()) {
            return;
        }
        String text;
        try {
            JsonNode node = JSON.readTree(line);
            JsonNode field = node == null ? null : node.get("text");
            if (field == null || !field.isTextual()) {
                fileStats.malformedJsonLines++;
                return;
            }
            text = field.asText();
        } catch (IOException e) {
            fileStats.malformedJsonLines++;
            return;
        }
        currentHadText = true;
        for (String sentence : splitter.split(text)) {
            addSentence(sentence);
        }
        endDocument(out);
    }

    private void addSentence(String text) {
        currentHadText = true;
        fileStats.controlCharactersRemoved += countControlCharacters(text);
        ids.clear();
        tokenizer.encode(text, ids);
        if (ids.size() == 0) {
            fileStats.emptySentencesDropped++;
            return;
        }
        int[] sentence = ids.toArray();
        if (sentence.length > samples.maxNumTokens()) {
            sentence = Document.truncateLongSentences(new int[][] {sentence}, samples).sentences()[0];
            fileStats.longSentencesTruncated++;
        }
        current.add(sentence);
    }

    private void endDocument(List<List<int[]>> out) {
        if (current.isEmpty()) {
            if (currentHadText) {
                fileStats.emptyDocumentsSkipped++;
                currentHadText = false;
            }
            return;
        }
        currentHadText = false;
        fileStats.documents++;
        fileStats.sentences += current.size();
        for (int[] sentence : current) {
            fileStats.tokens += sentence.length;
        }
        if (current.size() == 1) {
            fileStats.singleSentenceDocuments++;
        }
        out.add(current);
        current = new ArrayList<>();
    }

    /** Control and format characters (other than tab, CR, LF) that cleaning will remove. */
    static int countControlCharacters(String text) {
        int count = 0;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if ((c < 0x20 || c >= 0x7F) && UnicodeRules.isControl(c)) {
                count++;
            }
        }
        return count;
    }
}
