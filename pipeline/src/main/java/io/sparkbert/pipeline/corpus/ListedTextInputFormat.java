package io.sparkbert.pipeline.corpus;

import java.io.IOException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.mapred.JobConf;
import org.apache.hadoop.mapred.TextInputFormat;

/**
 * Lines of text of exactly the files given as input paths, as {@link CorpusPaths#list} chose them: no globbing and no
 * hidden-file filter here (Hadoop's filter made a file named {@code _notes.txt} "not exist" although it was named).
 */
public class ListedTextInputFormat extends TextInputFormat {
    @Override
    protected FileStatus[] listStatus(JobConf job) throws IOException {
        Path[] paths = getInputPaths(job);
        FileStatus[] statuses = new FileStatus[paths.length];
        for (int i = 0; i < paths.length; i++) {
            statuses[i] = paths[i].getFileSystem(job).getFileStatus(paths[i]);
        }
        return statuses;
    }

    /** The same for the new MapReduce API (lines end at '\n' only when the job sets that delimiter). */
    public static class NewApi extends org.apache.hadoop.mapreduce.lib.input.TextInputFormat {
        @Override
        protected java.util.List<FileStatus> listStatus(org.apache.hadoop.mapreduce.JobContext job) throws IOException {
            java.util.List<FileStatus> statuses = new java.util.ArrayList<>();
            for (Path path : getInputPaths(job)) {
                statuses.add(path.getFileSystem(job.getConfiguration()).getFileStatus(path));
            }
            return statuses;
        }
    }
}
