package io.sparkbert.model.train;

/** A run on a cluster stopped because no executor was available for the whole wait ({@link ExecutorWatch}). */
public final class NoExecutorsException extends IllegalStateException {
    NoExecutorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
