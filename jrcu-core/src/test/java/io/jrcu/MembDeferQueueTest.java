package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;

import java.util.function.Consumer;

/** The DeferQueue suite against {@link MembRcu}: a reader that has not reported holds an open read section. */
class MembDeferQueueTest extends DeferQueueConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.MEMB;
    }

    @Override
    Rcu newDomain(Consumer<RcuBuilder<?>> config) {
        MembRcu.Builder builder = MembRcu.builder();
        config.accept(builder);
        return builder.build();
    }
}
