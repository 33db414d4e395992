package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;

/** The DeferQueue suite against {@link BulletProofRcu}: a reader that has not reported holds an open section. */
class BulletProofDeferQueueTest extends DeferQueueConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.BULLET_PROOF;
    }
}
