package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;

import java.util.function.Consumer;

/** The DeferQueue suite against {@link BulletProofRcu}: a reader that has not reported holds an open section. */
class BulletProofDeferQueueTest extends DeferQueueConformanceTest {

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
