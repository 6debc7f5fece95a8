package io.sparkbert.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PretrainFiguresTest {

    @Test
    void figuresFollowFromTheRatesAndTheChildProcess() {
        PretrainFigures f = PretrainFigures.of(30, 40, new ChildRun(0, 50, 3L << 30), 1000, 0.125);
        assertEquals(0.25, f.outsideShare(), 1e-15);
        assertEquals(20.0, f.commandSamplesPerSecond(), 1e-12);
        assertEquals(3072, f.peakRssMb());
        assertTrue(f.line("ours", 1, 2).contains("outside steps 25.0%"), f.line("ours", 1, 2));
    }

    @Test
    void summaryTakesTheMedianOfPairedRatiosNotTheRatioOfMedians() {
        ChildRun command = new ChildRun(0, 100, 0);
        // ours/peer per run: 10/20 = 0.5, 30/20 = 1.5, 12/10 = 1.2 -> median 1.2;
        // the ratio of the medians (12/20 = 0.6) would be wrong: runs are paired in time
        List<PretrainFigures> ours = List.of(PretrainFigures.of(10, 10, command, 1, 0),
                PretrainFigures.of(30, 30, command, 1, 0), PretrainFigures.of(12, 12, command, 1, 0));
        List<PretrainFigures> peer = List.of(PretrainFigures.of(20, 20, command, 1, 0),
                PretrainFigures.of(20, 20, command, 1, 0), PretrainFigures.of(10, 10, command, 1, 0));
        String summary = PretrainFigures.summary(2, ours, peer);
        assertTrue(summary.contains("ours 12.0 vs peer 20.0 samples/s over the training loop (ours/peer 1.20)"),
                summary);
        assertThrows(IllegalArgumentException.class, () -> PretrainFigures.summary(1, ours, peer.subList(0, 2)));
    }
}
