package io.sparkbert.pipeline.preprocess;

import io.sparkbert.pipeline.corpus.DocumentParser;
import io.sparkbert.pipeline.corpus.InputStats;
import io.sparkbert.pipeline.corpus.ParsedCorpus;
import io.sparkbert.pipeline.corpus.ParsedCorpus.FileSummary;
import io.sparkbert.pipeline.corpus.ParsedCorpus.ParsedDocument;
import io.sparkbert.pipeline.corpus.WholeFileTextInputFormat;
import io.sparkbert.pipeline.samples.Document;
import io.sparkbert.pipeline.samples.InstanceDraft;
import io.sparkbert.pipeline.samples.PairBuilder;
import io.sparkbert.pipeline.samples.SampleAssembler;
import io.sparkbert.pipeline.samples.SampleConfig;
import io.sparkbert.pipeline.samples.SampleStats;
import io.sparkbert.pipeline.samples.TrainingSample;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.util.FixedPartitioner;
import io.sparkbert.pipeline.util.ParquetFooters;
import io.sparkbert.pipeline.util.SparkOutputs;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapred.FileSplit;
import org.apache.hadoop.mapred.InputSplit;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * The Spark glue of preprocessing (docs/design.md §1, §3): corpus files → tokenized documents → NSP pair
 * drafts → masked, padded samples in Parquet shards. All the logic lives in pure stages
 * ({@link DocumentParser}, {@link PairBuilder}, {@link SampleAssembler}); this class only moves data.
 *
 * <p>Flow: each file is parsed by one task (documents never span files) and its documents get dense
 * global indices from per-file counts, in file order, so indices do not depend on partitioning. Pair
 * drafts whose B is the real continuation become samples where they are; drafts needing a random B from
 * another document are joined with that document (anywhere in the corpus). Samples go to a fixed number
 * of shards by a seeded key and are sorted by it inside each shard: the shards' content depends only on
 * corpus, config and seed.
 */
public final class PreprocessJob {
    private static final Logger LOG = LoggerFactory.getLogger(PreprocessJob.class);

    /** Spark property that makes the first attempt of one write task fail (testing retry determinism). */
    public static final String FAIL_FIRST_ATTEMPT_PROPERTY = "spark.sparkbert.test.failFirstAttemptOfShard";

    /** Options of one run. */
    public record Options(DocumentParser.Format format, boolean uncased, SampleConfig samples, int partitions,
                          int shards, int maxLineBytes) implements Serializable {
    }

    /** What a run produced. */
    public record Result(InputStats input, SampleStats samples, List<String> shardFiles) {
    }

    private PreprocessJob() {
    }

    /**
     * Processes {@code files} into Parquet shards named {@code shardPrefix-NNNNN.parquet} in
     * {@code stagingDir} (which must not exist yet).
     */
    public static Result run(SparkSession spark, List<FileStatus> files, Vocab vocab, Options options,
                             String stagingDir, String shardPrefix) throws IOException {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        JavaRDD<ParsedCorpus> parsed = parse(sc, files, vocab, options).persist(StorageLevel.MEMORY_AND_DISK_SER());

        List<FileSummary> summaries = new ArrayList<>(parsed.filter(p -> p instanceof FileSummary)
                .map(p -> (FileSummary) p).collect());
        summaries.sort((x, y) -> Integer.compare(x.fileIndex(), y.fileIndex()));
        InputStats input = new InputStats();
        long[] firstDocument = new long[files.size()];
        long numDocuments = 0;
        boolean[] summarized = new boolean[files.size()];
        for (FileSummary summary : summaries) {
            input.merge(summary.stats());
            firstDocument[summary.fileIndex()] = numDocuments;
            numDocuments += summary.stats().documents;
            summarized[summary.fileIndex()] = true;
        }
        for (int i = 0; i < files.size(); i++) {
            if (!summarized[i]) { // Spark drops the empty split of an empty file (spark.hadoopRDD.ignoreEmptySplits)
                if (files.get(i).getLen() != 0) {
                    throw new IllegalStateException("no summary for " + files.get(i).getPath());
                }
                input.files++;
                input.emptyFiles++;
            }
        }
        if (numDocuments == 0) {
            parsed.unpersist();
            throw new IllegalArgumentException("the corpus has no documents: " + files.size() + " file(s), "
                    + input.emptyFiles + " empty, " + input.binaryFilesSkipped + " binary, " + input.utf16FilesSkipped
                    + " UTF-16 (not supported: convert to UTF-8); " + input.lines + " line(s) "
                    + "read, of which " + input.longLinesDropped + " dropped as longer than " + options.maxLineBytes()
                    + " bytes (--max-line-bytes), " + input.malformedJsonLines + " malformed JSON, and "
                    + input.emptySentencesDropped + " with no text that tokenizes");
        }
        LOG.info("Parsed {} documents, {} sentences, {} tokens from {} files", numDocuments, input.sentences,
                input.tokens, input.files);

        int partitions = Math.max(1, options.partitions());
        long total = numDocuments;
        JavaRDD<Document> documents = parsed.filter(p -> p instanceof ParsedDocument)
                .map(p -> {
                    ParsedDocument d = (ParsedDocument) p;
                    return new Document(firstDocument[d.fileIndex()] + d.ordinal(), d.sentences());
                })
                .repartition(partitions)
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        documents.count();
        parsed.unpersist();

        SampleConfig config = options.samples();
        PairBuilder pairBuilder = new PairBuilder();
        Broadcast<SampleAssembler> assembler = sc.broadcast(new SampleAssembler(vocab, config));
        JavaRDD<InstanceDraft> drafts = documents.flatMap(document -> {
            List<InstanceDraft> out = new ArrayList<>();
            for (int dupe = 0; dupe < config.dupeFactor(); dupe++) {
                out.addAll(pairBuilder.build(document, dupe, total, config));
            }
            return out.iterator();
        });
        JavaRDD<TrainingSample> withRealNext = drafts.filter(d -> !d.isRandomNext())
                .map(d -> assembler.value().assemble(d, d.tokensB()));
        JavaRDD<TrainingSample> withRandomNext = drafts.filter(InstanceDraft::isRandomNext)
                .keyBy(d -> d.randomSpan().documentIndex())
                .join(documents.keyBy(Document::index), partitions)
                .values()
                .map(pair -> assembler.value().assemble(pair._1, pair._1.randomSpan().resolve(pair._2)));

        int shards = Math.max(1, options.shards());
        SampleStatsAccumulator stats = new SampleStatsAccumulator();
        sc.sc().register(stats, "samples");
        int failShard = sc.getConf().getInt(FAIL_FIRST_ATTEMPT_PROPERTY, -1);
        JavaRDD<Row> rows = withRealNext.union(withRandomNext)
                .mapToPair(s -> new Tuple2<>(s.order(), s))
                .repartitionAndSortWithinPartitions(new ShardPartitioner(shards))
                .map(kv -> {
                    TaskContext task = TaskContext.get();
                    if (task.partitionId() == failShard && task.attemptNumber() == 0) {
                        throw new IllegalStateException("injected failure of the first attempt of shard " + failShard);
                    }
                    stats.add(kv._2);
                    return SampleColumns.toRow(kv._2);
                });
        Dataset<Row> frame = spark.createDataFrame(rows, SampleColumns.SCHEMA);
        frame.write().mode(SaveMode.ErrorIfExists).parquet(stagingDir);
        documents.unpersist();
        List<String> shardFiles = SparkOutputs.renamePartFiles(stagingDir, shardPrefix, ".parquet",
                sc.hadoopConfiguration());
        for (String shard : shardFiles) { // the same bytes in every JVM, not only the same data
            ParquetFooters.canonicalize(stagingDir + "/" + shard, sc.hadoopConfiguration());
        }
        return new Result(input, stats.value().copy(), shardFiles);
    }

    /** Reads and tokenizes the files: each file's documents, then its summary. */
    private static JavaRDD<ParsedCorpus> parse(JavaSparkContext sc, List<FileStatus> files, Vocab vocab,
                                               Options options) {
        Map<String, Integer> fileIndex = new HashMap<>();
        for (int i = 0; i < files.size(); i++) {
            fileIndex.put(files.get(i).getPath().toString(), i);
        }
        Broadcast<Map<String, Integer>> fileIndexBroadcast = sc.broadcast(fileIndex);
        Broadcast<BertTokenizer> tokenizer = sc.broadcast(new BertTokenizer(vocab, options.uncased()));
        String inputs = files.stream().map(f -> f.getPath().toString()).collect(Collectors.joining(","));
        JavaHadoopRDD<LongWritable, Text> raw = (JavaHadoopRDD<LongWritable, Text>) sc.hadoopFile(inputs,
                WholeFileTextInputFormat.class, LongWritable.class, Text.class, Math.max(1, files.size()));
        return raw.mapPartitionsWithInputSplit(
                (split, lines) -> parseFile(split, lines, fileIndexBroadcast.value(), tokenizer.value(), options),
                false);
    }

    /** Only the reading and tokenizing stage, for measuring its share of the job ({@code bench preprocess}). */
    public static InputStats parseOnly(SparkSession spark, List<FileStatus> files, Vocab vocab, Options options) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return parse(sc, files, vocab, options)
                .filter(p -> p instanceof FileSummary)
                .map(p -> ((FileSummary) p).stats())
                .fold(new InputStats(), InputStats::merge);
    }

    private static Iterator<ParsedCorpus> parseFile(InputSplit split, Iterator<Tuple2<LongWritable, Text>> lines,
                                                   Map<String, Integer> fileIndex, BertTokenizer tokenizer,
                                                   Options options) {
        String path = ((FileSplit) split).getPath().toString();
        Integer index = fileIndex.get(path);
        if (index == null) {
            throw new IllegalStateException("split of an unlisted file " + path);
        }
        InputStats stats = new InputStats();
        DocumentParser parser = new DocumentParser(options.format(), tokenizer, options.samples(),
                options.maxLineBytes(), stats);
        return new Iterator<>() {
            private final ArrayDeque<List<int[]>> ready = new ArrayDeque<>();
            private final List<List<int[]>> finished = new ArrayList<>();
            private long ordinal;
            private boolean endOfFile;
            private boolean summarySent;

            /** Reads lines until a document is ready or the file has ended. */
            private void fill() {
                while (ready.isEmpty() && !endOfFile) {
                    if (lines.hasNext()) {
                        Text line = lines.next()._2;
                        parser.line(line.getBytes(), line.getLength(), finished);
                    } else {
                        parser.endOfFile(finished);
                        endOfFile = true;
                    }
                    ready.addAll(finished);
                    finished.clear();
                }
            }

            @Override
            public boolean hasNext() {
                fill();
                return !ready.isEmpty() || !summarySent;
            }

            @Override
            public ParsedCorpus next() {
                fill();
                if (!ready.isEmpty()) {
                    return new ParsedDocument(index, ordinal++, ready.poll().toArray(new int[0][]));
                }
                if (!summarySent) {
                    summarySent = true;
                    return new FileSummary(index, stats); // after the file's last document
                }
                throw new NoSuchElementException();
            }
        };
    }

    /** Sends a sample to shard floorMod(order, shards) (docs/design.md §3.5). */
    static final class ShardPartitioner extends FixedPartitioner {
        private static final long serialVersionUID = 1L;

        ShardPartitioner(int shards) {
            super(shards);
        }

        @Override
        public int getPartition(Object key) {
            return (int) Math.floorMod((Long) key, (long) numPartitions());
        }
    }
}
