package io.sparkbert.pipeline.preprocess;

import io.sparkbert.pipeline.TestData;
import io.sparkbert.pipeline.corpus.CorpusPaths;
import io.sparkbert.pipeline.corpus.DocumentParser;
import io.sparkbert.pipeline.reference.ReferenceVocabs;
import io.sparkbert.pipeline.samples.SampleConfig;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreprocessJobSmokeTest {
    @TempDir
    Path dir;

    @Test
    void runs() throws Exception {
        SparkSession spark = SparkSession.builder().master("local[2]").appName("smoke")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
        try {
            var files = CorpusPaths.listFiles(List.of(TestData.corpusDir().resolve("kjv").toString()),
                    spark.sparkContext().hadoopConfiguration());
            var options = new PreprocessJob.Options(DocumentParser.Format.LINES, true,
                    new SampleConfig(128, 20, 0.15, 0.1, 1, false, SampleConfig.Truncation.HEAD, 12345), 4, 3, 1 << 20);
            long start = System.nanoTime();
            var result = PreprocessJob.run(spark, files, ReferenceVocabs.bertBaseUncased(), options,
                    dir.resolve("out").toString(), "part");
            System.out.println("seconds " + (System.nanoTime() - start) / 1e9);
            System.out.println(result.input().toMap());
            System.out.println(result.samples().toMap());
            System.out.println(result.shardFiles());
        } finally {
            spark.stop();
        }
    }
}
