package io.sparkbert.model.train;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The threads the driver runs its own work on (local workers, held-out scoring, the next round's batches): one
 * named daemon thread per executor, so a SameDiff graph, whose sessions are per thread, stays on one; their
 * results awaited with the task's own exception; and ND4J's op threads set around a body.
 */
final class DriverThreads {

    private DriverThreads() {
    }

    /** An executor of one daemon thread called {@code name}. */
    static ExecutorService single(String name) {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** The task's result; its own unchecked exception if it failed ({@code what} names it for any other). */
    static <T> T await(Future<T> task, String what) {
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + what, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(what + " failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Runs {@code body} with {@code threads} threads for every ND4J op and BLAS call of this JVM, restoring the
     * previous counts after it; 0 leaves them as they are.
     */
    static <T> T withOpThreads(int threads, Supplier<T> body) {
        if (threads <= 0) {
            return body.get();
        }
        int saved = Nd4j.getEnvironment().maxThreads();
        int savedBlas = Nd4j.factory().blas().getMaxThreads();
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
        try {
            return body.get();
        } finally {
            Nd4j.getEnvironment().setMaxThreads(saved);
            Nd4j.factory().blas().setMaxThreads(savedBlas);
        }
    }
}
