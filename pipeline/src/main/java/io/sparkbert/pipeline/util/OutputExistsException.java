package io.sparkbert.pipeline.util;

/** An output that already holds a finished result, and no --overwrite. */
public class OutputExistsException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public OutputExistsException(String target) {
        super("output " + target + " already exists; pass --overwrite to replace it");
    }
}
