package io.sparkbert.jobs;

import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.FileTokenizer;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.util.AtomicOutput;
import io.sparkbert.pipeline.util.Progress;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Tokenizes a text file into id lines in one JVM (no Spark): for inspection and benchmarking. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Tokenize a UTF-8 text file with BERT WordPiece, one JVM, no Spark.",
            "Writes one line per input line: the space-separated token ids, without [CLS]/[SEP]; an empty "
                + "input line gives an empty output line. Invalid UTF-8 is replaced (and counted), never fatal."})
final class TokenizeCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(TokenizeCommand.class);

    @Option(names = "--vocab", required = true, paramLabel = "FILE", description = "BERT vocab.txt.")
    Path vocab;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "UTF-8 text, one text per line.")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "Where to write the id lines.")
    Path output;

    @Option(names = "--cased", negatable = true, description = "Keep case and accents (cased vocabularies).")
    boolean cased;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads; 0 = one per core.")
    int threads;

    @Option(names = "--overwrite", description = "Replace an existing output file.")
    boolean overwrite;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        SparkBert.UserError.requireAtLeast("--threads", threads, 0, "0 = one per core");
        if (Files.isDirectory(input)) {
            throw new SparkBert.UserError("--input " + input + " is a directory; tokenize reads one file (preprocess "
                    + "reads directories)");
        }
        if (!Files.isRegularFile(input)) {
            throw new NoSuchFileException(input.toString(), null, "input file not found");
        }
        if (Files.exists(output) && Files.isSameFile(input, output)) {
            throw new SparkBert.UserError("--output " + output + " is the input file; write the ids elsewhere");
        }
        Configuration hadoop = new Configuration();
        String target = output.toAbsolutePath().toUri().toString();
        AtomicOutput.checkWritable(target, overwrite, hadoop);
        Vocab vocabulary = Vocab.load(vocab);
        int workers = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        FileTokenizer tokenizer = new FileTokenizer(new BertTokenizer(vocabulary, !cased), workers);
        LOG.info("Tokenizing {} ({} bytes) with {} ({} tokens, {}) on {} thread(s)", input, Files.size(input),
                vocab, vocabulary.size(), cased ? "cased" : "uncased", workers);
        Progress progress = new Progress(LOG, "tokenize", "bytes", Files.size(input), 5);
        FileTokenizer.Stats[] stats = new FileTokenizer.Stats[1];
        AtomicOutput.write(target, overwrite, hadoop, out -> {
            try (InputStream in = Files.newInputStream(input)) {
                stats[0] = tokenizer.run(in, out, progress);
            }
        });
        FileTokenizer.Stats s = stats[0];
        System.err.printf(Locale.ROOT, "tokenize: %,d lines, %,d bytes, %,d wordpieces (%,d [UNK]), "
                        + "%,d invalid UTF-8 sequences replaced, %.2f s, %,.0f wordpieces/s -> %s%n",
                s.lines(), s.bytes(), s.wordPieces(), s.unknownPieces(), s.invalidUtf8Sequences(), s.seconds(),
                s.wordPiecesPerSecond(), output);
        return 0;
    }
}
