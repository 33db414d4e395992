package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;

/**
 * The callback conformance suite against {@link QsbrRcu}: a thread that reads registers (which brings it online)
 * and unregisters (offline) when done; threads that only queue callbacks, and the callback workers, are not
 * readers. Blocking calls of an online thread (barrier, a full defer batch, CALLER_RUNS) are its quiescent states.
 */
class QsbrCallbackConformanceTest extends CallbackConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.QSBR;
    }

    @Override
    void becomeReader(Rcu rcu) {
        rcu.registerThread();
    }
}
