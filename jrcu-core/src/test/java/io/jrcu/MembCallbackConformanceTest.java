package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;

/** The callback conformance suite against {@link MembRcu}: readers need nothing (they register on first use). */
class MembCallbackConformanceTest extends CallbackConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.MEMB;
    }
}
