package io.sparkbert.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoundTimesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode step(int step, double wall) {
        return JSON.createObjectNode().put("step", step).put("loss", 1.0).put("wall_sec", wall)
                .put("samples_per_sec", 30.0).put("step_samples_per_sec", 40.0);
    }

    @Test
    void roundsAreDifferencesOfEveryKthStepsWallTimeAndEvaluationLinesAreSkipped() {
        List<JsonNode> metrics = new ArrayList<>();
        double[] walls = {1, 2, 3, 4, 5, 7.5, 8, 9, 10};
        for (int i = 0; i < walls.length; i++) {
            metrics.add(step(i + 1, walls[i]));
            if (i == 2) {
                metrics.add(JSON.createObjectNode().put("step", 3).put("eval_mlm_accuracy", 0.1).put("wall_sec", 3.2));
            }
        }
        RoundTimes rounds = RoundTimes.of(metrics, 3, 100);
        // rounds end at steps 3, 6, 9: 3 - 0, 7.5 - 3, 10 - 7.5; the evaluation after step 3 is in the second
        assertEquals(List.of(3.0, 4.5, 2.5), rounds.seconds());
        assertEquals(Set.of(1), rounds.afterEvaluationOrCheckpoint());
        assertEquals(3.0, rounds.median());
        assertEquals(4.5, rounds.max());
        assertEquals(4.5, rounds.maxAfterFirst());
        assertEquals(2.5, rounds.maxPlainAfterFirst());
        assertEquals(30.0, rounds.samplesPerSecond());
        assertEquals(40.0, rounds.stepSamplesPerSecond());
        String text = rounds.describe(12);
        assertTrue(text.contains("checkpoint): 3.0 4.5* 2.5"), text);
        assertTrue(text.contains("rounds without evaluation or checkpoint 0.83x"), text);
        assertTrue(text.contains("(25.0% outside)"), text);
        // a checkpoint every 6 steps: made after the round ending at step 6, carried by the third round
        assertEquals(Set.of(1, 2), RoundTimes.of(metrics, 3, 6).afterEvaluationOrCheckpoint());
        assertEquals(0.0, RoundTimes.of(metrics, 3, 6).maxPlainAfterFirst());
        assertEquals(List.of(3.0, 4.5, 2.5), rounds.figures(2, 12).get("round_seconds"));
    }

    @Test
    void aRunWithoutStepsIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> RoundTimes.of(List.of(), 10, 100));
    }
}
