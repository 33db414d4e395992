package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;

/** The DeferQueue suite against {@link MembRcu}: a reader that has not reported holds an open read section. */
class MembDeferQueueTest extends DeferQueueConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.MEMB;
    }
}
