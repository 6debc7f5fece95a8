package io.sparkbert.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Rates over wall time, and the narrower in-step rate in which a round lasts as long as its slowest worker. */
class ThroughputTest {

    @Test
    void stepTimeOfARoundIsItsSlowestWorkersAndWallRatesCountEverything() throws InterruptedException {
        Throughput t = new Throughput();
        // two workers, two steps each: worker 0 spends 30 ms in its steps, worker 1 50 ms
        t.add(List.of(
                new StepHook.StepRecord(0, 0, 1, 0.5, 0.5, 16, 100, 10_000_000L),
                new StepHook.StepRecord(0, 1, 1, 0.5, 0.5, 16, 120, 20_000_000L),
                new StepHook.StepRecord(1, 0, 1, 0.5, 0.5, 16, 100, 20_000_000L),
                new StepHook.StepRecord(1, 1, 1, 0.5, 0.5, 16, 130, 30_000_000L)));
        Thread.sleep(120);      // evaluation, checkpoints: outside the steps
        t.endRound();
        assertEquals(64, t.samples());
        assertEquals(450, t.tokens());
        assertEquals(0.050, t.stepSeconds(), 1e-12);
        assertEquals(64 / 0.050, t.stepSamplesPerSecond(), 1e-6);
        assertTrue(t.wallSeconds() >= 0.120, "wall " + t.wallSeconds());
        assertEquals(64 / t.wallSeconds(), t.samplesPerSecond(), 1e-9);
        assertEquals(450 / t.wallSeconds(), t.tokensPerSecond(), 1e-9);
        assertEquals(1 - 0.050 / t.wallSeconds(), t.outsideStepsShare(), 1e-12);
    }
}
