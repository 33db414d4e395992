package io.jrcu;

import org.junit.jupiter.api.Test;

/**
 * {@link Rcu#defer} on a platform thread allocates nothing of its own once warm, in every flavor, full batches and
 * their grace periods included: {@link DeferAllocationProbe} counts the bytes its thread allocates, in a child JVM
 * started with {@code -XX:-DoEscapeAnalysis} ({@link AllocationProbes}).
 */
class DeferAllocationTest {

    /** Per flavor: a callback object the caller keeps, and a fresh capturing lambda per call. */
    private static final int MEASUREMENTS = 3 * 2;

    @Test
    void deferOnAPlatformThreadAllocatesNothingBeyondTheCallersLambda() throws Exception {
        AllocationProbes.runPassing(DeferAllocationProbe.class, MEASUREMENTS);
    }
}
