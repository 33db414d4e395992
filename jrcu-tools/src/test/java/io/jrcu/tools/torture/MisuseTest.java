package io.jrcu.tools.torture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jrcu.MembRcu;
import io.jrcu.ReadSection;
import io.jrcu.testkit.Flavor;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The bookkeeping of {@code --mode misuse}, without a run: how an attempt is judged, what counts as an error, and
 * that a grace period held up past the limit is reported as a stalled domain.
 */
class MisuseTest {

    @Test
    void onlyTheDocumentedExceptionIsARefusal() {
        assertThat(Misuse.judge(IllegalStateException.class, () -> {
            throw new IllegalStateException("refused");
        })).isEqualTo(Misuse.Verdict.REFUSED);
        assertThat(Misuse.judge(IllegalStateException.class, () -> Misuse.Outcome.REFUSED))
                .as("a timed call that timed out").isEqualTo(Misuse.Verdict.REFUSED);
        assertThat(Misuse.judge(IllegalStateException.class, () -> Misuse.Outcome.NOT_MADE))
                .isEqualTo(Misuse.Verdict.NOT_MADE);

        Misuse.Verdict returned = Misuse.judge(IllegalStateException.class, () -> Misuse.Outcome.ACCEPTED);
        assertThat(returned.outcome()).isEqualTo(Misuse.Outcome.ACCEPTED);
        assertThat(returned.how()).isEqualTo("returned normally instead of throwing IllegalStateException");

        Misuse.Verdict other = Misuse.judge(IllegalStateException.class, () -> {
            throw new ArrayIndexOutOfBoundsException("Index 256 out of bounds for length 256");
        });
        assertThat(other.outcome()).as("another exception than the documented one").isEqualTo(Misuse.Outcome.ACCEPTED);
        assertThat(other.how()).contains("ArrayIndexOutOfBoundsException").endsWith("instead of IllegalStateException");

        assertThat(Misuse.judge(IllegalArgumentException.class, () -> {
            throw new IllegalStateException("not the documented exception");
        }).outcome()).isEqualTo(Misuse.Outcome.ACCEPTED);
    }

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void everyFlavorGetsMisuseInsideAndOutsideItsSections(Flavor flavor) {
        Misuse[] inside = Misuse.of(flavor, true);
        Misuse[] outside = Misuse.of(flavor, false);
        assertThat(inside).isNotEmpty().allSatisfy(m -> assertThat(m.insideSection()).isTrue());
        assertThat(outside).isNotEmpty().allSatisfy(m -> assertThat(m.insideSection()).isFalse());
        assertThat(inside.length + outside.length)
                .isEqualTo(Arrays.stream(Misuse.values()).filter(m -> m.appliesTo(flavor)).count());
        assertThat(inside).contains(Misuse.SYNCHRONIZE_IN_SECTION, Misuse.BARRIER_IN_SECTION,
                Misuse.CLOSE_IN_SECTION, Misuse.UNREGISTER_IN_SECTION);
        assertThat(outside).contains(Misuse.UNLOCK_WITHOUT_LOCK);
    }

    @Test
    void acceptedMisuseAndCallbacksThatDidNotRunOnceAreErrors() {
        MisuseOutcome clean = new MisuseOutcome(Map.of(Misuse.TOKEN_UNLOCKED_TWICE, 10L),
                Map.of(Misuse.TOKEN_UNLOCKED_TWICE, 0L), Optional.empty(), 5, 5, true);
        assertThat(clean.errors()).isZero();
        assertThat(clean.problems()).isEmpty();

        MisuseOutcome accepted = new MisuseOutcome(Map.of(Misuse.TOKEN_UNLOCKED_TWICE, 10L),
                Map.of(Misuse.TOKEN_UNLOCKED_TWICE, 3L), Optional.of("first"), 5, 4, true);
        assertThat(accepted.errors()).isEqualTo(3 + 1);
        assertThat(accepted.problems()).containsExactly(
                "readUnlock(token) of a token already ended: accepted 3 time(s), refused 10",
                "5 callbacks queued inside sections, 4 runs once the domain closed: lost or run twice");

        MisuseOutcome stalled = new MisuseOutcome(Map.of(), Map.of(), Optional.empty(), 5, 0, false);
        assertThat(stalled.errors()).as("callbacks are not counted when the domain did not close").isZero();
    }

    /** A grace period that a reader holds up past the limit: the bounded wait reports the domain stalled. */
    @Test
    void aGracePeriodHeldUpPastTheLimitIsAStall() throws InterruptedException {
        try (MembRcu rcu = MembRcu.builder().name("stall-test").build()) {
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch leave = new CountDownLatch(1);
            Thread reader = Thread.ofPlatform().start(() -> {
                try (ReadSection _ = rcu.read()) {
                    entered.countDown();
                    leave.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                entered.await();
                assertThatThrownBy(() -> TortureWriter.awaitBounded(rcu, Duration.ofMillis(50)))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageStartingWith("the domain stalled: the grace period of cookie")
                        .hasMessageContaining("did not end within 50 ms");
            } finally {
                leave.countDown();
                reader.join();
            }
            assertThat(TortureWriter.awaitBounded(rcu, Duration.ofSeconds(10)))
                    .isEqualTo(GracePeriodPath.START_POLL_AWAIT_TIMED);
        }
    }
}
