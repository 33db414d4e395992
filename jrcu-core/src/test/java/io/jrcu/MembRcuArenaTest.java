package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;

/** The RcuArena suite against {@link MembRcu}: a reader that blocks grace periods holds an open read section. */
class MembRcuArenaTest extends RcuArenaConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.MEMB;
    }
}
