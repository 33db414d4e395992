package io.jrcu;

/** The conformance suite against {@link MembRcu}: readers need nothing (they register on first use). */
class MembConformanceTest extends RcuConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.MEMB;
    }
}
