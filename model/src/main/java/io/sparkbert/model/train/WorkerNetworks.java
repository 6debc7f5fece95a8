package io.sparkbert.model.train;

import io.sparkbert.model.BlasKernels;
import java.util.ArrayDeque;
import java.util.function.Supplier;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * The networks a JVM's parameter-averaging workers keep between rounds ({@link RoundTrainingMaster}): one
 * per task that ran at the same time, so an executor with one core keeps one. The pool belongs to one run
 * at a time; a task of another run empties it first, so a long-lived JVM (a local-mode driver running
 * several trainings, a test suite) holds at most one run's networks.
 */
final class WorkerNetworks {
    private static String run;
    private static final ArrayDeque<ComputationGraph> idle = new ArrayDeque<>();

    private WorkerNetworks() {
    }

    /** An idle network of {@code runId}, or a new one from {@code build} (built outside the lock). */
    static ComputationGraph take(String runId, Supplier<ComputationGraph> build) {
        synchronized (WorkerNetworks.class) {
            if (!runId.equals(run)) {
                idle.clear();
                run = runId;
            }
            ComputationGraph network = idle.poll();
            if (network != null) {
                return network;
            }
        }
        BlasKernels.logOnce(); // once per executor JVM: which matrix kernels its workers run
        return build.get();
    }

    /** A network whose task has finished with it; dropped if its run is no longer this pool's. */
    static synchronized void giveBack(String runId, ComputationGraph network) {
        if (runId.equals(run)) {
            idle.push(network);
        }
    }

    /** Empties the pool if it holds {@code runId}'s networks. */
    static synchronized void release(String runId) {
        if (runId.equals(run)) {
            idle.clear();
            run = null;
        }
    }

    static synchronized int idleNetworks() {
        return idle.size();
    }
}
