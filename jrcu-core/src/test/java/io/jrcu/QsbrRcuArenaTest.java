package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;

/**
 * The RcuArena suite against {@link QsbrRcu}: a reader that blocks grace periods is a registered (so online) thread
 * that does not call {@link QsbrRcu#quiescent()}; it reports with {@code quiescent()} and leaves by unregistering.
 * Busy readers register first and report after every section. Threads that only allocate, free or close are not
 * registered.
 */
class QsbrRcuArenaTest extends RcuArenaConformanceTest {

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

    @Override
    void becomeReader(Rcu rcu) {
        rcu.registerThread();
    }

    @Override
    void betweenSections(Rcu rcu) {
        ((QsbrRcu) rcu).quiescent();
    }
}
