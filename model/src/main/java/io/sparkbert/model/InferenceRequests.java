package io.sparkbert.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkbert.model.BertInference.InvalidRequestException;
import io.sparkbert.model.BertInference.Request;
import io.sparkbert.pipeline.tokenizer.BertTokenizer;
import io.sparkbert.pipeline.tokenizer.IntList;
import io.sparkbert.pipeline.tokenizer.PostProcessor;
import io.sparkbert.pipeline.tokenizer.Vocab;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The JSON Lines requests of {@code infer}: one object per line, either
 * {@code {"input_ids":[…],"token_type_ids":[…],"attention_mask":[…],"masked_lm_positions":[…]}} (ids; the last three
 * optional) or {@code {"text_a":"…","text_b":"…"}} (text, a literal {@code [MASK]} is a masked position). Every line is
 * checked for JSON syntax, the types of its fields and, through {@link BertInference#validate}, the model's ranges:
 * an error names the line (1-based, blank lines counted) and the field.
 */
public final class InferenceRequests {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BertInference model;
    private final BertTokenizer tokenizer;
    private final Vocab vocab;

    public InferenceRequests(BertInference model, BertTokenizer tokenizer, Vocab vocab) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.vocab = vocab;
    }

    /** Every request of the reader, validated; blank lines are skipped. */
    public List<Request> readAll(BufferedReader reader) throws IOException {
        List<Request> requests = new ArrayList<>();
        String line;
        int number = 0;
        while ((line = reader.readLine()) != null) {
            number++;
            if (!line.isBlank()) {
                requests.add(parse(line, number));
            }
        }
        return requests;
    }

    /**
     * One line as a validated request.
     *
     * @throws InvalidRequestException "line N: field: problem"
     */
    public Request parse(String line, int number) {
        try {
            Request request = parseUnchecked(line);
            model.validate(request);
            return request;
        } catch (InvalidRequestException e) {
            throw new InvalidRequestException("line " + number + ": " + e.getMessage());
        }
    }

    private Request parseUnchecked(String line) {
        JsonNode json;
        try {
            json = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            var location = e.getLocation();
            throw new InvalidRequestException("not valid JSON"
                    + (location != null && location.getColumnNr() > 0 ? " at column " + location.getColumnNr() : "")
                    + ": " + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
        if (json == null || !json.isObject()) {
            throw new InvalidRequestException("a request is a JSON object, not " + describe(json));
        }
        if (json.has("input_ids")) {
            if (json.has("text_a") || json.has("text_b")) {
                throw new InvalidRequestException("give either input_ids or text_a, not both");
            }
            int[] ids = ints(json, "input_ids");
            int[] types = json.has("token_type_ids") ? ints(json, "token_type_ids") : new int[ids.length];
            int[] attention = json.has("attention_mask") ? ints(json, "attention_mask") : ones(ids.length);
            int[] positions = json.has("masked_lm_positions") ? ints(json, "masked_lm_positions") : new int[0];
            return new Request(ids, types, attention, positions);
        }
        if (json.has("text_a")) {
            for (String field : List.of("token_type_ids", "attention_mask", "masked_lm_positions")) {
                if (json.has(field)) {
                    throw new InvalidRequestException(field + " goes with input_ids, not with text_a");
                }
            }
            String textA = text(json, "text_a");
            String textB = json.hasNonNull("text_b") ? text(json, "text_b") : null;
            PostProcessor.Encoding framed = tokenizer.encodeQuery(textA, textB);
            IntList masks = new IntList();
            for (int i = 0; i < framed.length(); i++) {
                if (framed.ids()[i] == vocab.maskId()) {
                    masks.add(i);
                }
            }
            return new Request(framed.ids(), framed.typeIds(), ones(framed.length()), masks.toArray());
        }
        throw new InvalidRequestException("needs input_ids or text_a");
    }

    private static String text(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (!value.isTextual()) {
            throw new InvalidRequestException(field + " must be a string, not " + describe(value));
        }
        return value.textValue();
    }

    private static int[] ints(JsonNode json, String field) {
        JsonNode array = json.get(field);
        if (!array.isArray()) {
            throw new InvalidRequestException(field + " must be an array of integers, not " + describe(array));
        }
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode value = array.get(i);
            if (!value.isIntegralNumber() || !value.canConvertToInt()) {
                throw new InvalidRequestException(field + "[" + i + "] must be an integer, not " + describe(value));
            }
            values[i] = value.intValue();
        }
        return values;
    }

    private static String describe(JsonNode value) {
        if (value == null || value.isMissingNode()) {
            return "nothing";
        }
        String text = value.toString();
        String shown = text.length() > 40 ? text.substring(0, 40) + "…" : text;
        return switch (value.getNodeType()) {
            case STRING -> "the string " + shown;
            case NUMBER -> "the number " + shown;
            case BOOLEAN -> shown;
            case NULL -> "null";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            default -> shown;
        };
    }

    private static int[] ones(int n) {
        int[] values = new int[n];
        Arrays.fill(values, 1);
        return values;
    }
}
