package io.jrcu.internal;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Uninterruptibly}: waits that go on through interrupts and re-assert them, and deadlines. */
class UninterruptiblyTest {

    @Test
    void anInterruptDoesNotEndTheWaitAndIsReassertedAfterIt() throws InterruptedException {
        CountDownLatch latch = new CountDownLatch(1);
        AtomicInteger waits = new AtomicInteger();
        Thread.currentThread().interrupt();   // the first wait throws at once
        boolean done = Uninterruptibly.await(() -> latch.getCount() == 0, nanos -> {
            if (waits.incrementAndGet() == 2) {
                latch.countDown();   // the wait went on after the interrupt
            }
            latch.await(nanos, TimeUnit.NANOSECONDS);
        }, Uninterruptibly.NO_DEADLINE);
        assertThat(done).isTrue();
        assertThat(waits).hasValue(2);
        assertThat(Thread.interrupted()).as("interrupt re-asserted").isTrue();
    }

    @Test
    void anInterruptSeenAfterAWaitThatDoesNotThrowIsClearedAndReasserted() {
        AtomicInteger waits = new AtomicInteger();
        boolean done = Uninterruptibly.await(() -> waits.get() == 2, nanos -> {
            if (waits.incrementAndGet() == 1) {
                Thread.currentThread().interrupt();   // as a park returns with the flag set
            } else {
                assertThat(Thread.currentThread().isInterrupted()).as("cleared between waits").isFalse();
            }
        }, Uninterruptibly.NO_DEADLINE);
        assertThat(done).isTrue();
        assertThat(Thread.interrupted()).as("interrupt re-asserted").isTrue();
    }

    @Test
    void aPassedDeadlineEndsTheWaitUnlessTheStateAlreadyHolds() {
        long past = System.nanoTime() - 1;
        assertThat(Uninterruptibly.await(() -> false, nanos -> { }, past)).isFalse();
        assertThat(Uninterruptibly.await(() -> true, nanos -> { }, past)).isTrue();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void joinWaitsForTheThreadsEnd() {
        Thread t = Thread.ofPlatform().start(() -> { });
        assertThat(Uninterruptibly.join(t, Uninterruptibly.NO_DEADLINE)).isTrue();
        assertThat(t.isAlive()).isFalse();
    }

    @Test
    void restoreInterruptSetsTheFlagOnlyWhenAsked() {
        Uninterruptibly.restoreInterrupt(false);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        Uninterruptibly.restoreInterrupt(true);
        assertThat(Thread.interrupted()).isTrue();
    }
}
