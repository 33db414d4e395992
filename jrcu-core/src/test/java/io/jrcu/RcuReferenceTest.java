package io.jrcu;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Single-threaded semantics of {@link RcuReference} (the concurrent publication tests are in the conformance suite).
 * Every {@code get()} of the test thread runs inside a section of a debug-checked domain: once any domain of the JVM
 * has debug checks on, {@code get()} outside every section throws, and the test order is not fixed. The test of
 * that switch itself runs on a thread of its own, which holds no section.
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

    /**
     * A reference does not know its domain, so once any domain has debug checks on, the sections of every domain
     * count for {@code get()} (memb and bulletProof sections, QSBR online states); only outside all of them does it
     * throw. A section entered before the switch was not counted, and its exit uncounts nothing.
     *
     * <p>The switch is global and never turns off, and this JVM has built a debug domain already: it is turned off
     * for this test (and on again after it), which starts as if none existed.
     */
    @Test
    void onceADebugDomainExistsGetPassesInsideASectionOfEveryDomainAndThrowsOutsideAllOfThem() {
        boolean wasEnabled = DebugProtection.enabled();
        DebugProtection.setEnabled(false);
        try (TestThreads threads = new TestThreads()) {
            threads.platform("no-section-yet", () -> {
                RcuReference<String> ref = new RcuReference<>("v");
                try (Rcu plain = Rcu.memb()) {
                    plain.readLock();             // entered before any debug domain exists: not counted
                    try (Rcu debug = MembRcu.builder().name("debug-on").debugChecks(true).build()) {
                        plain.readUnlock();       // the matching exit must not uncount anything
                        try (Rcu bulletProof = Rcu.bulletProof(); Rcu qsbr = Rcu.qsbr()) {
                            for (Rcu unchecked : new Rcu[] {plain, bulletProof}) {
                                try (ReadSection s = unchecked.read()) {
                                    assertThat(ref.get()).as("inside a section of %s", unchecked).isEqualTo("v");
                                }
                            }
                            qsbr.registerThread();    // QSBR: protected while online
                            try {
                                assertThat(ref.get()).as("online in a QSBR domain").isEqualTo("v");
                            } finally {
                                qsbr.unregisterThread();
                            }
                        }
                        try (ReadSection s = debug.read()) {
                            assertThat(ref.get()).as("inside a section of the debug domain").isEqualTo("v");
                        }
                        assertThatThrownBy(ref::get).as("outside every section, with a debug domain around")
                                .isInstanceOf(IllegalStateException.class);
                    }
                }
            });
        } finally {
            if (wasEnabled) {
                DebugProtection.enable();
            }
        }
    }
}
