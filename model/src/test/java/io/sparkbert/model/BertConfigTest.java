package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Presets from conf/model/*.conf and validation. */
class BertConfigTest {

    @Test
    void presetsHaveTheSpecSizes() {
        int[][] expected = {{2, 128, 2}, {4, 256, 4}, {4, 512, 8}, {8, 512, 8}, {12, 768, 12}, {24, 1024, 16}};
        for (int i = 0; i < BertConfig.PRESETS.size(); i++) {
            BertConfig c = BertConfig.preset(BertConfig.PRESETS.get(i), 30522);
            assertEquals(expected[i][0], c.numHiddenLayers(), c.toString());
            assertEquals(expected[i][1], c.hiddenSize(), c.toString());
            assertEquals(expected[i][2], c.numAttentionHeads(), c.toString());
            assertEquals(4 * c.hiddenSize(), c.intermediateSize());
            assertEquals(30522, c.vocabSize());
            assertEquals("gelu", c.hiddenAct());
            assertEquals(0.1, c.hiddenDropoutProb());
            assertEquals(0.1, c.attentionProbsDropoutProb());
            assertEquals(512, c.maxPositionEmbeddings());
            assertEquals(2, c.typeVocabSize());
            assertEquals(0.02, c.initializerRange());
            assertEquals(1e-12, c.layerNormEps());
        }
        assertEquals(64, BertConfig.preset("base", 100).headSize());
    }

    @Test
    void rejectsHiddenNotDivisibleByHeads() {
        assertThrows(IllegalArgumentException.class,
                () -> new BertConfig(10, 130, 2, 4, 520, "gelu", 0.1, 0.1, 512, 2, 0.02, 1e-12));
        assertThrows(IllegalArgumentException.class, () -> BertConfig.preset("huge", 10));
        assertThrows(IllegalArgumentException.class,
                () -> BertConfig.fromMap(Map.of("hidden-size", "8", "num-hidden-layers", "1",
                        "num-attention-heads", "2", "hidden-sise", "3"), 10));
    }

    @Test
    void flatConfReaderHandlesCommentsQuotesAndDefaults() {
        Map<String, String> kv = BertConfig.parseFlatConf(List.of("# comment", "", "hidden-size = 8",
                "num-hidden-layers: 1", "  num-attention-heads = 2  # two heads", "hidden-act = \"gelu\""));
        assertEquals(Map.of("hidden-size", "8", "num-hidden-layers", "1", "num-attention-heads", "2",
                "hidden-act", "gelu"), kv);
        BertConfig c = BertConfig.fromMap(kv, 50);
        assertEquals(32, c.intermediateSize());
        assertEquals(0.0, c.withoutDropout().hiddenDropoutProb());
    }
}
