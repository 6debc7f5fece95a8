package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench pretrain}'s workers: one per core unless {@code --workers} says otherwise (as {@code pretrain} on
 * {@code local[C]}), checked against the global batch before anything runs. The runs themselves are a benchmark's
 * business, not a test's: here our run fails at once on samples that do not exist.
 */
class BenchPretrainTest {
    @TempDir
    Path dir;

    private Cli.Result bench(String... options) {
        String[] common = {"bench", "pretrain", "--data", dir.resolve("no-samples").toString(), "--eval-data",
            dir.resolve("no-held-out").toString(), "--runs", "1", "--steps", "1", "--work", dir.toString()};
        String[] args = new String[common.length + options.length];
        System.arraycopy(common, 0, args, 0, common.length);
        System.arraycopy(options, 0, args, common.length, options.length);
        return Cli.run(args);
    }

    @Test
    void theDefaultIsOneWorkerPerCoreAndMustDivideTheBatch() {
        // three cores: three workers by default, and 32 samples do not split over three
        Cli.Result threeCores = bench("--cores", "3", "--batch-size", "32");
        assertEquals(2, threeCores.exitCode(), threeCores.err());
        assertTrue(threeCores.err().contains("--batch-size a multiple of the workers"), threeCores.err());
        assertFalse(threeCores.out().contains("core(s):"), "refused before the header: " + threeCores.out());

        // two cores: two workers of 16; the run then fails on the missing samples, with its log named
        Cli.Result twoCores = bench("--cores", "2", "--batch-size", "32");
        assertTrue(twoCores.out().contains("ours: 2 core(s): 2 worker(s) x 16"), twoCores.out());
        assertEquals(2, twoCores.exitCode(), twoCores.err());
        assertTrue(twoCores.err().contains("our pretrain failed"), twoCores.err());
    }

    @Test
    void givenWorkersHoldForEveryCoreCount() {
        Cli.Result oneWorker = bench("--cores", "3", "--workers", "1", "--batch-size", "32");
        assertTrue(oneWorker.out().contains("ours: 3 core(s): 1 worker(s) x 32"), oneWorker.out());
        assertTrue(oneWorker.err().contains("our pretrain failed"), oneWorker.err());

        Cli.Result negative = bench("--cores", "1", "--workers", "-1");
        assertEquals(2, negative.exitCode(), negative.err());
        assertTrue(negative.err().contains("--workers at least 0"), negative.err());
    }
}
