package io.sparkbert.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutorRssWatcherTest {
    @TempDir
    Path work;

    @Test
    void samplesTheResidentMemoryOfARealProcessOverTime() throws Exception {
        ProcessHandle self = ProcessHandle.current();
        Map<Long, List<ExecutorRssWatcher.Sample>> series;
        Map<Long, Long> peak;
        try (ExecutorRssWatcher watcher = new ExecutorRssWatcher(() -> List.of(self), work, 0.5)) {
            Thread.sleep(2_200);
            series = watcher.rssSeries();
            peak = watcher.peakRssMb();
        }
        List<ExecutorRssWatcher.Sample> samples = series.get(self.pid());
        assertTrue(samples.size() >= 3, samples.toString());
        for (int i = 0; i < samples.size(); i++) {
            ExecutorRssWatcher.Sample s = samples.get(i);
            assertTrue(s.mb() > 10, "a JVM is resident in more than 10 MB: " + s);
            assertTrue(s.mb() <= peak.get(self.pid()), "RSS above the high-water mark: " + s + " > " + peak);
            if (i > 0) {
                assertTrue(s.seconds() > samples.get(i - 1).seconds(), samples.toString());
            }
        }
        try (ExecutorRssWatcher none = new ExecutorRssWatcher(List::of, work, 1)) {
            assertEquals(0, none.executorDirectories());
        }
    }

    @Test
    void growthOverTheSecondHalfTellsAPlateauFromALeak() {
        List<ExecutorRssWatcher.Sample> plateau = List.of(sample(0, 400), sample(60, 1900), sample(120, 2000),
                sample(180, 2010), sample(240, 2005));
        // half of 0..240 s is 120 s: 2005 - 2000
        assertEquals(5, ExecutorRssWatcher.secondHalfGrowthMb(plateau));
        List<ExecutorRssWatcher.Sample> leak = List.of(sample(0, 400), sample(100, 1000), sample(200, 1600),
                sample(300, 2200));
        // half is 150 s: the first sample at or after it is 200 s's
        assertEquals(600, ExecutorRssWatcher.secondHalfGrowthMb(leak));
        assertEquals(0, ExecutorRssWatcher.secondHalfGrowthMb(List.of(sample(0, 500))));
        assertEquals("0: 400, 100: 1000, 200: 1600, 300: 2200", ExecutorRssWatcher.describe(leak));
    }

    @Test
    void aLongSeriesIsShownThinnedOutWithItsLastSample() {
        List<ExecutorRssWatcher.Sample> hour = java.util.stream.IntStream.range(0, 61)
                .mapToObj(m -> sample(60 * m, 1000 + m)).toList();
        String shown = ExecutorRssWatcher.describe(hour);
        assertTrue(shown.startsWith("0: 1000, 360: 1006, "), shown); // every 6th of 61 samples
        assertTrue(shown.endsWith(", 3600: 1060"), shown);
        assertTrue(shown.split(", ").length <= 12, shown);
        assertEquals("-", ExecutorRssWatcher.describe(List.of()));
    }

    private static ExecutorRssWatcher.Sample sample(double seconds, long mb) {
        return new ExecutorRssWatcher.Sample(seconds, mb);
    }
}
