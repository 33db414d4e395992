package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * The DeferQueue suite against {@link QsbrRcu}, DPDK's own setting: a reader that has not reported is a registered
 * (so online) thread that does not call {@link QsbrRcu#quiescent()}; it reports with {@code quiescent()} and leaves
 * by unregistering (offline). Threads that only enqueue, reclaim or close are not registered.
 */
class QsbrDeferQueueTest extends DeferQueueConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.QSBR;
    }

    @Override
    void startBlocking(Rcu rcu) {
        rcu.registerThread();
    }

    @Override
    void report(Rcu rcu) {
        ((QsbrRcu) rcu).quiescent();
    }

    /**
     * Known gap, issue 4 open: jrcu's QSBR cookies name grace periods, not DPDK's per-call tokens, so one report made
     * while the first entry's grace period is already running does not cover the second entry's grace period (the
     * reader must report again). Matching DPDK needs a token bumped by every start() that quiescent() observes.
     */
    @Override
    @Test
    @Disabled("issue 4 open: one QSBR report covers only grace periods started before it (DPDK's per-start tokens)")
    void oneReportAfterTheEnqueuesFreesEverythingEnqueuedBefore() {
    }
}
