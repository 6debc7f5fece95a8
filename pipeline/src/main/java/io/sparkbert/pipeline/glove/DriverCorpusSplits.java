package io.sparkbert.pipeline.glove;

import io.sparkbert.pipeline.corpus.ListedTextInputFormat;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.RecordReader;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.hadoop.mapreduce.TaskAttemptID;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.task.TaskAttemptContextImpl;
import scala.Tuple2;

/**
 * The corpus read and counted by the driver's own threads, no Spark session: for a small corpus on the local
 * filesystem, where Spark's start-up and its per-stage and per-task costs take longer than the counting. The
 * input splits and their lines are Hadoop's, made by the same input format and configuration as
 * {@link SparkCorpusSplits}' (so the same lines, split at the same places); a pass maps the splits on the threads,
 * keeps every partition's blobs in memory (the corpus is small) and reduces the partitions on the threads.
 */
final class DriverCorpusSplits implements CorpusSplits {
    private final Configuration hadoop;
    private final ExecutorService threads;
    private final int threadCount;
    private List<TokenizedSplit> splits;

    /**
     * Reads and splits {@code files} into words on {@code threadCount} threads; {@code partitions} is the
     * minimum number of input splits (as Spark's runner takes it, without its repartitioning of unsplittable
     * files, which changes no output).
     */
    DriverCorpusSplits(Configuration hadoop, List<FileStatus> files, CooccurrenceJob.LineWords lineWords,
                       int threadCount, int partitions) throws IOException {
        if (threadCount < 1) {
            throw new IllegalArgumentException("threads must be at least 1: " + threadCount);
        }
        this.hadoop = hadoop;
        this.threadCount = threadCount;
        AtomicInteger names = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(threadCount, r -> {
            Thread t = new Thread(r, "cooccur-" + names.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        try {
            Configuration input = CooccurrenceJob.inputConfiguration(hadoop, files, Math.max(partitions, threadCount));
            Job job = Job.getInstance(input);
            FileInputFormat.setInputPaths(job, files.stream().map(f -> f.getPath().toString())
                    .collect(Collectors.joining(",")));
            ListedTextInputFormat.NewApi format = new ListedTextInputFormat.NewApi();
            List<InputSplit> inputSplits = format.getSplits(job);
            Configuration taskConf = job.getConfiguration();
            List<Callable<TokenizedSplit>> reads = new ArrayList<>();
            for (InputSplit split : inputSplits) {
                reads.add(() -> read(format, split, taskConf, lineWords));
            }
            this.splits = runAll(reads);
        } catch (RuntimeException | IOException e) {
            threads.shutdownNow();
            throw e;
        }
    }

    private static TokenizedSplit read(ListedTextInputFormat.NewApi format, InputSplit split, Configuration conf,
                                       CooccurrenceJob.LineWords lineWords) throws IOException, InterruptedException {
        TaskAttemptContext context = new TaskAttemptContextImpl(conf, new TaskAttemptID());
        try (RecordReader<LongWritable, Text> reader = format.createRecordReader(split, context)) {
            reader.initialize(split, context);
            return TokenizedSplit.read(new Lines(reader), lineWords);
        }
    }

    @Override
    public int parallelism() {
        return threadCount;
    }

    @Override
    public String runner() {
        return "driver (" + threadCount + (threadCount == 1 ? " thread)" : " threads)");
    }

    @Override
    public int splitCount() {
        return splits.size();
    }

    @Override
    public Configuration hadoop() {
        return hadoop;
    }

    @Override
    public <T extends Serializable> SharedValue<T> share(T value) {
        return () -> value;
    }

    @Override
    public <R> List<R> mapAndReduce(SplitMapper mapper, int partitions, PartitionReducer<R> reducer) {
        List<Callable<List<Tuple2<Integer, byte[]>>>> maps = new ArrayList<>();
        for (TokenizedSplit split : splits) {
            maps.add(() -> {
                List<Tuple2<Integer, byte[]>> blobs = new ArrayList<>();
                mapper.map(split).forEachRemaining(blobs::add);
                return blobs;
            });
        }
        List<List<Tuple2<Integer, byte[]>>> byPartition = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            byPartition.add(new ArrayList<>());
        }
        for (List<Tuple2<Integer, byte[]>> blobs : runAll(maps)) {
            for (Tuple2<Integer, byte[]> blob : blobs) {
                byPartition.get(Math.floorMod(blob._1, partitions)).add(blob);
            }
        }
        List<Callable<List<R>>> reduces = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            int partition = p;
            reduces.add(() -> {
                List<Tuple2<Integer, byte[]>> blobs = byPartition.set(partition, null); // freed as it is reduced
                List<R> results = new ArrayList<>();
                reducer.reduce(partition, blobs.iterator()).forEachRemaining(results::add);
                return results;
            });
        }
        List<R> results = new ArrayList<>();
        runAll(reduces).forEach(results::addAll);
        return results;
    }

    /** Runs the tasks on the threads; their results in task order, or the first task's failure. */
    private <T> List<T> runAll(List<Callable<T>> tasks) {
        List<Future<T>> running = new ArrayList<>(tasks.size());
        tasks.forEach(task -> running.add(threads.submit(task)));
        List<T> results = new ArrayList<>(tasks.size());
        try {
            for (Future<T> task : running) {
                results.add(task.get());
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while counting co-occurrences", e);
        } catch (ExecutionException e) {
            running.forEach(task -> task.cancel(true));
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            if (cause instanceof IOException io) {
                throw new UncheckedIOException(io);
            }
            throw new IllegalStateException(cause.toString(), cause);
        }
    }

    @Override
    public void close() {
        splits = null;
        threads.shutdownNow();
    }

    /** A record reader's lines (its Text reused from line to line, as Spark's reader does). */
    private static final class Lines implements Iterator<Text> {
        private final RecordReader<LongWritable, Text> reader;
        private Boolean ahead;

        Lines(RecordReader<LongWritable, Text> reader) {
            this.reader = reader;
        }

        @Override
        public boolean hasNext() {
            if (ahead == null) {
                try {
                    ahead = reader.nextKeyValue();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while reading", e);
                }
            }
            return ahead;
        }

        @Override
        public Text next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            ahead = null;
            try {
                return reader.getCurrentValue();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading", e);
            }
        }
    }
}
