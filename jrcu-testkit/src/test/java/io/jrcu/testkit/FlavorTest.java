package io.jrcu.testkit;

import io.jrcu.Rcu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FlavorTest {

    /** How long a timed synchronize() waits for a reader that never lets it end. */
    private static final Duration SHORT = Duration.ofMillis(20);
    /** How long a timed synchronize() may take when nothing holds it up: only a hang exceeds it. */
    private static final Duration LONG = Duration.ofSeconds(10);

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void buildsADomainOfItsFlavorThroughTheConfigHook(Flavor flavor) {
        try (Rcu rcu = flavor.build(b -> b.name("testkit-" + flavor))) {
            assertThat(Flavor.of(rcu)).isEqualTo(flavor);
            assertThat(rcu.toString()).contains("testkit-" + flavor);
        }
    }

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void synchronizeWaitsForAReaderInsideASection(Flavor flavor) throws Exception {
        try (Rcu rcu = flavor.build(b -> b.name("testkit-waits")); ExecutorService reader = readerThread()) {
            on(reader, () -> {
                flavor.becomeReader(rcu);
                rcu.readLock();
            });
            try {
                assertThat(rcu.synchronize(SHORT)).as("a timed synchronize() while a pre-existing section is open")
                        .isFalse();
            } finally {
                on(reader, () -> leave(flavor, rcu));
            }
            assertThat(rcu.synchronize(LONG)).as("synchronize() once the reader has left").isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void theBrokenTwinDoesNotWaitForReaders(Flavor flavor) throws Exception {
        try (Rcu rcu = flavor.buildBroken(b -> b.name("testkit-broken")); ExecutorService reader = readerThread()) {
            assertThat(Flavor.of(rcu)).isEqualTo(flavor);
            on(reader, () -> {
                flavor.becomeReader(rcu);
                rcu.readLock();
            });
            try {
                assertThat(rcu.synchronize(LONG)).as("a broken synchronize() while a pre-existing section is open")
                        .isTrue();
            } finally {
                on(reader, () -> leave(flavor, rcu));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void aPausedReaderHoldsUpNothingAndAResumedOneOnlyWhenQsbr(Flavor flavor) throws Exception {
        try (Rcu rcu = flavor.build(b -> b.name("testkit-pause")); ExecutorService reader = readerThread()) {
            on(reader, () -> {
                flavor.becomeReader(rcu);
                flavor.pause(rcu);
            });
            try {
                assertThat(rcu.synchronize(LONG)).as("synchronize() while the reader is paused").isTrue();
                on(reader, () -> flavor.resume(rcu));
                boolean qsbr = flavor == Flavor.QSBR;
                assertThat(rcu.synchronize(qsbr ? SHORT : LONG))
                        .as("synchronize() while the resumed reader is outside a section (QSBR: online)")
                        .isEqualTo(!qsbr);
            } finally {
                on(reader, () -> leave(flavor, rcu));
            }
        }
    }

    @Test
    void shortNamesNameEveryFlavorAndUnknownOnesAreRefused() {
        assertThat(Flavor.shortNames()).isEqualTo("memb|qsbr|bp");
        for (Flavor f : Flavor.values()) {
            assertThat(Flavor.named(f.shortName())).isSameAs(f);
            assertThat(f).hasToString(f.shortName());
        }
        assertThatThrownBy(() -> Flavor.named("urcu")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'urcu'").hasMessageContaining("memb|qsbr|bp");
    }

    @Test
    void readerCallsRefuseADomainOfAnotherFlavor() {
        try (Rcu memb = Flavor.MEMB.build()) {
            assertThatThrownBy(() -> Flavor.QSBR.betweenSections(memb)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("qsbr").hasMessageContaining("memb");
        }
    }

    /** A reader's thread: each {@link #on} runs on the same thread; closing the executor joins it. */
    private static ExecutorService readerThread() {
        return Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("testkit-reader").unstarted(r));
    }

    /** Runs {@code step} on the reader's thread and waits for it; its failure fails the test. */
    private static void on(ExecutorService reader, Runnable step) throws Exception {
        reader.submit(step).get();
    }

    /** On the reader's thread: closes its section, if open, and stops being a reader. */
    private static void leave(Flavor flavor, Rcu rcu) {
        if (rcu.inReadSection()) {
            rcu.readUnlock();
        }
        flavor.leaveReader(rcu);
    }
}
