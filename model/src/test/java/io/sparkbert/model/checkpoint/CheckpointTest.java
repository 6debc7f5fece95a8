package io.sparkbert.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.MaskFiller;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

class CheckpointTest {
    private static final int S = 8;
    private static final int P = 2;

    @TempDir
    Path dir;

    private static Vocab vocab() {
        List<String> tokens = new ArrayList<>(Vocab.SPECIAL_TOKENS);
        tokens.addAll(List.of("the", "lord", "of", "hosts", "spake", "said", "unto", "moses", "and", "god", "light",
                "day", "night", "earth", "heaven"));
        return Vocab.of(tokens); // 20 tokens
    }

    @Test
    void writtenCheckpointsLoadWithTheSameParametersAndRefuseToBeReplacedSilently() throws Exception {
        Vocab vocab = vocab();
        BertConfig cfg = new BertConfig(vocab.size(), 8, 1, 2, 16, "gelu", 0.1, 0.1, 16, 2, 0.02, 1e-12);
        ComputationGraph graph = BertModel.build(cfg, S, P, 11);
        Path ckpt = dir.resolve("ckpt");
        Checkpoint.write(ckpt, graph, vocab, true, false);
        Checkpoint.Loaded loaded = Checkpoint.read(ckpt);
        assertEquals(graph.params(), loaded.graph().params());
        assertEquals(cfg, loaded.config());
        assertEquals(vocab.tokens(), loaded.vocab().tokens());
        assertEquals(S, loaded.seqLen());
        assertEquals(P, loaded.maxPredictions());
        String json = Files.readString(ckpt.resolve(Checkpoint.CONFIG));
        assertTrue(json.contains("\"hidden_size\" : 8") && json.contains("\"do_lower_case\" : true"), json);

        IllegalArgumentException exists = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.write(ckpt, graph, vocab, true, false));
        assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());
        Files.delete(ckpt.resolve(Checkpoint.VOCAB));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(ckpt));
        assertTrue(missing.getMessage().contains("vocab.txt is missing"), missing.getMessage());
        Checkpoint.write(ckpt, graph, vocab, true, true);
        assertEquals(graph.params(), Checkpoint.read(ckpt).graph().params());
    }

    /**
     * model.zip holds what DL4J's ModelSerializer writes (same entries in the same order, same bytes once
     * inflated), written without compression, and DL4J restores the parameters and Adam state from it.
     */
    @Test
    void modelZipHoldsModelSerializersEntriesUncompressed() throws Exception {
        Vocab vocab = vocab();
        BertConfig cfg = new BertConfig(vocab.size(), 8, 1, 2, 16, "gelu", 0.1, 0.1, 16, 2, 0.02, 1e-12);
        ComputationGraph graph = BertModel.build(cfg, S, P, 11);
        graph.getUpdater().getStateViewArray().assign(
                Nd4j.rand(DataType.FLOAT, graph.getUpdater().getStateViewArray().shape()));   // a non-zero Adam state
        Path ours = dir.resolve("ours.zip");
        Checkpoint.writeModelZip(graph, ours);
        Path dl4j = dir.resolve("dl4j.zip");
        ModelSerializer.writeModel(graph, dl4j.toFile(), true);

        Map<String, byte[]> expected = zipEntries(dl4j);
        Map<String, byte[]> actual = zipEntries(ours);
        assertEquals(List.of("configuration.json", "coefficients.bin", "updaterState.bin"),
                new ArrayList<>(expected.keySet()));
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            assertArrayEquals(expected.get(name), actual.get(name), name);
        }
        long raw = actual.values().stream().mapToLong(b -> b.length).sum();
        assertTrue(Files.size(ours) >= raw, "stored, not deflated: " + Files.size(ours) + " bytes for " + raw);

        ComputationGraph restored = ModelSerializer.restoreComputationGraph(ours.toFile(), true);
        assertEquals(graph.params(), restored.params());
        assertEquals(graph.getUpdater().getStateViewArray(), restored.getUpdater().getStateViewArray());
    }

    /** A zip's entries in file order, each inflated. */
    private static Map<String, byte[]> zipEntries(Path zip) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                entries.put(e.getName(), in.readAllBytes());
            }
        }
        return entries;
    }

    @Test
    void fillMaskPredictsWhatTheModelLearned() throws Exception {
        // overfit one sample, "[CLS] the lord of hosts [SEP]" with "lord" and "hosts" masked
        Vocab vocab = vocab();
        BertConfig cfg = new BertConfig(vocab.size(), 16, 2, 2, 64, "gelu", 0.0, 0.0, 16, 2, 0.02, 1e-12);
        ComputationGraph graph = BertModel.build(cfg, S, P, 5, DataType.FLOAT, new Adam(3e-3));
        int cls = vocab.clsId();
        int sep = vocab.sepId();
        int mask = vocab.maskId();
        // two copies: training on a batch of one fails inside M2.1's strided_slice backprop
        int[] sample = {cls, vocab.id("the"), mask, vocab.id("of"), mask, sep, 0, 0};
        int[][] ids = {sample, sample};
        int[][] types = new int[2][S];
        int[][] attention = {{1, 1, 1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1, 0, 0}};
        int[][] positions = {{2, 4}, {2, 4}};
        int[][] labels = {{vocab.id("lord"), vocab.id("hosts")}, {vocab.id("lord"), vocab.id("hosts")}};
        float[][] weights = {{1f, 1f}, {1f, 1f}};
        MultiDataSet batch = BertModel.toMultiDataSet(ids, types, attention, positions, labels, weights,
                new int[] {0, 0}, DataType.FLOAT);
        for (int i = 0; i < 200; i++) {
            graph.fit(batch);
        }
        Path ckpt = dir.resolve("trained");
        Checkpoint.write(ckpt, graph, vocab, true, false);
        MaskFiller filler = new MaskFiller(Checkpoint.read(ckpt));
        List<List<MaskFiller.Candidate>> filled = filler.fill("The [MASK] of [MASK]", 3);
        assertEquals(2, filled.size());
        assertEquals("lord", filled.get(0).get(0).token(), filled.toString());
        assertEquals("hosts", filled.get(1).get(0).token(), filled.toString());
        assertTrue(filled.get(0).get(0).probability() > 0.5, filled.toString());
        assertThrows(IllegalArgumentException.class, () -> filler.fill("no masks here", 3));
    }
}
