package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;


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

}
