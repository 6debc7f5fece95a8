package io.sparkbert.model.train;

/**
 * Collects the Java heap between rounds now and then, so that ND4J arrays that became garbage give back their
 * native buffers. Their memory is freed only when the Java object is collected, and a training JVM allocates
 * little on the heap between collections (a large heap, mostly idle) while its garbage arrays hold hundreds of
 * megabytes natively: two workers in one JVM grew by ~17 MB/s without a collection and stayed flat with one
 * every 15 s, at the same speed (docs/cluster.md, "Memory").
 */
final class HeapCollection {
    /** Seconds between collections: the interval measured to keep a two-worker run flat. */
    static final double INTERVAL_SECONDS = 15;

    private final long intervalNanos;
    private long last;

    HeapCollection(double intervalSeconds) {
        this.intervalNanos = (long) (intervalSeconds * 1e9);
        this.last = System.nanoTime();
    }

    /** Collects if the interval has passed since the last collection (or since this was made); true if it did. */
    boolean collectIfDue() {
        long now = System.nanoTime();
        if (now - last < intervalNanos) {
            return false;
        }
        System.gc();
        last = System.nanoTime();
        return true;
    }
}
