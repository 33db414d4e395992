package io.jrcu;

/** The conformance suite against {@link BulletProofRcu}: readers need nothing (no registration at all). */
class BulletProofConformanceTest extends RcuConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.BULLET_PROOF;
    }
}
