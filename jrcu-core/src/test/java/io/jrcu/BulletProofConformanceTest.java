package io.jrcu;

import java.util.function.Consumer;

/** The conformance suite against {@link BulletProofRcu}: readers need nothing (no registration at all). */
class BulletProofConformanceTest extends RcuConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.BULLET_PROOF;
    }

    @Override
    Rcu newDomain(Consumer<RcuBuilder<?>> config) {
        BulletProofRcu.Builder builder = BulletProofRcu.builder();
        config.accept(builder);
        return builder.build();
    }
}
