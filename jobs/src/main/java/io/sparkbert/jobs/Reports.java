package io.sparkbert.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sparkbert.pipeline.util.AtomicOutput;
import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/** The small JSON reports every job writes next to its output (docs/design.md §1). */
final class Reports {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Reports() {
    }

    /** {@code dir/vocab.txt} → {@code dir/vocab.report.json}. */
    static String reportPathFor(String output) {
        int slash = output.lastIndexOf('/');
        int dot = output.lastIndexOf('.');
        String stem = dot > slash + 1 ? output.substring(0, dot) : output;
        return stem + ".report.json";
    }

    static void write(String target, Map<String, Object> report, boolean overwrite, Configuration hadoop)
            throws IOException {
        AtomicOutput.write(target, overwrite, hadoop, out -> JSON.writeValue(out, report));
    }

    static String toJson(Object value) throws IOException {
        return JSON.writeValueAsString(value);
    }
}
