package io.sparkbert.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkbert.model.BertInference;
import io.sparkbert.model.BertInference.Request;
import io.sparkbert.model.InferenceRequests;
import io.sparkbert.model.checkpoint.Checkpoint;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.util.AtomicOutput;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
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

    @Override
    public Integer call() throws Exception {
        Configuration hadoop = new Configuration();
        String target = output.toAbsolutePath().toUri().toString();
        AtomicOutput.checkWritable(target, overwrite, hadoop);
        Checkpoint.Loaded loaded = Checkpoint.read(checkpoint);
        BertInference model = new BertInference(loaded);
        BertTokenizer tokenizer = new BertTokenizer(loaded.vocab(), loaded.uncased());
        List<Request> requests;
        // invalid UTF-8 becomes U+FFFD, as everywhere else
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(Files.newInputStream(input),
                StandardCharsets.UTF_8))) {
            requests = new InferenceRequests(model, tokenizer, loaded.vocab()).readAll(reader);
        }
        List<BertInference.Result> results = model.infer(requests, BATCH, sequenceOutput);
        AtomicOutput.write(target, overwrite, hadoop, out -> {
            Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            for (BertInference.Result result : results) {
                writer.write(json(result));
                writer.write('\n');
            }
            writer.flush();
        });
        System.err.printf("infer: %d request(s) -> %s%n", requests.size(), output);
        return 0;
    }

    /** One output line: mlm_logits (one array per masked position), nsp_logits, pooled_output, sequence_output. */
    private static String json(BertInference.Result result) throws java.io.IOException {
        ObjectNode json = JSON.createObjectNode();
        ArrayNode mlm = json.putArray("mlm_logits");
        for (float[] logits : result.mlmLogits()) {
            addFloats(mlm.addArray(), logits);
        }
        addFloats(json.putArray("nsp_logits"), result.nspLogits());
        addFloats(json.putArray("pooled_output"), result.pooledOutput());
        if (result.sequenceOutput() != null) {
            ArrayNode sequence = json.putArray("sequence_output");
            for (float[] vector : result.sequenceOutput()) {
                addFloats(sequence.addArray(), vector);
            }
        }
        return JSON.writeValueAsString(json);
    }

    private static void addFloats(ArrayNode array, float[] values) {
        for (float v : values) {
            array.add(v);
        }
    }
}
