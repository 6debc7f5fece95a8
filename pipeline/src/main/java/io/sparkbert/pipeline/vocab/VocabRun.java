package io.sparkbert.pipeline.vocab;

import io.sparkbert.pipeline.corpus.CorpusPaths;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one vocabulary run did: its inputs and settings, the corpus counts, the learned merges and how well the
 * vocabulary covers the corpus it was learned from. The {@code vocab} command writes {@link #report()} as
 * vocab.report.json and prints {@link #summary()}.
 */
public record VocabRun(String output, List<String> input, Vocab vocab, int requestedSize, long minCount, boolean cased,
                       CorpusWordCounts.Stats stats, CorpusPaths.Listing listing, List<String> notTextFilesSkipped,
                       int wordsUsedForMerges, WordPieceTrainer.Result merges, CorpusWordCounts.Coverage coverage,
                       double seconds) {

    /** The report, keys in a fixed order. */
    public Map<String, Object> report() {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("output", output);
        report.put("vocab_size", vocab.size());
        report.put("vocab_sha256", vocab.sha256());
        report.put("requested_size", requestedSize);
        report.put("min_count", minCount);
        report.put("cased", cased);
        report.put("input", input);
        report.put("files", stats.files());
        report.putAll(listing.toReport());
        report.put("not_text_files_skipped", notTextFilesSkipped);
        report.put("bytes", stats.bytes());
        report.put("lines", stats.lines());
        report.put("words", stats.words());
        report.put("distinct_words", stats.distinctWords());
        report.put("words_used_for_merges", wordsUsedForMerges);
        report.put("invalid_utf8_sequences_replaced", stats.invalidUtf8Sequences());
        report.put("alphabet_size", merges.alphabetSize());
        report.put("alphabet_exceeded_size", merges.alphabetExceededSize());
        report.put("merges", merges.merges());
        report.put("corpus_wordpieces_per_word", coverage.wordPiecesPerWord());
        report.put("corpus_unknown_rate", coverage.unknownRate());
        report.put("seconds", seconds);
        return report;
    }

    /** One line for the console. */
    public String summary() {
        return String.format(Locale.ROOT, "vocab: %,d tokens (alphabet %,d characters, %,d merges) from %,d words "
                        + "(%,d distinct) in %.1f s; on this corpus %.3f wordpieces/word, %.3f%% [UNK] -> %s",
                vocab.size(), merges.alphabetSize(), merges.merges(), stats.words(), stats.distinctWords(), seconds,
                coverage.wordPiecesPerWord(), 100 * coverage.unknownRate(), output);
    }
}
