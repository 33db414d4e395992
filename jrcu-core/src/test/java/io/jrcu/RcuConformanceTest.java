package io.jrcu;

import io.jrcu.TestThreads.Agent;
import io.jrcu.TestThreads.Body;
import io.jrcu.TestThreads.Held;
import io.jrcu.internal.Faults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static io.jrcu.TestThreads.await;
import static io.jrcu.TestThreads.awaitBlockedIn;
import static io.jrcu.TestThreads.awaitCondition;
import static io.jrcu.TestThreads.isBlockedIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The conformance suite every flavor passes: written once against the {@link Rcu} contract (issue 2's "Semantics"
 * and "Misuse" sections and the Javadoc), run for every {@link TestFlavor}. The few differences between flavors are
 * the fixture's hooks: how a thread becomes a protected reader (memb/bulletProof: nothing to do; QSBR: register,
 * which brings it online), what it does between sections (QSBR: report a quiescent state) and how it stops being
 * one. What only one flavor has is tested in its own class ({@link MembRcuTest}, {@link QsbrRcuTest},
 * {@link BulletProofRcuTest}).
 *
 * <p>Conventions: every thread a test starts is joined and its failure rethrown ({@link TestThreads}); nothing sleeps
 * to synchronize (latches, and polling of thread states with a deadline); a reader "holds" a section by waiting on a
 * latch inside it; "blocked" means observed WAITING/TIMED_WAITING/BLOCKED with the jrcu method on its stack. No
 * assertion is about time: a timed call returning {@code false} is used only where the contract requires that the
 * grace period cannot end at all.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(TestFlavor.class)
class RcuConformanceTest extends DomainTestSupport {

    /** The nesting depth the contract requires to work; one more must throw. */
    static final int MAX_NESTING = 65_535;

    /** The flavor under test. */
    @Parameter
    TestFlavor flavor;

    // ------------------------------------------------------------------ helpers

    final Rcu domain() {
        return domain(b -> {
        });
    }

    final Rcu domain(Consumer<RcuBuilder<?>> config) {
        return track(flavor.build(config));
    }

    /** A thread (virtual or platform) that enters a section and holds it until released, then leaves. */
    final Held holdSection(TestThreads threads, Rcu rcu, boolean virtual) {
        return threads.hold(virtual, "reader", () -> {
            flavor.becomeReader(rcu);
            rcu.readLock();
        }, () -> {
            rcu.readUnlock();
            flavor.leaveReader(rcu);
        });
    }

    static void assertIllegalState(Throwable thrown, String... anyOfFragments) {
        assertThat(thrown).isInstanceOf(IllegalStateException.class);
        assertThat(thrown.getMessage()).containsAnyOf(anyOfFragments);
    }

    // ================================================================== the RCU guarantee

    @ParameterizedTest(name = "virtual reader: {0}")
    @ValueSource(booleans = {false, true})
    void synchronizeDoesNotReturnWhileAPreExistingSectionIsOpen(boolean virtualReader) {
        Rcu rcu = domain();
        AtomicBoolean returned = new AtomicBoolean();
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, virtualReader);
            try {
                Thread writer = threads.platform("writer", () -> {
                    rcu.synchronize();
                    returned.set(true);
                });
                awaitBlockedIn(writer, "synchronize");
                assertThat(returned).as("synchronize() returned while a section that began before it is open")
                        .isFalse();
                assertThat(rcu.synchronize(SHORT)).as("timed synchronize while a pre-existing section is open")
                        .isFalse();
                assertThat(returned).isFalse();
                assertThat(writer.isAlive()).isTrue();
            } finally {
                reader.release();
            }
        }
        assertThat(returned).as("synchronize() returned after the section ended").isTrue();
    }

    @ParameterizedTest(name = "virtual reader: {0}")
    @ValueSource(booleans = {false, true})
    void synchronizeReturnsOnlyAfterASleepingPreExistingSectionEnded(boolean virtualReader) throws Exception {
        Rcu rcu = domain();
        AtomicBoolean sectionEnded = new AtomicBoolean();
        CountDownLatch entered = new CountDownLatch(1);
        try (TestThreads threads = new TestThreads()) {
            threads.start(virtualReader, "sleepy-reader", () -> {
                flavor.becomeReader(rcu);
                rcu.readLock();
                entered.countDown();
                Thread.sleep(100);  // sits inside the section (a virtual thread unmounts here)
                sectionEnded.set(true);
                rcu.readUnlock();
                flavor.leaveReader(rcu);
            });
            await(entered);
            rcu.synchronize();
            assertThat(sectionEnded).as("the section that began before synchronize() ended before it returned")
                    .isTrue();
        }
    }

    @Test
    void synchronizeDoesNotWaitForSectionsThatBeganAfterItStarted() {
        Rcu rcu = domain();
        AtomicBoolean returned = new AtomicBoolean();
        try (TestThreads threads = new TestThreads()) {
            Held early = holdSection(threads, rcu, false);
            Held late = null;
            try {
                Thread writer = threads.platform("writer", () -> {
                    rcu.synchronize();
                    returned.set(true);
                });
                awaitBlockedIn(writer, "synchronize");   // its grace period has started and waits for `early`
                late = holdSection(threads, rcu, false); // begins after the grace period started
                early.release();
                awaitCondition("synchronize() returns while only a later section is open", returned::get);
            } finally {
                early.release();
                if (late != null) {
                    late.release();
                }
            }
        }
    }

    /**
     * {@code await(c)} "blocks until {@code poll(c)}": once its grace period has completed it returns, and does not
     * also wait for a later grace period that waits for a section which began after the call. Set-up: the first
     * synchronize() runs grace period c for a pre-existing section; a second synchronize() (cookie c + 1) queues
     * behind it, then {@code await(c)}; then a section begins and stays open. When the pre-existing section ends,
     * grace period c completes and poll(c) is true; await(c) must return while the later section is still open.
     * (A correct implementation returns at once; the bound below is only there to keep a failing run short.)
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"await", "timed await"})
    void awaitReturnsOnceItsGracePeriodCompletedWithoutWaitingForALaterOne(String call) {
        Rcu rcu = domain();
        long c = rcu.snapshot();
        AtomicBoolean awaitReturned = new AtomicBoolean();
        try (TestThreads threads = new TestThreads()) {
            Held early = holdSection(threads, rcu, false);
            Held late = null;
            try {
                Thread first = threads.platform("synchronize-c", rcu::synchronize);
                awaitBlockedIn(first, "synchronize");     // runs grace period c, which waits for `early`
                Thread second = threads.platform("synchronize-c+1", rcu::synchronize);
                awaitBlockedIn(second, "synchronize");    // needs grace period c + 1
                Thread waiter = threads.platform("await-c", () -> {
                    if (call.equals("await")) {
                        rcu.await(c);
                    } else {
                        assertThat(rcu.await(c, Duration.ofMinutes(5))).isTrue();
                    }
                    awaitReturned.set(true);
                });
                awaitBlockedIn(waiter, "await");
                late = holdSection(threads, rcu, false); // begins after await(c) was called
                early.release();
                awaitCondition("poll(c) after the pre-existing section ended", () -> rcu.poll(c));
                awaitCondition("await(c) returns once poll(c) is true, while a later section is open",
                        Duration.ofSeconds(2), awaitReturned::get);
            } finally {
                early.release();
                if (late != null) {
                    late.release();
                }
            }
        }
        assertThat(awaitReturned).isTrue();
    }

    @Test
    void aSectionOpenedAfterSynchronizeReturnedDoesNotMatter() {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        rcu.synchronize();
        try (ReadSection s = rcu.read()) {
            assertThat(rcu.inReadSection()).isTrue();
        }
        flavor.betweenSections(rcu);
        flavor.leaveReader(rcu);
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    /** Evidence that the guarantee tests can fail: with the reader wait skipped, the timed check would succeed. */
    @Test
    void theGuaranteeCheckDetectsABrokenGracePeriod() {
        Rcu rcu = domain();
        Faults.inject(rcu, Faults.Fault.SKIP_READER_WAIT, true);
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, false);
            try {
                assertThat(rcu.synchronize(SHORT)).as("a broken grace period ends despite the open section")
                        .isTrue();
            } finally {
                reader.release();
            }
        }
    }

    // ================================================================== nesting

    @Test
    void nestedSectionsAreCountedAndInReadSectionFollowsTheDepth() {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        RcuReader reader = rcu.reader();
        assertThat(rcu.inReadSection()).isFalse();
        assertThat(reader.inReadSection()).isFalse();
        try (ReadSection outer = rcu.read()) {
            assertThat(rcu.inReadSection()).isTrue();
            assertThat(reader.inReadSection()).isTrue();
            rcu.readLock();
            try (ReadSection inner = reader.read()) {
                assertThat(rcu.inReadSection()).isTrue();
                reader.readLock();
                reader.readUnlock();
                assertThat(reader.inReadSection()).isTrue();
            }
            assertThat(rcu.inReadSection()).isTrue();
            rcu.readUnlock();
            assertThat(rcu.inReadSection()).as("depth 1 after closing the nested ones").isTrue();
        }
        assertThat(rcu.inReadSection()).isFalse();
        assertThat(reader.inReadSection()).isFalse();
    }

    @Test
    void eachNestingLevelReusesItsOwnSectionObject() {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        RcuReader reader = rcu.reader();
        int levels = 12;   // beyond the first growth of the nested levels' array
        ReadSection[] first = new ReadSection[levels];
        for (int round = 0; round < 2; round++) {
            ReadSection[] open = new ReadSection[levels];
            for (int level = 0; level < levels; level++) {
                open[level] = reader.read();
            }
            assertThat(open).as("a distinct object per level").doesNotHaveDuplicates();
            if (round == 0) {
                System.arraycopy(open, 0, first, 0, levels);
            } else {
                for (int level = 0; level < levels; level++) {
                    assertThat(open[level]).as("level %d in the second round", level + 1).isSameAs(first[level]);
                }
            }
            for (int level = levels - 1; level >= 0; level--) {
                open[level].close();
            }
            assertThat(reader.inReadSection()).isFalse();
        }
        assertThatThrownBy(first[0]::close).as("the outermost object once its section ended")
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed twice");
    }

    @Test
    void aNestedSectionKeepsGracePeriodsWaitingUntilTheOutermostEnds() throws Exception {
        Rcu rcu = domain();
        try (TestThreads threads = new TestThreads(); Agent reader = threads.agent(false, "nested-reader")) {
            reader.run(() -> {
                flavor.becomeReader(rcu);
                rcu.readLock();
                rcu.readLock();
            });
            assertThat(rcu.synchronize(SHORT)).isFalse();
            reader.run(rcu::readUnlock);
            assertThat(reader.call(rcu::inReadSection)).isTrue();
            assertThat(rcu.synchronize(SHORT)).as("the outer section is still open").isFalse();
            reader.run(() -> {
                rcu.readUnlock();
                flavor.leaveReader(rcu);
            });
            assertThat(rcu.synchronize(LONG)).isTrue();
        }
    }

    @Test
    void sectionsNest65535DeepTheNextThrowsAndTheyUnwind() {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        for (int i = 0; i < MAX_NESTING; i++) {
            rcu.readLock();
        }
        assertThat(rcu.inReadSection()).isTrue();
        assertThatThrownBy(rcu::readLock).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("nest").hasMessageContaining(String.valueOf(MAX_NESTING));
        assertThatThrownBy(rcu::read).isInstanceOf(IllegalStateException.class).hasMessageContaining("nest");
        assertThatThrownBy(() -> rcu.reader().readLock()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("nest");
        for (int i = 0; i < MAX_NESTING; i++) {
            assertThat(rcu.inReadSection()).isTrue();
            rcu.readUnlock();
        }
        assertThat(rcu.inReadSection()).isFalse();
        assertThatThrownBy(rcu::readUnlock).isInstanceOf(IllegalStateException.class);
        flavor.leaveReader(rcu);
        assertThat(rcu.synchronize(LONG)).as("nothing was left open").isTrue();
    }

    @Test
    void readSectionObjectsNest65535DeepAndCloseInReverseOrder() {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        RcuReader reader = rcu.reader();
        ReadSection[] sections = new ReadSection[MAX_NESTING];
        for (int i = 0; i < MAX_NESTING; i++) {
            sections[i] = (i % 2 == 0 ? rcu.read() : reader.read());
        }
        assertThatThrownBy(reader::read).isInstanceOf(IllegalStateException.class).hasMessageContaining("nest");
        for (int i = MAX_NESTING - 1; i >= 0; i--) {
            sections[i].close();
        }
        assertThat(rcu.inReadSection()).isFalse();
        flavor.leaveReader(rcu);
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @Test
    void tryWithResourcesClosesTheSectionAlsoWhenTheBodyThrows() {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        assertThatThrownBy(() -> {
            try (ReadSection s = rcu.read()) {
                assertThat(rcu.inReadSection()).isTrue();
                throw new ArithmeticException("boom");
            }
        }).isInstanceOf(ArithmeticException.class).hasNoSuppressedExceptions();
        assertThat(rcu.inReadSection()).isFalse();
        flavor.leaveReader(rcu);
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    // ================================================================== registration lifecycle

    @Test
    void registerAndUnregisterAreIdempotent() {
        Rcu rcu = domain();
        rcu.registerThread();
        rcu.registerThread();
        try (ReadSection s = rcu.read()) {
            assertThat(rcu.inReadSection()).isTrue();
        }
        rcu.unregisterThread();
        rcu.unregisterThread();
        assertThat(rcu.inReadSection()).isFalse();
        assertThat(rcu.synchronize(LONG)).as("an unregistered thread holds no grace period").isTrue();
    }

    @Test
    void unregisterInsideASectionThrows() {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        rcu.readLock();
        assertThatThrownBy(rcu::unregisterThread).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("inside a read section");
        assertThat(rcu.inReadSection()).as("the section is still open").isTrue();
        rcu.readUnlock();
        rcu.unregisterThread();
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @Test
    void aReaderHandleBelongsToItsThread() throws Exception {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        RcuReader mine = rcu.reader();
        String me = Thread.currentThread().getName();
        try (TestThreads threads = new TestThreads(); Agent other = threads.agent(false, "other")) {
            assertIllegalState(other.thrown(mine::read), me);
            assertIllegalState(other.thrown(mine::readLock), me);
            assertIllegalState(other.thrown(mine::readUnlock), me);
        }
        try (ReadSection s = mine.read()) {
            assertThat(mine.inReadSection()).isTrue();
        }
        mine.readLock();
        mine.readUnlock();
        assertThat(rcu.inReadSection()).isFalse();
    }

    @Test
    void aReaderHandleCannotBeUsedAfterItsThreadUnregistered() {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        RcuReader handle = rcu.reader();
        rcu.unregisterThread();
        if (flavor == TestFlavor.BULLET_PROOF) {
            try (ReadSection s = handle.read()) { // unregisterThread() is a no-op: the handle stays valid
                assertThat(rcu.inReadSection()).isTrue();
            }
            return;
        }
        assertThatThrownBy(handle::read).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unregistered");
        assertThatThrownBy(handle::readLock).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unregistered");
        assertThatThrownBy(handle::readUnlock).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unregistered");
    }

    // ================================================================== thread death

    @ParameterizedTest(name = "virtual: {0}")
    @ValueSource(booleans = {false, true})
    void aReaderThatTerminatesInsideASectionDoesNotHangGracePeriods(boolean virtual) {
        Rcu rcu = domain(b -> b.stallTimeout(Duration.ofMillis(200)));
        try (TestThreads threads = new TestThreads()) {
            threads.start(virtual, "dies-inside-a-section", () -> {
                flavor.becomeReader(rcu);
                rcu.readLock();
            });
        }
        assertThat(rcu.synchronize(LONG)).as("grace period after the reader died inside its section").isTrue();
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @ParameterizedTest(name = "virtual: {0}")
    @ValueSource(booleans = {false, true})
    void aReaderThatTerminatesInsideASectionWhileAGracePeriodWaitsForItIsReleased(boolean virtual) {
        Rcu rcu = domain(b -> b.stallTimeout(Duration.ofMillis(200)));
        AtomicBoolean returned = new AtomicBoolean();
        try (TestThreads threads = new TestThreads()) {
            Held reader = threads.hold(virtual, "dies-inside-a-section", () -> {
                flavor.becomeReader(rcu);
                rcu.readLock();
            }, () -> {
                // ends without closing its section
            });
            Thread writer = threads.platform("writer", () -> {
                rcu.synchronize();
                returned.set(true);
            });
            try {
                awaitBlockedIn(writer, "synchronize");
            } finally {
                reader.release();
            }
        }
        assertThat(returned).isTrue();
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @ParameterizedTest(name = "virtual: {0}")
    @ValueSource(booleans = {false, true})
    void threadsThatTerminateWithoutUnregisteringNeverBlockAGracePeriod(boolean virtual) {
        Rcu rcu = domain(b -> b.stallTimeout(Duration.ofMillis(200)));
        try (TestThreads threads = new TestThreads()) {
            for (int i = 0; i < 50; i++) {
                threads.start(virtual, "terminates-registered", () -> {
                    flavor.becomeReader(rcu);
                    rcu.registerThread();
                    try (ReadSection s = rcu.read()) {
                        assertThat(rcu.inReadSection()).isTrue();
                    }
                    flavor.betweenSections(rcu);
                });
            }
        }
        for (int i = 0; i < 3; i++) {
            assertThat(rcu.synchronize(LONG)).isTrue();
        }
    }

    // ================================================================== polling

    @Test
    void completedAlwaysPollsComplete() {
        Rcu rcu = domain();
        assertThat(rcu.poll(Rcu.COMPLETED)).isTrue();
        long c = rcu.snapshot();
        assertThat(rcu.poll(Rcu.COMPLETED)).isTrue();
        rcu.await(Rcu.COMPLETED);
        assertThat(rcu.await(Rcu.COMPLETED, Duration.ZERO)).isTrue();
        rcu.await(c);
        assertThat(rcu.poll(Rcu.COMPLETED)).isTrue();
        rcu.close();
        assertThat(rcu.poll(Rcu.COMPLETED)).isTrue();
    }

    @Test
    void aSnapshotCookieCompletesOnlyAfterAGracePeriod() {
        Rcu rcu = domain();
        long c = rcu.snapshot();
        assertThat(rcu.poll(c)).as("snapshot() starts no grace period").isFalse();
        assertThat(rcu.poll(c)).isFalse();
        rcu.synchronize();
        assertThat(rcu.poll(c)).isTrue();
    }

    @Test
    void startPollCompletesWithoutAnyFurtherCall() {
        Rcu rcu = domain();
        long c = rcu.startPoll();
        awaitCondition("poll(startPoll()) becomes true without further calls", () -> rcu.poll(c));
        long d = rcu.startPoll();
        assertThat(d).isGreaterThan(c);
        awaitCondition("poll(second startPoll()) becomes true", () -> rcu.poll(d));
    }

    @Test
    void startPollWaitsForPreExistingSectionsThenCompletesByItself() {
        Rcu rcu = domain();
        long c;
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, false);
            try {
                c = rcu.startPoll();
                assertThat(rcu.await(c, SHORT)).isFalse();
                assertThat(rcu.poll(c)).isFalse();
            } finally {
                reader.release();
            }
        }
        awaitCondition("poll(c) becomes true after the reader left", () -> rcu.poll(c));
    }

    @Test
    void awaitOfASnapshotCookieStartsTheGracePeriodItself() {
        Rcu rcu = domain();
        long c = rcu.snapshot();
        rcu.await(c);
        assertThat(rcu.poll(c)).isTrue();
        long d = rcu.snapshot();
        assertThat(rcu.poll(d)).isFalse();
        assertThat(rcu.await(d, LONG)).isTrue();
        assertThat(rcu.poll(d)).isTrue();
    }

    @Test
    void cookiesIncreaseMonotonically() {
        Rcu rcu = domain();
        long previous = Rcu.COMPLETED;
        for (int round = 0; round < 30; round++) {
            long c = switch (round % 3) {
                case 0 -> rcu.snapshot();
                case 1 -> rcu.startPoll();
                default -> {
                    long before = rcu.snapshot();
                    rcu.synchronize();
                    long after = rcu.snapshot();
                    assertThat(after).as("a grace period ran between the two snapshots").isGreaterThan(before);
                    yield after;
                }
            };
            assertThat(c).isGreaterThanOrEqualTo(previous).isGreaterThan(Rcu.COMPLETED);
            previous = c;
        }
    }

    @Test
    void cookiesThatWereNeverIssuedAreRejected() {
        Rcu rcu = domain();
        assertThatThrownBy(() -> rcu.poll(1)).as("the next cookie, before anyone took it")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("never issued");
        long c = rcu.snapshot();
        assertThatThrownBy(() -> rcu.poll(c + 1)).as("the cookie after the newest issued")
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rcu.poll(c + 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rcu.await(c + 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rcu.await(c + 10, SHORT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rcu.poll(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rcu.poll(Long.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class);

        Rcu other = domain();
        for (int i = 0; i < 5; i++) {
            other.synchronize();
        }
        long foreign = other.snapshot();
        assertThatThrownBy(() -> rcu.poll(foreign)).as("a cookie of a domain further along")
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(rcu.poll(c)).as("the domain is unharmed").isFalse();
    }

    @Test
    void afterCloseEveryCookieIssuedBeforePollsComplete() {
        Rcu rcu = domain();
        long c1 = rcu.snapshot();
        rcu.synchronize();
        long c2 = rcu.snapshot();          // no grace period was ever requested for it
        long c3 = rcu.startPoll();
        long c4 = rcu.snapshot();
        rcu.close();
        for (long c : new long[] {c1, c2, c3, c4}) {
            assertThat(rcu.poll(c)).as("poll(%d) after close", c).isTrue();
            rcu.await(c);
            assertThat(rcu.await(c, SHORT)).isTrue();
        }
    }

    @Test
    void timedAwaitGivesUpWhileAPreExistingSectionIsOpenAndSucceedsAfterIt() {
        Rcu rcu = domain();
        long c;
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, false);
            try {
                c = rcu.snapshot();
                assertThat(rcu.await(c, SHORT)).isFalse();
                assertThat(rcu.poll(c)).isFalse();
            } finally {
                reader.release();
            }
        }
        assertThat(rcu.await(c, LONG)).isTrue();
        assertThat(rcu.poll(c)).isTrue();
    }

    // ================================================================== sharing of grace periods

    @Test
    void concurrentSynchronizeCallersShareGracePeriods() {
        Rcu rcu = domain();
        long before = rcu.snapshot();
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, false);
            try {
                List<Thread> callers = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    callers.add(threads.platform("synchronizer", rcu::synchronize));
                }
                for (Thread t : callers) {
                    awaitBlockedIn(t, "synchronize");
                }
            } finally {
                reader.release();
            }
        }
        long gracePeriods = rcu.snapshot() - before;
        assertThat(gracePeriods).as("grace periods run for 8 concurrent synchronize() calls").isBetween(1L, 3L);
    }

    // ================================================================== interrupts

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"synchronize", "await"})
    void blockingCallsKeepWaitingThroughInterruptsAndReassertTheFlag(String method) {
        Rcu rcu = domain();
        AtomicInteger returned = new AtomicInteger();
        AtomicInteger returnedInterrupted = new AtomicInteger();
        Body call = method.equals("synchronize") ? rcu::synchronize : () -> rcu.await(rcu.snapshot());
        Body body = () -> {
            call.run();
            returned.incrementAndGet();
            if (Thread.currentThread().isInterrupted()) {
                returnedInterrupted.incrementAndGet();
            }
        };
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, false);
            try {
                Thread first = threads.platform(method + "-runs-the-grace-period", body);
                awaitBlockedIn(first, method);
                Thread second = threads.platform(method + "-queued-behind", body);
                awaitBlockedIn(second, method);
                first.interrupt();
                second.interrupt();
                // A waiter that keeps waiting must consume the interrupt status to park again; then it is seen
                // blocked in the call once more.
                awaitCondition("both interrupted callers keep waiting", () ->
                        !first.isInterrupted() && !second.isInterrupted()
                                && isBlockedIn(first, method) && isBlockedIn(second, method));
                assertThat(returned).as("returned while the pre-existing section is open").hasValue(0);
            } finally {
                reader.release();
            }
        }
        assertThat(returned).hasValue(2);
        assertThat(returnedInterrupted).as("callers that return with the interrupt status re-asserted")
                .hasValue(2);
    }

    // ================================================================== misuse

    @Test
    void blockingCallsInsideASectionOfTheSameDomainThrow() {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        long pending = rcu.snapshot();
        try (ReadSection s = rcu.read()) {
            assertThatThrownBy(rcu::synchronize).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a read section");
            assertThatThrownBy(() -> rcu.synchronize(SHORT)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a read section");
            assertThatThrownBy(() -> rcu.await(pending)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a read section");
            assertThatThrownBy(() -> rcu.await(pending, SHORT)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a read section");
            assertThat(rcu.inReadSection()).isTrue();
        }
        rcu.readLock();
        assertThatThrownBy(rcu::synchronize).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("inside a read section");
        rcu.readUnlock();
        assertThat(rcu.synchronize(LONG)).as("the rejected calls left nothing behind").isTrue();
        assertThat(rcu.poll(pending)).isTrue();
    }

    @Test
    void aSectionOfAnotherDomainDoesNotPreventSynchronize() {
        Rcu rcu = domain();
        Rcu other = domain();
        flavor.becomeReader(other);
        try (ReadSection s = other.read()) {
            assertThat(rcu.synchronize(LONG)).isTrue();
        }
    }

    @Test
    void readUnlockWithoutAMatchingLockThrows() throws Exception {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        assertThatThrownBy(rcu::readUnlock).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("without a matching");
        assertThatThrownBy(() -> rcu.reader().readUnlock()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("without a matching");
        rcu.readLock();
        rcu.readUnlock();
        assertThatThrownBy(rcu::readUnlock).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("without a matching");
        assertThat(rcu.inReadSection()).isFalse();
        try (TestThreads threads = new TestThreads(); Agent stranger = threads.agent(false, "never-a-reader")) {
            assertIllegalState(stranger.thrown(rcu::readUnlock), "without a matching", "not registered");
        }
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @Test
    void aReadSectionClosedOutOfOrderThrows() {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        ReadSection outer = rcu.read();
        ReadSection inner = rcu.read();
        assertThatThrownBy(outer::close).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("out of order");
        assertThat(rcu.inReadSection()).isTrue();
        inner.close();
        assertThat(rcu.inReadSection()).isTrue();
        outer.close();
        assertThat(rcu.inReadSection()).isFalse();
    }

    @Test
    void aReadSectionClosedTwiceThrows() {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        ReadSection s = rcu.read();
        s.close();
        assertThatThrownBy(s::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("twice");
        assertThat(rcu.inReadSection()).isFalse();

        ReadSection outer = rcu.read();
        ReadSection inner = rcu.read();
        inner.close();
        assertThatThrownBy(inner::close).as("inner closed twice while outer is open")
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("twice");
        assertThat(rcu.inReadSection()).as("the outer section is untouched").isTrue();
        outer.close();
        assertThat(rcu.inReadSection()).isFalse();
        flavor.leaveReader(rcu);
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @Test
    void aReadSectionClosedByAnotherThreadThrows() throws Exception {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        String me = Thread.currentThread().getName();
        ReadSection s = rcu.read();
        try (TestThreads threads = new TestThreads(); Agent other = threads.agent(true, "other")) {
            assertIllegalState(other.thrown(s::close), me);
        }
        assertThat(rcu.inReadSection()).as("still open for its owner").isTrue();
        s.close();
        assertThat(rcu.inReadSection()).isFalse();
    }

    @ParameterizedTest(name = "virtual: {0}")
    @ValueSource(booleans = {false, true})
    void withDebugChecksRcuReferenceGetNeedsProtection(boolean virtual) {
        Rcu rcu = domain(b -> b.debugChecks(true));
        RcuReference<String> ref = new RcuReference<>("v");
        try (TestThreads threads = new TestThreads()) {
            threads.start(virtual, "debug-get", () -> {
                assertThatThrownBy(ref::get).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("no read section");
                flavor.becomeReader(rcu);
                try (ReadSection s = rcu.read()) {
                    assertThat(ref.get()).isEqualTo("v");
                }
                if (flavor == TestFlavor.QSBR) {
                    assertThat(ref.get()).as("an online QSBR thread is protected").isEqualTo("v");
                } else {
                    assertThatThrownBy(ref::get).isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("no read section");
                }
                flavor.leaveReader(rcu);
                assertThatThrownBy(ref::get).isInstanceOf(IllegalStateException.class);
            });
        }
    }

    // ================================================================== close()

    @ParameterizedTest(name = "virtual reader: {0}")
    @ValueSource(booleans = {false, true})
    void closeWaitsForAPreExistingSectionWhichCanStillBeClosed(boolean virtualReader) throws Exception {
        Rcu rcu = domain();
        long cookie = rcu.snapshot();
        AtomicBoolean closed = new AtomicBoolean();
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, virtualReader); // exits with readUnlock() during the close
            try {
                Thread closer = threads.platform("closer", () -> {
                    rcu.close();
                    closed.set(true);
                });
                awaitBlockedIn(closer, "close");
                assertThat(closed).as("close() returned while a section opened before it is open").isFalse();
                assertThatThrownBy(rcu::snapshot).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("clos");
                assertThatThrownBy(rcu::startPoll).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("clos");
                assertThatThrownBy(() -> rcu.synchronize(SHORT)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("clos");
                try (Agent newcomer = threads.agent(true, "newcomer")) {
                    assertIllegalState(newcomer.thrown(rcu::read), "clos", "not registered");
                    assertIllegalState(newcomer.thrown(rcu::readLock), "clos", "not registered");
                }
                assertThat(closed).isFalse();
            } finally {
                reader.release();
            }
        }
        assertThat(closed).isTrue();
        assertThat(rcu.poll(cookie)).isTrue();
    }

    @Test
    void aClosedDomainRejectsEveryNewUse() throws Exception {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        RcuReader handle = rcu.reader();
        long cookie = rcu.snapshot();
        rcu.close();
        assertThat(rcu.inReadSection()).isFalse();
        assertThatThrownBy(rcu::read).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(rcu::readLock).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(handle::read).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(handle::readLock).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThat(rcu.inReadSection()).as("the rejected entries left no section open").isFalse();
        assertThatThrownBy(rcu::synchronize).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> rcu.synchronize(SHORT)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(rcu::snapshot).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(rcu::startPoll).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        try (TestThreads threads = new TestThreads(); Agent newcomer = threads.agent(false, "newcomer")) {
            assertIllegalState(newcomer.thrown(rcu::registerThread), "closed");
            assertIllegalState(newcomer.thrown(rcu::read), "closed", "not registered");
        }
        assertThat(rcu.poll(cookie)).isTrue();
        rcu.await(cookie);
    }

    @Test
    void aSecondCloseIsANoOp() {
        Rcu rcu = domain();
        long cookie = rcu.snapshot();
        rcu.close();
        rcu.close();
        assertThat(rcu.poll(cookie)).isTrue();
    }

    @Test
    void closeInsideTheCallersOwnSectionThrowsAndLeavesTheDomainOpen() {
        Rcu rcu = domain();
        flavor.becomeReader(rcu);
        try (ReadSection s = rcu.read()) {
            assertThatThrownBy(rcu::close).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a read section");
            assertThat(rcu.inReadSection()).isTrue();
        }
        flavor.betweenSections(rcu);
        try (ReadSection s = rcu.read()) {
            assertThat(rcu.inReadSection()).as("the domain is still open").isTrue();
        }
        flavor.leaveReader(rcu);
        long c = rcu.snapshot();
        rcu.close();
        assertThat(rcu.poll(c)).isTrue();
    }

    @Test
    void callersAlreadyWaitingForAGracePeriodCompleteNormallyWhenTheDomainCloses() {
        Rcu rcu = domain();
        long cookie = rcu.snapshot();
        AtomicInteger completedNormally = new AtomicInteger();
        AtomicBoolean closed = new AtomicBoolean();
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, false);
            try {
                Thread synchronizer = threads.platform("synchronizer", () -> {
                    rcu.synchronize();
                    completedNormally.incrementAndGet();
                });
                awaitBlockedIn(synchronizer, "synchronize");
                Thread awaiter = threads.platform("awaiter", () -> {
                    rcu.await(cookie);
                    completedNormally.incrementAndGet();
                });
                awaitBlockedIn(awaiter, "await");
                Thread closer = threads.platform("closer", () -> {
                    rcu.close();
                    closed.set(true);
                });
                awaitBlockedIn(closer, "close");
                assertThat(completedNormally).hasValue(0);
            } finally {
                reader.release();
            }
        }
        assertThat(completedNormally).hasValue(2);
        assertThat(closed).isTrue();
    }

    // ================================================================== concurrent smoke tests

    /** A published object: fields written before publication, and a flag set once it is "reclaimed". */
    static final class Box {
        int value;
        int twice;
        volatile boolean reclaimed;

        Box(int value) {
            this.value = value;
            this.twice = 2 * value;
        }
    }

    private void readAndCheck(Rcu rcu, RcuReference<Box> ref, boolean yieldInside, AtomicLong reads) {
        try (ReadSection s = rcu.read()) {
            Box b = ref.get();
            assertThat(b.reclaimed).as("reclaimed at the start of a section").isFalse();
            assertThat(b.twice).as("published fields are seen initialized").isEqualTo(2 * b.value);
            if (yieldInside) {
                Thread.yield();
            } else {
                for (int i = 0; i < 64; i++) {
                    Thread.onSpinWait();
                }
            }
            assertThat(b.reclaimed).as("an object reclaimed while a section that read it is open").isFalse();
        }
        reads.incrementAndGet();
    }

    /** Reclaims the old value after a grace period, alternating between the ways of waiting for one. */
    private static void update(Rcu rcu, RcuReference<Box> ref, int i) {
        Box next = new Box(i);
        Box old = ref.getAndSet(next);
        switch (i % 3) {
            case 0 -> rcu.synchronize();
            case 1 -> rcu.await(rcu.snapshot());
            default -> {
                long c = rcu.startPoll();
                assertThat(rcu.await(c, LONG)).isTrue();
            }
        }
        old.reclaimed = true;
    }

    @Test
    void publicationAndReclamationUnderConcurrentReaders() throws Exception {
        Rcu rcu = domain(b -> b.debugChecks(true)); // get() is checked if any domain of the JVM has debug checks
        RcuReference<Box> ref = new RcuReference<>(new Box(0));
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        int readers = 4;
        CountDownLatch started = new CountDownLatch(readers);
        try (TestThreads threads = new TestThreads()) {
            for (int r = 0; r < readers; r++) {
                boolean virtual = r % 2 == 1 && flavor != TestFlavor.QSBR;
                threads.start(virtual, "reader", () -> {
                    flavor.becomeReader(rcu);
                    try {
                        int last = -1;
                        boolean first = true;
                        while (!done.get()) {
                            readAndCheck(rcu, ref, false, reads);
                            if (first) {
                                started.countDown();
                                first = false;
                            }
                            try (ReadSection s = rcu.read()) {
                                int v = ref.get().value;
                                assertThat(v).as("values are published in order").isGreaterThanOrEqualTo(last);
                                last = v;
                            }
                            flavor.betweenSections(rcu);
                            Thread.yield();
                        }
                    } finally {
                        flavor.leaveReader(rcu);
                    }
                });
            }
            try {
                await(started);
                for (int i = 1; i <= 300; i++) {
                    update(rcu, ref, i);
                }
            } finally {
                done.set(true);
            }
        }
        assertThat(reads.get()).isGreaterThanOrEqualTo(readers);
    }

    @Test
    void tenThousandVirtualReadersWithConcurrentGracePeriods() {
        Rcu rcu = domain(b -> b.debugChecks(true));
        RcuReference<Box> ref = new RcuReference<>(new Box(0));
        int n = 10_000;
        CountDownLatch finished = new CountDownLatch(n);
        AtomicLong reads = new AtomicLong();
        AtomicInteger updates = new AtomicInteger();
        try (TestThreads threads = new TestThreads(Duration.ofSeconds(30))) {
            threads.platform("writer", () -> {
                int i = 0;
                while (finished.getCount() > 0 || i < 20) {
                    update(rcu, ref, ++i);
                }
                updates.set(i);
            });
            for (int t = 0; t < n; t++) {
                threads.virtual("virtual-reader", () -> {
                    try {
                        flavor.becomeReader(rcu);
                        for (int k = 0; k < 5; k++) {
                            readAndCheck(rcu, ref, true, reads);
                            flavor.betweenSections(rcu);
                        }
                        flavor.leaveReader(rcu);
                    } finally {
                        finished.countDown();
                    }
                });
            }
        }
        assertThat(reads.get()).isEqualTo(5L * n);
        assertThat(updates.get()).isGreaterThanOrEqualTo(20);
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    // ================================================================== the domain thread cannot start

    @Test
    void aDomainThreadThatCouldNotStartIsStartedByTheNextRequest() {
        Rcu rcu = domain();
        Faults.inject(rcu, Faults.Fault.DOMAIN_THREAD_START_FAILS, true);
        assertThatThrownBy(rcu::startPoll).as("the first request, whose thread cannot start")
                .isInstanceOf(OutOfMemoryError.class);
        Faults.inject(rcu, Faults.Fault.DOMAIN_THREAD_START_FAILS, false);
        try (TestThreads threads = new TestThreads()) {   // joined with a timeout: a hang fails the test
            threads.platform("startPoll-then-poll", () -> {
                long c = rcu.startPoll();
                while (!rcu.poll(c)) {
                    Thread.onSpinWait();
                }
            });
        }
        AbstractRcu<?> domain = (AbstractRcu<?>) rcu;
        assertThat(Thread.getAllStackTraces().keySet()).as("the domain thread the second request started")
                .anyMatch(domain::isGracePeriodThread);
    }
}
