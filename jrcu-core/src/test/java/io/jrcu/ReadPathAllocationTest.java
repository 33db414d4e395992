package io.jrcu;

import org.junit.jupiter.api.Test;

/**
 * The read path allocates nothing, in every flavor: {@link ReadPathAllocationProbe} counts the bytes its thread
 * allocates ({@code com.sun.management.ThreadMXBean}) over a million sections per flavor and read path, with escape
 * analysis disabled and every flavor seen at the same call sites. The build sets this JVM's flags, so the probe runs
 * in a child JVM started with {@code -XX:-DoEscapeAnalysis} ({@link AllocationProbes}).
 */
class ReadPathAllocationTest {

    /** 5 paths shared by the three flavors, plus the bulletProof token path and the QSBR quiescent-state path. */
    private static final int MEASUREMENTS = 5 * 3 + 1 + 1;

    @Test
    void theReadPathAllocatesNothingWithEscapeAnalysisOffAndSeveralFlavorsAtTheCallSite() throws Exception {
        AllocationProbes.runPassing(ReadPathAllocationProbe.class, MEASUREMENTS);
    }
}
