package io.jrcu;

import io.jrcu.RcuConformanceTest.Box;
import io.jrcu.TestThreads.Agent;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static io.jrcu.TestThreads.awaitBlockedIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What only {@link BulletProofRcu} has: token sections ({@code readLockToken()} / {@code readUnlock(long)}) that
 * belong to no thread and may end on any thread. The shared contract is in {@link BulletProofConformanceTest}.
 */
class BulletProofRcuTest extends DomainTestSupport {

    private BulletProofRcu domain() {
        return domain(b -> {
        });
    }

    private BulletProofRcu domain(Consumer<BulletProofRcu.Builder> config) {
        BulletProofRcu.Builder builder = BulletProofRcu.builder();
        config.accept(builder);
        return track(builder.build());
    }

    @Test
    void aTokenSectionOpenedOnAVirtualThreadEndsOnAPlatformThreadAndHoldsGracePeriodsMeanwhile()
            throws Exception {
        // A short stall timeout makes the scan for dead readers run: a token belongs to no thread, so the end of
        // the virtual thread that opened it must not end the section.
        BulletProofRcu rcu = domain(b -> b.stallTimeout(Duration.ofMillis(100)));
        AtomicLong token = new AtomicLong();
        AtomicBoolean returned = new AtomicBoolean();
        try (TestThreads threads = new TestThreads()) {
            threads.virtual("opener", () -> {
                token.set(rcu.readLockToken());
                assertThat(rcu.inReadSection()).as("token sections do not count").isFalse();
            }).join(LONG);
            Thread writer = threads.platform("writer", () -> {
                rcu.synchronize();
                returned.set(true);
            });
            awaitBlockedIn(writer, "synchronize");
            assertThat(rcu.synchronize(Duration.ofMillis(300))).as("the token section is still open").isFalse();
            assertThat(returned).isFalse();
            try (Agent closer = threads.agent(false, "closer")) {
                closer.run(() -> rcu.readUnlock(token.get()));
            }
        }
        assertThat(returned).isTrue();
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @Test
    void tokenSectionsDoNotCountInInReadSection() {
        BulletProofRcu rcu = domain();
        long token = rcu.readLockToken();
        assertThat(rcu.inReadSection()).isFalse();
        assertThat(rcu.reader().inReadSection()).isFalse();
        try (ReadSection s = rcu.read()) {
            assertThat(rcu.inReadSection()).isTrue();
            long nested = rcu.readLockToken();
            rcu.readUnlock(nested);
            assertThat(rcu.inReadSection()).isTrue();
        }
        assertThat(rcu.inReadSection()).isFalse();
        assertThatThrownBy(rcu::readUnlock).as("a token is not ended by readUnlock()")
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("without a matching");
        rcu.readUnlock(token);
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @Test
    void aThreadHoldingItsOwnTokenWaitsForItselfAndTheTimedFormsAreTheWayOut() {
        BulletProofRcu rcu = domain();
        long token = rcu.readLockToken();
        assertThat(rcu.synchronize(SHORT)).as("documented: waits for its own token section").isFalse();
        assertThat(rcu.await(rcu.snapshot(), SHORT)).isFalse();
        rcu.readUnlock(token);
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @Test
    void tokensThatAreNoTokensAreRejected() {
        BulletProofRcu rcu = domain();
        for (long garbage : new long[] {0L, 1L, 12345L, -1L, Long.MIN_VALUE, Long.MAX_VALUE}) {
            assertThatThrownBy(() -> rcu.readUnlock(garbage)).as("readUnlock(%d)", garbage)
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not a live token");
        }
        assertThat(rcu.synchronize(LONG)).as("the rejected calls ended no section").isTrue();
        long token = rcu.readLockToken();
        assertThatThrownBy(() -> rcu.readUnlock(token ^ (1L << 62))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a live token");
        assertThat(rcu.synchronize(SHORT)).as("the real token is still open").isFalse();
        rcu.readUnlock(token);
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @Test
    void withDebugChecksATokenEndedTwiceIsRejectedEvenWhileOthersAreOpen() {
        BulletProofRcu rcu = domain(b -> b.debugChecks(true));
        long first = rcu.readLockToken();
        long second = rcu.readLockToken();  // same thread: same stripe and phase as the first
        rcu.readUnlock(first);
        assertThatThrownBy(() -> rcu.readUnlock(first)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a live token");
        assertThat(rcu.synchronize(SHORT)).as("the rejected call did not end the second section").isFalse();
        rcu.readUnlock(second);
        assertThatThrownBy(() -> rcu.readUnlock(second)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a live token");
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @Test
    void aTokenEndedTwiceIsRejectedWhenNothingElseIsOpen() {
        BulletProofRcu rcu = domain();
        long token = rcu.readLockToken();
        rcu.readUnlock(token);
        assertThatThrownBy(() -> rcu.readUnlock(token)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a live token");
        assertThat(rcu.synchronize(LONG)).isTrue();
        long again = rcu.readLockToken();
        assertThat(rcu.synchronize(SHORT)).as("the counters were not corrupted by the rejected call").isFalse();
        rcu.readUnlock(again);
    }

    @Test
    void aTokenOfAnotherDomainIsRejectedWhenNothingIsOpenHere() {
        BulletProofRcu rcu = domain();
        BulletProofRcu other = domain();
        long foreign = other.readLockToken();
        assertThatThrownBy(() -> rcu.readUnlock(foreign)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a live token");
        assertThat(other.synchronize(SHORT)).as("the foreign section is still open in its own domain").isFalse();
        other.readUnlock(foreign);
        assertThat(other.synchronize(LONG)).isTrue();
    }

    /**
     * With debug checks on, {@code readUnlock(long)} is documented to check tokens exactly: a token of another
     * domain must be rejected, and above all must not end one of this domain's open sections (misuse must never
     * corrupt). Both domains here are fresh and used by the same thread, so their first tokens have the same stripe,
     * phase and per-domain sequence number.
     */
    @Test
    void withDebugChecksATokenOfAnotherDomainIsRejectedAndEndsNoSectionHere() {
        BulletProofRcu rcu = domain(b -> b.debugChecks(true));
        BulletProofRcu other = domain(b -> b.debugChecks(true));
        long foreign = other.readLockToken();
        long own = rcu.readLockToken();
        boolean ownEnded = false;
        try {
            Throwable thrown = null;
            try {
                rcu.readUnlock(foreign);
                ownEnded = true;  // it ended the only open section of this domain: `own`
            } catch (IllegalStateException e) {
                thrown = e;
            }
            assertThat(rcu.synchronize(SHORT)).as("this domain's own token section is still open").isFalse();
            assertThat(thrown).as("readUnlock(token of another domain) with debug checks on")
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not a live token");
        } finally {
            other.readUnlock(foreign);
            if (!ownEnded) {
                rcu.readUnlock(own);
            }
        }
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @Test
    void closeWaitsForAnOpenTokenSectionThatAnyThreadCanStillEnd() throws Exception {
        BulletProofRcu rcu = domain();
        AtomicLong token = new AtomicLong();
        AtomicBoolean closed = new AtomicBoolean();
        try (TestThreads threads = new TestThreads()) {
            threads.virtual("opener", () -> token.set(rcu.readLockToken())).join(LONG);
            Thread closer = threads.platform("closer", () -> {
                rcu.close();
                closed.set(true);
            });
            awaitBlockedIn(closer, "close");
            assertThatThrownBy(rcu::readLockToken).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("clos");
            assertThat(closed).isFalse();
            try (Agent ender = threads.agent(false, "ender")) {
                ender.run(() -> rcu.readUnlock(token.get()));
            }
        }
        assertThat(closed).isTrue();
        assertThatThrownBy(rcu::readLockToken).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void registrationIsANoOpButUnregisteringInsideASectionIsMisuse() {
        BulletProofRcu rcu = domain();
        RcuReader reader = rcu.reader();
        rcu.registerThread();
        try (ReadSection s = rcu.read()) {
            rcu.registerThread();
            assertThatThrownBy(rcu::unregisterThread).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a read section");
            assertThat(rcu.inReadSection()).isTrue();
        }
        rcu.unregisterThread();
        assertThat(rcu.reader()).isSameAs(reader);
        try (ReadSection s = reader.read()) {
            assertThat(reader.inReadSection()).isTrue();
        }
    }

    /**
     * Cross-thread token sections under load: virtual threads open a token section, read the published object and
     * hand both to a platform thread, which checks the object was not reclaimed and ends the section; a writer
     * replaces and reclaims objects concurrently.
     */
    @Test
    void tokenSectionsHandedBetweenThreadsProtectWhatTheyRead() throws Exception {
        BulletProofRcu rcu = domain(b -> b.debugChecks(true));
        RcuReference<Box> ref = new RcuReference<>(new Box(0));
        record Handoff(long token, Box box) {
        }
        int readers = 2_000;
        BlockingQueue<Handoff> handoffs = new ArrayBlockingQueue<>(64);
        CountDownLatch ended = new CountDownLatch(readers);
        AtomicInteger updates = new AtomicInteger();
        try (TestThreads threads = new TestThreads(Duration.ofSeconds(20))) {
            threads.platform("ender", () -> {
                for (int i = 0; i < readers; i++) {
                    Handoff h = handoffs.poll(LONG.toNanos(), TimeUnit.NANOSECONDS);
                    assertThat(h).as("a handoff arrived").isNotNull();
                    Thread.yield();
                    assertThat(h.box().reclaimed).as("reclaimed while a token section that read it is open")
                            .isFalse();
                    rcu.readUnlock(h.token());
                    ended.countDown();
                }
            });
            threads.platform("writer", () -> {
                int i = 0;
                while (ended.getCount() > 0) {
                    Box old = ref.getAndSet(new Box(++i));
                    assertThat(rcu.synchronize(LONG)).isTrue();
                    old.reclaimed = true;
                }
                updates.set(i);
            });
            for (int r = 0; r < readers; r++) {
                threads.virtual("token-reader", () -> {
                    long token = rcu.readLockToken();
                    Box b = ref.get();
                    assertThat(b.reclaimed).isFalse();
                    handoffs.put(new Handoff(token, b));
                });
            }
        }
        assertThat(updates.get()).isPositive();
        assertThat(rcu.synchronize(LONG)).isTrue();
    }
}
