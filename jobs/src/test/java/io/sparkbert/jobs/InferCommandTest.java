package io.sparkbert.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.checkpoint.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** infer on a fresh tiny checkpoint: shapes, agreement with the DL4J network, independence of padding. */
class InferCommandTest {
    @TempDir
    Path dir;

    @Test
    void outputsAgreeWithTheNetworkAndDoNotDependOnPadding() throws Exception {
        Path ckpt = TinyCheckpoint.init(dir);
        Path requests = dir.resolve("requests.jsonl");
        Files.write(requests, List.of(
                "{\"text_a\":\"in the [MASK] god created\",\"text_b\":\"the heaven and the earth\"}",
                "{\"input_ids\":[2,5,6,4,3],\"masked_lm_positions\":[3]}",
                "{\"input_ids\":[2,5,6,4,3,0,0,0,0],\"attention_mask\":[1,1,1,1,1,0,0,0,0],"
                        + "\"token_type_ids\":[0,0,0,0,0,0,0,0,0],\"masked_lm_positions\":[3]}"));
        Path responses = dir.resolve("responses.jsonl");
        Cli.Result result = Cli.run("infer", "--checkpoint", ckpt.toString(), "--input", requests.toString(),
                "--output", responses.toString(), "--sequence-output");
        assertEquals(0, result.exitCode(), result.err());
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(responses)) {
            rows.add(json.readTree(line));
        }
        assertEquals(3, rows.size());
        // [CLS] in the [MASK] god created [SEP] the heaven and the earth [SEP]: 13 tokens, one mask
        assertEquals(1, rows.get(0).get("mlm_logits").size());
        assertEquals(TinyCheckpoint.VOCAB.size(), rows.get(0).get("mlm_logits").get(0).size());
        assertEquals(2, rows.get(0).get("nsp_logits").size());
        assertEquals(128, rows.get(0).get("pooled_output").size());
        assertEquals(13, rows.get(0).get("sequence_output").size());

        // explicit padding in the request changes nothing
        for (String field : List.of("mlm_logits", "nsp_logits", "pooled_output")) {
            assertClose(rows.get(1).get(field), rows.get(2).get(field), 1e-5, field);
        }

        // the same numbers as the DL4J network (a different code path: the layer, not the SameDiff copy)
        Checkpoint.Loaded loaded = Checkpoint.read(ckpt);
        float[][] ids = new float[1][16];
        float[][] attention = new float[1][16];
        float[] sample = {2, 5, 6, 4, 3};
        for (int i = 0; i < sample.length; i++) {
            ids[0][i] = sample[i];
            attention[0][i] = 1;
        }
        INDArray[] features = BertModel.features(Nd4j.createFromArray(ids), Nd4j.zeros(DataType.FLOAT, 1, 16),
                Nd4j.createFromArray(attention), Nd4j.createFromArray(new float[][] {{3, 0, 0}}), DataType.FLOAT);
        BertModel.Outputs network = BertModel.output(BertModel.forInference(loaded.graph()), features);
        float[] mlm = network.mlmLogits().get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.all()).toFloatVector();
        JsonNode inferred = rows.get(1).get("mlm_logits").get(0);
        for (int v = 0; v < mlm.length; v++) {
            assertEquals(mlm[v], inferred.get(v).floatValue(), 1e-4, "logit " + v);
        }
        float[] nsp = network.nspLogits().getRow(0).toFloatVector();
        assertEquals(nsp[0], rows.get(1).get("nsp_logits").get(0).floatValue(), 1e-4);
        assertEquals(nsp[1], rows.get(1).get("nsp_logits").get(1).floatValue(), 1e-4);

        Path bad = dir.resolve("bad.jsonl");
        Files.write(bad, List.of("{\"nothing\":1}"));
        Cli.Result error = Cli.run("infer", "--checkpoint", ckpt.toString(), "--input", bad.toString(), "--output",
                dir.resolve("x.jsonl").toString());
        assertEquals(2, error.exitCode());
        assertTrue(error.err().contains("line 1: needs input_ids or text_a"), error.err());
    }

    private static void assertClose(JsonNode a, JsonNode b, double tolerance, String what) {
        if (a.isArray()) {
            assertEquals(a.size(), b.size(), what);
            for (int i = 0; i < a.size(); i++) {
                assertClose(a.get(i), b.get(i), tolerance, what);
            }
        } else {
            assertEquals(a.doubleValue(), b.doubleValue(), tolerance, what);
        }
    }
}
