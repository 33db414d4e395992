package io.jrcu;

/**
 * The conformance suite against {@link QsbrRcu}: a reader registers (which brings it online), reports a quiescent
 * state between sections, and unregisters (which takes it offline) when it is done.
 */
class QsbrConformanceTest extends RcuConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.QSBR;
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
