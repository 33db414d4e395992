package io.jrcu;

import java.util.function.Consumer;

/** The conformance suite against {@link MembRcu}: readers need nothing (they register on first use). */
class MembConformanceTest extends RcuConformanceTest {

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
