package io.jrcu;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Single-threaded semantics of {@link RcuReference} (the concurrent publication tests are in the conformance suite).
 * Every {@code get()} runs inside a section of a debug-checked domain: once any domain of the JVM has debug checks
 * on, {@code get()} outside such a section throws, and the test order is not fixed.
 */
class RcuReferenceTest {

    private MembRcu rcu;
    private ReadSection section;

    @BeforeEach
    void enterSection() {
        rcu = MembRcu.builder().debugChecks(true).build();
        section = rcu.read();
    }

    @AfterEach
    void leaveSection() {
        section.close();
        rcu.close();
    }

    @Test
    void getReturnsTheInitialValueAndThenWhatSetStored() {
        RcuReference<String> ref = new RcuReference<>("a");
        assertThat(ref.get()).isEqualTo("a");
        ref.set("b");
        assertThat(ref.get()).isEqualTo("b");
        ref.set(null);
        assertThat(ref.get()).isNull();
        assertThat(new RcuReference<String>(null).get()).isNull();
    }

    @Test
    void getAndSetReturnsThePreviousValue() {
        RcuReference<String> ref = new RcuReference<>("a");
        assertThat(ref.getAndSet("b")).isEqualTo("a");
        assertThat(ref.getAndSet(null)).isEqualTo("b");
        assertThat(ref.getAndSet("c")).isNull();
        assertThat(ref.get()).isEqualTo("c");
    }

    @Test
    void compareAndSetComparesByIdentity() {
        String a = new String("x");
        String equalButNotSame = new String("x");
        RcuReference<String> ref = new RcuReference<>(a);
        assertThat(ref.compareAndSet(equalButNotSame, "y")).isFalse();
        assertThat(ref.get()).isSameAs(a);
        assertThat(ref.compareAndSet(a, "y")).isTrue();
        assertThat(ref.get()).isEqualTo("y");
        assertThat(ref.compareAndSet(a, "z")).as("the old value is no longer there").isFalse();
        assertThat(ref.get()).isEqualTo("y");
    }

    @Test
    void compareAndExchangeReturnsTheWitness() {
        String a = new String("x");
        String equalButNotSame = new String("x");
        RcuReference<String> ref = new RcuReference<>(a);
        assertThat(ref.compareAndExchange(equalButNotSame, "y")).as("failure returns the current value")
                .isSameAs(a);
        assertThat(ref.get()).isSameAs(a);
        assertThat(ref.compareAndExchange(a, "y")).as("success returns the expected value").isSameAs(a);
        assertThat(ref.get()).isEqualTo("y");
        RcuReference<String> empty = new RcuReference<>(null);
        assertThat(empty.compareAndExchange(null, "v")).isNull();
        assertThat(empty.get()).isEqualTo("v");
        assertThat(empty.compareAndSet("v", null)).as("literal identity").isTrue();
        assertThat(empty.get()).isNull();
    }
}
