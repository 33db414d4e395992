package io.jrcu.internal;

import io.jrcu.BulletProofRcu;
import io.jrcu.MembRcu;
import io.jrcu.QsbrRcu;
import io.jrcu.Rcu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Bridge} and {@link Faults}: every flavor hands out one {@link LibraryFlavor} view of itself, whose answers
 * follow the domain's grace periods and lifecycle, and whose methods are no public methods of the flavor classes.
 */
class BridgeTest {

    static List<Supplier<Rcu>> flavors() {
        return List.of(() -> MembRcu.builder().name("bridge-memb").build(), () -> QsbrRcu.builder().build(),
                () -> BulletProofRcu.builder().build());
    }

    @ParameterizedTest
    @MethodSource("flavors")
    void aDomainHandsOutOneViewThatFollowsItsGracePeriods(Supplier<Rcu> flavor) {
        Rcu rcu = flavor.get();
        LibraryFlavor view = Bridge.flavorOf(rcu);
        assertThat(Bridge.flavorOf(rcu)).isSameAs(view);
        assertThat(view.rcu()).isSameAs(rcu);
        assertThat(rcu.toString()).contains(view.name());
        long cookie = view.deferCookie();
        assertThat(cookie).isPositive();
        rcu.synchronize();
        assertThat(view.hasStarted(cookie)).isTrue();
        assertThat(view.hasPassed(cookie)).isTrue();
        assertThat(view.tryAdvance(cookie, false)).isTrue();
        assertThat(view.isOpen()).isTrue();
        assertThat(view.isDomainThread(Thread.currentThread())).isFalse();
        view.checkCanBlock("test");
        rcu.close();
        assertThat(view.isOpen()).isFalse();
        assertThat(view.isClosed()).isTrue();
        assertThatThrownBy(view::deferCookie).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        view.awaitGracePeriodOrClose();   // returns at once on a closed domain
    }

    @Test
    void aFaultTurnsOffTheWaitForReaders() throws Exception {
        try (MembRcu rcu = MembRcu.builder().build()) {
            Thread reader = Thread.ofPlatform().start(() -> {
                rcu.readLock();
                LockSupport.park();   // inside the section until unparked
                rcu.readUnlock();
            });
            try {
                while (reader.getState() != Thread.State.WAITING) {
                    Thread.onSpinWait();
                }
                Faults.inject(rcu, Faults.Fault.SKIP_READER_WAIT, true);
                assertThat(rcu.synchronize(Duration.ofSeconds(30))).as("the fault skips the reader").isTrue();
                Faults.inject(rcu, Faults.Fault.SKIP_READER_WAIT, false);
                assertThat(rcu.synchronize(Duration.ofMillis(50))).as("without it the reader holds grace periods")
                        .isFalse();
            } finally {
                LockSupport.unpark(reader);
                reader.join();
            }
        }
    }

    @Test
    void theViewsMethodsAreNoPublicMethodsOfTheFlavors() {
        for (Class<?> type : List.of(MembRcu.class, QsbrRcu.class, BulletProofRcu.class)) {
            List<String> publicNames = Arrays.stream(type.getMethods()).map(m -> m.getName()).toList();
            assertThat(publicNames).as(type.getSimpleName())
                    .doesNotContain("deferCookie", "hasPassed", "tryAdvance", "gracePeriodStartIsCheap",
                            "awaitGracePeriodOrClose", "checkCanBlock", "injectFault");
        }
    }

    @Test
    void nullsAreRefused() {
        assertThatThrownBy(() -> Bridge.flavorOf(null)).isInstanceOf(NullPointerException.class);
        try (MembRcu rcu = MembRcu.builder().build()) {
            assertThatThrownBy(() -> Faults.inject(rcu, null, true)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> Bridge.register(Bridge.access()))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("registered already");
        }
    }
}
