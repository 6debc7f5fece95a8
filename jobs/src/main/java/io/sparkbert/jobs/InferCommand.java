package io.sparkbert.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkbert.model.BertInference;
import io.sparkbert.model.MaskFiller;
import io.sparkbert.model.checkpoint.Checkpoint;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.IntList;
import io.sparkbert.pipeline.tokenizer.Vocab;
import io.sparkbert.pipeline.util.AtomicOutput;
import java.io.BufferedReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Runs a checkpoint on JSON Lines requests and writes its outputs as JSON Lines. */
@Command(name = "infer", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Run a checkpoint on each line of a JSON Lines file.",
            "A line is {\"input_ids\":[…],\"token_type_ids\":[…],\"attention_mask\":[…],\"masked_lm_positions\":[…]} or "
                + "{\"text_a\":\"…\",\"text_b\":\"…\"} (tokenized with the checkpoint's vocab; a literal [MASK] is a "
                + "masked position). Each output line is {\"mlm_logits\":[[…] per masked position],\"nsp_logits\":[a,b],"
                + "\"pooled_output\":[…]} (+ \"sequence_output\" per real token with --sequence-output). Padding to "
                + "the model's length is internal."})
final class InferCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BATCH = 16;

    @Option(names = "--checkpoint", required = true, paramLabel = "CKPT", description = "A checkpoint directory.")
    Path checkpoint;

    @Option(names = "--input", required = true, paramLabel = "FILE.jsonl", description = "Requests, one per line.")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "FILE.jsonl", description = "Where to write results.")
    Path output;

    @Option(names = "--sequence-output", description = "Also write the last layer's vector of every real token.")
    boolean sequenceOutput;

    @Option(names = "--overwrite", description = "Replace an existing output file.")
    boolean overwrite;

    @Mixin
    ConfigOption config;

    /** One request, as model inputs (unpadded). */
    private record Request(int[] ids, int[] types, int[] attention, int[] positions) {
    }

    @Override
    public Integer call() throws Exception {
        Configuration hadoop = new Configuration();
        String target = output.toAbsolutePath().toUri().toString();
        AtomicOutput.checkWritable(target, overwrite, hadoop);
        Checkpoint.Loaded loaded = Checkpoint.read(checkpoint);
        BertInference model = new BertInference(loaded);
        BertTokenizer tokenizer = new BertTokenizer(loaded.vocab(), loaded.uncased());
        List<Request> requests = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (!line.isBlank()) {
                    requests.add(parse(line, number, tokenizer, loaded.vocab(), model));
                }
            }
        }
        AtomicOutput.write(target, overwrite, hadoop, out -> {
            Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            for (int start = 0; start < requests.size(); start += BATCH) {
                List<Request> batch = requests.subList(start, Math.min(requests.size(), start + BATCH));
                for (String result : run(model, batch, sequenceOutput)) {
                    writer.write(result);
                    writer.write('\n');
                }
            }
            writer.flush();
        });
        System.err.printf("infer: %d request(s) -> %s%n", requests.size(), output);
        return 0;
    }

    private static Request parse(String line, int number, BertTokenizer tokenizer, Vocab vocab, BertInference model)
            throws Exception {
        JsonNode json = JSON.readTree(line);
        Request request;
        if (json.has("input_ids")) {
            int[] ids = ints(json.get("input_ids"));
            int[] types = json.has("token_type_ids") ? ints(json.get("token_type_ids")) : new int[ids.length];
            int[] attention = json.has("attention_mask") ? ints(json.get("attention_mask")) : ones(ids.length);
            int[] positions = json.has("masked_lm_positions") ? ints(json.get("masked_lm_positions")) : new int[0];
            if (types.length != ids.length || attention.length != ids.length) {
                throw new SparkBert.UserError("line " + number + ": input_ids, token_type_ids and attention_mask "
                        + "differ in length");
            }
            request = new Request(ids, types, attention, positions);
        } else if (json.has("text_a")) {
            IntList ids = new IntList();
            IntList types = new IntList();
            ids.add(vocab.clsId());
            MaskFiller.encodeWithMasks(json.get("text_a").asText(), tokenizer, vocab, ids);
            ids.add(vocab.sepId());
            int segmentA = ids.size();
            if (json.hasNonNull("text_b")) {
                MaskFiller.encodeWithMasks(json.get("text_b").asText(), tokenizer, vocab, ids);
                ids.add(vocab.sepId());
            }
            List<Integer> masks = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                types.add(i < segmentA ? 0 : 1);
                if (ids.get(i) == vocab.maskId()) {
                    masks.add(i);
                }
            }
            request = new Request(ids.toArray(), types.toArray(), ones(ids.size()),
                    masks.stream().mapToInt(Integer::intValue).toArray());
        } else {
            throw new SparkBert.UserError("line " + number + ": needs input_ids or text_a");
        }
        if (request.ids().length > model.seqLen()) {
            throw new SparkBert.UserError("line " + number + ": " + request.ids().length + " tokens; the model takes "
                    + model.seqLen());
        }
        if (request.positions().length > model.maxPredictions()) {
            throw new SparkBert.UserError("line " + number + ": " + request.positions().length
                    + " masked positions; the model predicts " + model.maxPredictions());
        }
        return request;
    }

    private static List<String> run(BertInference model, List<Request> batch, boolean withSequenceOutput)
            throws java.io.IOException {
        int s = model.seqLen();
        int p = model.maxPredictions();
        float[][] ids = new float[batch.size()][s];
        float[][] types = new float[batch.size()][s];
        float[][] attention = new float[batch.size()][s];
        float[][] positions = new float[batch.size()][p];
        for (int b = 0; b < batch.size(); b++) {
            Request r = batch.get(b);
            for (int i = 0; i < r.ids().length; i++) {
                ids[b][i] = r.ids()[i];
                types[b][i] = r.types()[i];
                attention[b][i] = r.attention()[i];
            }
            for (int i = 0; i < r.positions().length; i++) {
                positions[b][i] = r.positions()[i];
            }
        }
        BertInference.Outputs out = model.run(Nd4j.createFromArray(ids), Nd4j.createFromArray(types),
                Nd4j.createFromArray(attention), Nd4j.createFromArray(positions));
        List<String> lines = new ArrayList<>();
        for (int b = 0; b < batch.size(); b++) {
            Request r = batch.get(b);
            ObjectNode json = JSON.createObjectNode();
            ArrayNode mlm = json.putArray("mlm_logits");
            for (int m = 0; m < r.positions().length; m++) {
                addFloats(mlm.addArray(), out.mlmLogits().get(NDArrayIndex.point(b), NDArrayIndex.point(m),
                        NDArrayIndex.all()));
            }
            addFloats(json.putArray("nsp_logits"), out.nspLogits().getRow(b));
            addFloats(json.putArray("pooled_output"), out.pooledOutput().getRow(b));
            if (withSequenceOutput) {
                ArrayNode sequence = json.putArray("sequence_output");
                for (int i = 0; i < r.ids().length; i++) {
                    if (r.attention()[i] == 1) {
                        addFloats(sequence.addArray(), out.sequenceOutput().get(NDArrayIndex.point(b),
                                NDArrayIndex.point(i), NDArrayIndex.all()));
                    }
                }
            }
            lines.add(JSON.writeValueAsString(json));
        }
        return lines;
    }

    private static void addFloats(ArrayNode array, INDArray values) {
        for (float v : values.toFloatVector()) {
            array.add(v);
        }
    }

    private static int[] ints(JsonNode array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).asInt();
        }
        return values;
    }

    private static int[] ones(int n) {
        int[] values = new int[n];
        java.util.Arrays.fill(values, 1);
        return values;
    }
}
