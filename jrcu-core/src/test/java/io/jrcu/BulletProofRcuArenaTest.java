package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;

/** The RcuArena suite against {@link BulletProofRcu}: a reader that blocks grace periods holds an open section. */
class BulletProofRcuArenaTest extends RcuArenaConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.BULLET_PROOF;
    }
}
