package io.sparkbert.pipeline.glove;

import java.io.Serializable;

/**
 * One non-zero entry X_ij of the co-occurrence matrix, as glove.c's {@code CREC}: 1-based word and
 * context ids (line numbers of vocab.txt) and the co-occurrence value.
 */
public record GloveEntry(int word, int context, double value) implements Serializable {
}
