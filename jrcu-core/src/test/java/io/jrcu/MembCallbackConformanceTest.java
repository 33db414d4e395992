package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;

import java.util.function.Consumer;

/** The callback conformance suite against {@link MembRcu}: readers need nothing (they register on first use). */
class MembCallbackConformanceTest extends CallbackConformanceTest {

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
