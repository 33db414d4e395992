package io.jrcu;

import io.jrcu.CallbackConformanceTest.Form;
import io.jrcu.CallbackConformanceTest.Probe;
import io.jrcu.RcuConformanceTest.Box;
import io.jrcu.TestThreads.Agent;
import io.jrcu.TestThreads.Held;
import io.jrcu.internal.Faults;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;

import static io.jrcu.CallbackConformanceTest.STALL;
import static io.jrcu.CallbackConformanceTest.assertRanOnceInTime;
import static io.jrcu.CallbackConformanceTest.submit;
import static io.jrcu.CallbackConformanceTest.unique;
import static io.jrcu.TestThreads.awaitBlockedIn;
import static io.jrcu.TestThreads.awaitCondition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What only {@link BulletProofRcu} has: platform threads' sections on records of their own beside virtual threads'
 * sections on the striped counters, and token sections ({@code readLockToken()} / {@code readUnlock(long)}) that
 * belong to no thread and may end on any thread, and what they mean for callbacks and stall reports. The shared
 * contract is in {@link RcuConformanceTest} and {@link CallbackConformanceTest}.
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

    /** Failures that reached the error handler of the domains built by {@link #callbackDomain}. */
    private final ConcurrentLinkedQueue<Throwable> callbackErrors = new ConcurrentLinkedQueue<>();

    /** A domain whose error handler collects into {@link #callbackErrors} ({@code config} may override it). */
    private BulletProofRcu callbackDomain(Consumer<BulletProofRcu.Builder> config) {
        return domain(b -> {
            b.errorHandler(callbackErrors::add);
            config.accept(b);
        });
    }

    @AfterEach
    void noUnexpectedCallbackFailures() {
        assertThat(callbackErrors).as("failures handed to the error handler").isEmpty();
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

    // ------------------------------------------------------------------ platform threads' records

    /** What a stall report would list now. */
    private static String blockingReaders(BulletProofRcu rcu) {
        StringBuilder report = new StringBuilder();
        rcu.describeBlockingReaders(0, 0, report);
        return report.toString();
    }

    @Test
    void aPlatformThreadsSectionIsOnItsOwnRecordAndBlocksAGracePeriodUntilItEnds() throws Exception {
        BulletProofRcu rcu = domain();
        try (TestThreads threads = new TestThreads(); Agent reader = threads.agent(false, "record-reader")) {
            reader.run(rcu::readLock);
            assertThat(rcu.registeredRecords()).isEqualTo(1);
            assertThat(rcu.synchronize(SHORT)).as("a grace period while the section is open").isFalse();
            assertThat(blockingReaders(rcu)).contains("'record-reader-").contains("' (platform thread")
                    .contains("inside a read section for at least").doesNotContain("stripe");
            reader.run(rcu::readUnlock);
        }
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @Test
    void virtualThreadsSectionsTakeTheStripesAndMakeNoRecord() throws Exception {
        BulletProofRcu rcu = domain();
        try (TestThreads threads = new TestThreads()) {
            for (int i = 0; i < 20; i++) {
                threads.virtual("virtual-reader", () -> rcu.read().close());
            }
            threads.join();
            try (Agent reader = threads.agent(true, "virtual-holder")) {
                reader.run(rcu::readLock);
                assertThat(rcu.synchronize(SHORT)).as("a grace period while the section is open").isFalse();
                assertThat(blockingReaders(rcu)).contains("open section(s) of phase")
                        .contains("'virtual-holder-").contains("' (virtual thread");
                reader.run(rcu::readUnlock);
            }
        }
        assertThat(rcu.registeredRecords()).as("virtual threads are never in the records' registry").isZero();
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    /**
     * One grace period waits for a record's section and a striped section at once: it goes on waiting when either
     * ends alone (each order), and returns once both have.
     */
    @ParameterizedTest(name = "the platform thread's ends first: {0}")
    @ValueSource(booleans = {true, false})
    void aPlatformThreadsSectionAndAVirtualThreadsSectionBothBlockTheSameGracePeriod(boolean platformFirst)
            throws Exception {
        BulletProofRcu rcu = domain();
        AtomicBoolean returned = new AtomicBoolean();
        try (TestThreads threads = new TestThreads(); Agent platform = threads.agent(false, "platform-reader");
             Agent virtual = threads.agent(true, "virtual-reader")) {
            platform.run(rcu::readLock);
            virtual.run(rcu::readLock);
            Thread writer = threads.platform("writer", () -> {
                rcu.synchronize();
                returned.set(true);
            });
            awaitBlockedIn(writer, "synchronize");
            (platformFirst ? platform : virtual).run(rcu::readUnlock);
            assertThat(writer.join(SHORT)).as("the other section is open").isFalse();
            (platformFirst ? virtual : platform).run(rcu::readUnlock);
            assertThat(writer.join(LONG)).as("both sections it waits for ended").isTrue();
            assertThat(returned).isTrue();
        }
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    /**
     * A record section opened before the grace period's phase flip holds the flip's second step: the phase has
     * flipped, and the grace period still waits. A section the thread opens after the flip (the new phase) does not.
     */
    @Test
    void aRecordSectionOpenedBeforeThePhaseFlipBlocksTheSecondStep() throws Exception {
        BulletProofRcu rcu = domain();
        AtomicBoolean returned = new AtomicBoolean();
        try (TestThreads threads = new TestThreads(); Agent reader = threads.agent(false, "record-reader")) {
            int before = rcu.state.lvPhase();
            reader.run(rcu::readLock);
            Thread writer = threads.platform("writer", () -> {
                rcu.synchronize();
                returned.set(true);
            });
            awaitCondition("the first step's flip", LONG, () -> rcu.state.lvPhase() != before);
            assertThat(writer.join(SHORT)).as("waits in its second step").isFalse();
            reader.run(rcu::readUnlock);
            reader.run(rcu::readLock);   // the new phase
            assertThat(writer.join(LONG)).as("the section after the flip is not waited for").isTrue();
            assertThat(returned).isTrue();
            reader.run(rcu::readUnlock);
        }
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @Test
    void aNestedRecordSectionEndsForGracePeriodsOnlyWithItsOutermostSection() throws Exception {
        BulletProofRcu rcu = domain();
        try (TestThreads threads = new TestThreads(); Agent reader = threads.agent(false, "nesting-reader")) {
            reader.run(rcu::readLock);
            reader.run(() -> rcu.read().close());
            reader.run(rcu::readLock);
            reader.run(rcu::readUnlock);
            assertThat(rcu.synchronize(SHORT)).as("the outermost section is still open").isFalse();
            reader.run(rcu::readUnlock);
        }
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    /** The dead-thread search reports and releases a dead platform thread's open section and drops its record. */
    @Test
    void aPlatformThreadThatEndedInsideASectionIsReleasedAndItsRecordDropped() throws Exception {
        BulletProofRcu rcu = domain(b -> b.stallTimeout(Duration.ofMillis(100)));
        try (LogCapture log = LogCapture.start(); TestThreads threads = new TestThreads()) {
            Thread dead = threads.platform("ends-inside-a-section", rcu::readLock);
            assertThat(dead.join(LONG)).as("the reader ended").isTrue();
            assertThat(rcu.registeredRecords()).isEqualTo(1);
            assertThat(rcu.synchronize(LONG)).as("grace period after the reader died inside its section").isTrue();
            assertThat(log.text()).contains("ends-inside-a-section").contains("terminated inside a read section");
        }
        assertThat(rcu.registeredRecords()).isZero();
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @Test
    void readAsVirtualThreadMovesThePlatformThreadsSectionsToTheStripesAndBack() throws Exception {
        BulletProofRcu rcu = domain();
        try (TestThreads threads = new TestThreads(); Agent reader = threads.agent(false, "switching-reader")) {
            reader.run(rcu::readLock);
            assertThat(reader.thrown(() -> Faults.inject(rcu, Faults.Fault.READ_AS_VIRTUAL_THREAD, true)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("inside a read section");
            reader.run(rcu::readUnlock);
            reader.run(() -> Faults.inject(rcu, Faults.Fault.READ_AS_VIRTUAL_THREAD, true));
            reader.run(rcu::readLock);
            assertThat(rcu.synchronize(SHORT)).isFalse();
            assertThat(blockingReaders(rcu)).contains("open section(s) of phase")
                    .contains("'switching-reader-").contains("' (platform thread").contains("on stripe");
            reader.run(rcu::readUnlock);
            reader.run(() -> Faults.inject(rcu, Faults.Fault.READ_AS_VIRTUAL_THREAD, false));
            reader.run(rcu::readLock);
            assertThat(rcu.synchronize(SHORT)).isFalse();
            assertThat(blockingReaders(rcu)).doesNotContain("stripe");
            reader.run(rcu::readUnlock);
        }
        assertThat(rcu.synchronize(LONG)).isTrue();
        Rcu memb = track(Rcu.memb());
        assertThatThrownBy(() -> Faults.inject(memb, Faults.Fault.READ_AS_VIRTUAL_THREAD, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bulletProof domains only");
    }

    /** Runs {@code action} on a new thread and returns its result: token sections it opens are not this thread's. */
    private static <T> T onAnotherThread(Callable<T> action) throws Exception {
        try (TestThreads threads = new TestThreads(); Agent other = threads.agent(true, "other")) {
            return other.call(action);
        }
    }

    /** Steps a test takes on the thread that opened a token section. */
    @FunctionalInterface
    private interface OpenerSteps {
        void run(Agent opener) throws Exception;
    }

    /**
     * Opens a token section on an agent thread named {@code name} (whose calls have a deadline), runs
     * {@code whileOpen} with it, closes the token from this thread (which also ends a wait of the opener for its
     * own token: such a wait fails the test instead of hanging it), then runs {@code afterClose} with the opener.
     */
    private static void withATokenOpenedByAnotherThread(BulletProofRcu rcu, String name, OpenerSteps whileOpen,
            OpenerSteps afterClose) throws Exception {
        try (TestThreads threads = new TestThreads(); Agent opener = threads.agent(false, name)) {
            long token = opener.call(rcu::readLockToken);
            try {
                whileOpen.run(opener);
            } finally {
                rcu.readUnlock(token);  // from another thread than the opener
            }
            afterClose.run(opener);
        }
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

    /**
     * A grace period waits for every open token section, so one the caller waited for while it holds a token it
     * opened would wait for the caller itself: every blocking call refuses, as inside a read section. The caller is
     * an agent whose calls have a deadline, and the test thread closes the token at the end, so a call that waits
     * for itself fails the test instead of hanging it.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"synchronize()", "synchronize(Duration)", "await(long)", "await(long, Duration)",
            "close()"})
    void blockingCallsOfAThreadHoldingATokenItOpenedThrowInsteadOfWaitingForItself(String call) throws Exception {
        BulletProofRcu rcu = domain();
        long cookie = rcu.snapshot();
        withATokenOpenedByAnotherThread(rcu, "token-holder", holder -> {
            Throwable thrown = holder.thrown(() -> {
                switch (call) {
                    case "synchronize()" -> rcu.synchronize();
                    case "synchronize(Duration)" -> rcu.synchronize(LONG);
                    case "await(long)" -> rcu.await(cookie);
                    case "await(long, Duration)" -> rcu.await(cookie, LONG);
                    default -> rcu.close();
                }
            });
            assertThat(thrown).as("%s while holding a token it opened", call)
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("token");
            assertThat(rcu.synchronize(SHORT)).as("the token section is still open").isFalse();
        }, holder -> holder.run(() -> assertThat(rcu.synchronize(LONG)).as("once the token is closed").isTrue()));
    }

    /**
     * A token counts against the thread that opened it until any thread closes it: the opener may not block while
     * another thread holds its token, and the other thread's own wait is an ordinary wait for an open section.
     */
    @Test
    void aTokenHandedToAnotherThreadCountsAgainstItsOpenerUntilAnyThreadClosesIt() throws Exception {
        BulletProofRcu rcu = domain();
        withATokenOpenedByAnotherThread(rcu, "opener", opener -> {
            assertThat(opener.thrown(rcu::synchronize)).as("the opener's synchronize() while its token is open")
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("token");
            assertThat(rcu.synchronize(SHORT)).as("another thread waits for the open token section").isFalse();
        }, opener -> opener.run(() -> assertThat(rcu.synchronize(LONG)).as("the opener, once anyone closed it")
                .isTrue()));
    }

    @Test
    void tokensThatAreNoTokensAreRejected() throws Exception {
        BulletProofRcu rcu = domain();
        for (long garbage : new long[] {0L, 1L, 12345L, -1L, Long.MIN_VALUE, Long.MAX_VALUE}) {
            assertThatThrownBy(() -> rcu.readUnlock(garbage)).as("readUnlock(%d)", garbage)
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not a live token");
        }
        assertThat(rcu.synchronize(LONG)).as("the rejected calls ended no section").isTrue();
        long token = onAnotherThread(rcu::readLockToken);
        assertThatThrownBy(() -> rcu.readUnlock(token ^ (1L << 62))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a live token");
        assertThat(rcu.synchronize(SHORT)).as("the real token is still open").isFalse();
        rcu.readUnlock(token);
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    /**
     * A token ended twice is rejected always, also while other sections of the same thread (and so of the same
     * stripe and phase) are open, and the rejected call ends none of them. The tokens are opened on another thread:
     * this thread's grace periods then wait for them.
     */
    @ParameterizedTest(name = "debug checks: {0}")
    @ValueSource(booleans = {false, true})
    void aTokenEndedTwiceIsRejectedWhileOtherSectionsAreOpen(boolean debug) throws Exception {
        BulletProofRcu rcu = domain(b -> b.debugChecks(debug));
        long[] tokens = onAnotherThread(() -> new long[] {rcu.readLockToken(), rcu.readLockToken()});
        long first = tokens[0];
        long second = tokens[1];
        rcu.readUnlock(first);
        assertThatThrownBy(() -> rcu.readUnlock(first)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a live token").hasMessageContaining("already ended");
        assertThat(rcu.synchronize(SHORT)).as("the rejected call did not end the second section").isFalse();
        rcu.readUnlock(second);
        assertThatThrownBy(() -> rcu.readUnlock(second)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a live token");
        assertThat(rcu.synchronize(LONG)).as("grace periods go on").isTrue();
    }

    /**
     * The corruption a second end of a token could cause: the thread that ended it twice is inside a read section
     * (same stripe and phase as its token). The second end is rejected, a grace period still waits for the read
     * section, and grace periods go on after it.
     */
    @Test
    void aTokenEndedTwiceCannotEndAReadSectionOfItsThread() throws Exception {
        BulletProofRcu rcu = domain();
        try (TestThreads threads = new TestThreads(); Agent reader = threads.agent(false, "reader")) {
            reader.run(rcu::readLock);
            Throwable thrown = reader.call(() -> {
                long token = rcu.readLockToken();
                rcu.readUnlock(token);
                try {
                    rcu.readUnlock(token);
                    return null;
                } catch (IllegalStateException e) {
                    return e;
                }
            });
            try {
                assertThat(thrown).as("the second readUnlock(token)").isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("not a live token");
                assertThat(rcu.synchronize(SHORT)).as("a grace period while the read section is open").isFalse();
            } finally {
                reader.run(rcu::readUnlock);
            }
        }
        assertThat(rcu.synchronize(LONG)).as("grace periods go on after the read section ended").isTrue();
    }

    @Test
    void aTokenEndedTwiceIsRejectedWhenNothingElseIsOpen() throws Exception {
        BulletProofRcu rcu = domain();
        long token = rcu.readLockToken();
        rcu.readUnlock(token);
        assertThatThrownBy(() -> rcu.readUnlock(token)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a live token");
        assertThat(rcu.synchronize(LONG)).isTrue();
        long again = onAnotherThread(rcu::readLockToken);
        assertThat(rcu.synchronize(SHORT)).as("the rejected call did not corrupt the domain").isFalse();
        rcu.readUnlock(again);
    }

    @Test
    void aTokenOfAnotherDomainIsRejectedWhenNothingIsOpenHere() throws Exception {
        BulletProofRcu rcu = domain();
        BulletProofRcu other = domain();
        long foreign = onAnotherThread(other::readLockToken);
        assertThatThrownBy(() -> rcu.readUnlock(foreign)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a live token");
        assertThat(other.synchronize(SHORT)).as("the foreign section is still open in its own domain").isFalse();
        other.readUnlock(foreign);
        assertThat(other.synchronize(LONG)).isTrue();
    }

    /**
     * A token of another domain is rejected always and must not end one of this domain's open sections. Both
     * domains here are fresh and used by the same thread, so their first tokens have the same stripe and phase.
     */
    @ParameterizedTest(name = "debug checks: {0}")
    @ValueSource(booleans = {false, true})
    void aTokenOfAnotherDomainIsRejectedAndEndsNoSectionHere(boolean debug) throws Exception {
        BulletProofRcu rcu = domain(b -> b.debugChecks(debug));
        BulletProofRcu other = domain(b -> b.debugChecks(debug));
        long[] tokens = onAnotherThread(() -> new long[] {other.readLockToken(), rcu.readLockToken()});
        long foreign = tokens[0];
        long own = tokens[1];
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
            assertThat(thrown).as("readUnlock(token of another domain)")
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not a live token");
        } finally {
            other.readUnlock(foreign);
            if (!ownEnded) {
                rcu.readUnlock(own);
            }
        }
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    /**
     * Domains are told apart beyond any realistic number of them: a token of a bulletProof domain is rejected by
     * each of the next 300 bulletProof domains, each with a token section open on the same thread (same stripe and
     * phase), and ends none of their sections.
     */
    @Test
    void aTokenOfADomainCreatedHundredsOfDomainsEarlierIsRejected() {
        BulletProofRcu first = domain();
        long foreign = first.readLockToken();
        try {
            for (int later = 1; later <= 300; later++) {
                BulletProofRcu rcu = BulletProofRcu.builder().build();
                try {
                    long own = rcu.readLockToken();
                    assertThatThrownBy(() -> rcu.readUnlock(foreign), "in the bulletProof domain %d later", later)
                            .isInstanceOf(IllegalStateException.class).hasMessageContaining("not a live token");
                    rcu.readUnlock(own);  // throws if the foreign token ended it
                } finally {
                    rcu.close();
                }
            }
        } finally {
            first.readUnlock(foreign);
        }
    }

    /**
     * The token table grows with the sections open at once — here 10,000 opened by one thread, as an event loop with
     * a request in flight each — and not with sections opened and closed: a grace period's cost follows its size.
     */
    @Test
    void theTokenTableGrowsWithTheSectionsOpenAtOnceNotWithTheSectionsEverOpened() throws Exception {
        BulletProofRcu rcu = domain();
        int open = 10_000;
        long[] tokens = onAnotherThread(() -> {
            long[] t = new long[open];
            for (int i = 0; i < open; i++) {
                t[i] = rcu.readLockToken();
            }
            return t;
        });
        assertThat(Arrays.stream(tokens).distinct().count()).as("distinct tokens").isEqualTo(open);
        int size = rcu.tokens.size();
        assertThat(size).as("slots for %d open sections", open).isBetween(open, 8 * open);
        assertThat(rcu.synchronize(SHORT)).as("a grace period while they are open").isFalse();
        for (long t : tokens) {
            rcu.readUnlock(t);
        }
        assertThat(rcu.synchronize(LONG)).isTrue();
        onAnotherThread(() -> {
            for (int i = 0; i < 100_000; i++) {
                rcu.readUnlock(rcu.readLockToken());
            }
            return null;
        });
        assertThat(rcu.tokens.size()).as("after 100,000 more sections, one open at a time").isEqualTo(size);
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    /**
     * A grace period that waits for one old token section, held in a high slot of a large table, reads the slots
     * before it once: each wake-up resumes at the slot it found (one slot read), it does not scan from slot 0 again.
     */
    @Test
    void aWaitingGracePeriodResumesItsTokenScanWhereItStoppedAfterEveryWakeUp() throws Exception {
        BulletProofRcu rcu = domain();
        long held = onAnotherThread(() -> {
            long[] t = new long[2_000];
            long highest = TokenTable.NO_TOKEN;
            for (int i = 0; i < t.length; i++) {
                t[i] = rcu.readLockToken();
                if (highest == TokenTable.NO_TOKEN || TokenTable.slotOf(t[i]) > TokenTable.slotOf(highest)) {
                    highest = t[i];
                }
            }
            for (long token : t) {
                if (token != highest) {
                    rcu.readUnlock(token);
                }
            }
            return highest;
        });
        int slot = TokenTable.slotOf(held);
        assertThat(slot).as("the held section's slot").isGreaterThan(1_000);
        AtomicBoolean returned = new AtomicBoolean();
        try (TestThreads threads = new TestThreads()) {
            threads.platform("writer", () -> {
                rcu.synchronize();
                returned.set(true);
            });
            try {
                awaitCondition("the grace period parks for the held section's phase",
                        () -> rcu.state.lvGracePeriodParkedFor(TokenTable.phaseOf(held)));
                long scans = rcu.tokenScans();
                long slots = rcu.tokenSlotsScanned();
                for (int wake = 0; wake < 20; wake++) {
                    long before = rcu.tokenScans();
                    rcu.wakeGracePeriodWaiter();
                    awaitCondition("a scan after wake-up " + wake, () -> rcu.tokenScans() > before);
                }
                long scanned = rcu.tokenScans() - scans;  // a scan may run between two of these reads: +-1 each
                assertThat(rcu.tokenSlotsScanned() - slots).as("slots read by %d scans after the first reached slot %d",
                        scanned, slot).isBetween(scanned - 2, scanned + 2);
                assertThat(returned).isFalse();
            } finally {
                rcu.readUnlock(held);
            }
        }
        assertThat(returned).isTrue();
    }

    /** A stall report names the first STALL_REPORT_LINES open token sections and counts the others. */
    @Test
    void aStallReportNamesTheFirstTokenSectionsAndCountsTheRest() throws Exception {
        BulletProofRcu rcu = domain();
        int open = BulletProofRcu.STALL_REPORT_LINES + 10;
        long[] tokens = onAnotherThread(() -> {
            long[] t = new long[open];
            for (int i = 0; i < open; i++) {
                t[i] = rcu.readLockToken();
            }
            return t;
        });
        try {
            assertThat(rcu.synchronize(SHORT)).as("a grace period while they are open").isFalse();
            StringBuilder report = new StringBuilder();
            rcu.describeBlockingReaders(1, 0, report);  // the phase the stalled grace period waits for
            String text = report.toString();
            assertThat(text.split("\n\ttoken section 0x", -1)).as(text).hasSize(BulletProofRcu.STALL_REPORT_LINES + 1);
            assertThat(text).endsWith("\n\tand 10 more token section(s) of phase " + TokenTable.phaseOf(tokens[0]));
        } finally {
            for (long t : tokens) {
                rcu.readUnlock(t);
            }
        }
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    /** The message of a check that saw the caller's token, built after another thread closed it, names no token. */
    @Test
    void theMisuseMessageOfATokenClosedSinceTheCheckNamesNoToken() {
        BulletProofRcu rcu = domain();
        rcu.readUnlock(rcu.readLockToken());
        assertThat(rcu.describeCallerSection()).doesNotContain("0x0").contains("until another thread closed it");
    }

    /**
     * callerHoldsSection() scans the token table only in a domain whose readLockToken() ran: a slot claimed in the
     * table directly (not through readLockToken) is not found until then.
     */
    @Test
    void aDomainThatNeverOpenedATokenDoesNotScanItsTokenTable() {
        BulletProofRcu rcu = domain();
        long direct = rcu.tokens.open(0, Thread.currentThread().threadId());
        try {
            assertThat(rcu.callerHoldsSection()).as("no readLockToken() yet: no scan").isFalse();
            long token = rcu.readLockToken();
            assertThat(rcu.callerHoldsSection()).as("after readLockToken()").isTrue();
            rcu.readUnlock(token);
            assertThat(rcu.callerHoldsSection()).as("the direct slot, now that the domain scans").isTrue();
        } finally {
            assertThat(rcu.tokens.close(direct)).isTrue();
        }
        assertThat(rcu.callerHoldsSection()).isFalse();
    }

    /**
     * Misuse that is not a token of this domain at all: arbitrary longs, and every one-bit change of live tokens.
     * Each is rejected, none ends a section (grace periods still wait for the live ones), and none stalls the
     * domain (grace periods go on once the live sections end). The live sections are on another thread: 40 token
     * sections (more than fit the first part of the token table) and a read section, so that every stripe and
     * phase check of a weaker design would pass.
     */
    @ParameterizedTest(name = "debug checks: {0}")
    @ValueSource(booleans = {false, true})
    void arbitraryLongsAndAlteredTokensEndNoSectionAndNeverStallTheDomain(boolean debug) throws Exception {
        BulletProofRcu rcu = domain(b -> b.debugChecks(debug));
        try (TestThreads threads = new TestThreads(); Agent holder = threads.agent(false, "holder")) {
            holder.run(rcu::readLock);
            long[] live = holder.call(() -> {
                long[] t = new long[40];
                for (int i = 0; i < t.length; i++) {
                    t[i] = rcu.readLockToken();
                }
                return t;
            });
            Set<Long> liveSet = new HashSet<>();
            for (long t : live) {
                liveSet.add(t);
            }
            List<Long> misuse = new ArrayList<>();
            for (long t : live) {
                for (int bit = 0; bit < 64; bit++) {
                    misuse.add(t ^ (1L << bit));
                }
            }
            SplittableRandom random = new SplittableRandom(11);
            for (int i = 0; i < 10_000; i++) {
                misuse.add(random.nextLong());
            }
            misuse.addAll(List.of(0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE));
            int accepted = 0;
            for (long m : misuse) {
                if (liveSet.contains(m)) {
                    continue;
                }
                try {
                    rcu.readUnlock(m);
                    accepted++;
                } catch (IllegalStateException expected) {
                    // rejected: what must happen
                }
            }
            assertThat(accepted).as("readUnlock of longs that are no live token of this domain, accepted").isZero();
            assertThat(rcu.synchronize(SHORT)).as("the live sections still hold grace periods").isFalse();
            for (long t : live) {
                rcu.readUnlock(t);
            }
            assertThat(rcu.synchronize(SHORT)).as("the read section still holds grace periods").isFalse();
            holder.run(rcu::readUnlock);
        }
        assertThat(rcu.synchronize(LONG)).as("grace periods go on").isTrue();
    }

    /**
     * Once any domain has debug checks on, {@code RcuReference.get()} is checked and the sections of every domain
     * count as protection: a token section of a domain without debug checks too, as its read sections do. A token
     * opened before the switch was not counted, and its end uncounts nothing. The switch is global and never turns
     * off: it is turned off for this test (restored after it), which starts as if no debug domain existed.
     */
    @Test
    void aTokenSectionOfADomainWithoutDebugChecksProtectsGetOnceAnyDomainChecks() {
        boolean wasEnabled = DebugProtection.enabled();
        DebugProtection.setEnabled(false);
        BulletProofRcu plain = domain();
        RcuReference<String> ref = new RcuReference<>("v");
        try {
            long early = plain.readLockToken();   // opened before any debug domain exists: not counted
            try (Rcu debug = BulletProofRcu.builder().name("debug-on").debugChecks(true).build()) {
                plain.readUnlock(early);          // its end must not uncount anything
                long token = plain.readLockToken();
                try {
                    assertThat(ref.get()).as("inside a token section of a domain without debug checks")
                            .isEqualTo("v");
                } finally {
                    plain.readUnlock(token);
                }
                assertThatThrownBy(ref::get).as("outside every section, with a debug domain around")
                        .isInstanceOf(IllegalStateException.class);
            }
        } finally {
            if (wasEnabled) {
                DebugProtection.enable();
            }
        }
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

    /**
     * Misuse racing correct use: readers open token sections, check that the box they read is not reclaimed, close
     * them and put each closed token into a ring; a misuser meanwhile ends tokens from the ring a second time (some
     * of them while their slot is open again for a newer section) and arbitrary longs; a writer replaces boxes,
     * waits for a grace period and marks the old box reclaimed. Every misuse is rejected, no reader ever sees a
     * reclaimed box, and no grace period stalls. The readers go on until the misuser has made 20,000 attempts.
     */
    @Test
    void misuseRacingCorrectUseNeverUnprotectsAReaderNorStallsTheDomain() throws Exception {
        BulletProofRcu rcu = domain();
        RcuReference<Box> ref = new RcuReference<>(new Box(0));
        int sectionsPerReader = 20_000;
        int misuseAttempts = 20_000;
        AtomicLongArray closed = new AtomicLongArray(64);
        AtomicInteger readersLeft = new AtomicInteger(2);
        AtomicLong misuses = new AtomicLong();
        AtomicLong accepted = new AtomicLong();
        try (TestThreads threads = new TestThreads(Duration.ofSeconds(20))) {
            for (int r = 0; r < 2; r++) {
                threads.platform("token-reader", () -> {
                    try {
                        for (int i = 0; i < sectionsPerReader || misuses.get() < misuseAttempts; i++) {
                            long token = rcu.readLockToken();
                            Box b = ref.get();
                            Thread.onSpinWait();
                            assertThat(b.reclaimed).as("reclaimed while a token section that read it is open")
                                    .isFalse();
                            rcu.readUnlock(token);
                            closed.set(i & 63, token);
                        }
                    } finally {
                        readersLeft.decrementAndGet();
                    }
                });
            }
            threads.platform("misuser", () -> {
                SplittableRandom random = new SplittableRandom(7);
                while (readersLeft.get() > 0) {
                    long stale = closed.get(random.nextInt(64));
                    for (long m : new long[] {stale, random.nextLong()}) {
                        if (m == 0) {
                            continue;
                        }
                        misuses.incrementAndGet();
                        try {
                            rcu.readUnlock(m);
                            accepted.incrementAndGet();
                        } catch (IllegalStateException expected) {
                            // rejected: what must happen
                        }
                    }
                }
            });
            threads.platform("writer", () -> {
                int i = 0;
                while (readersLeft.get() > 0) {
                    Box old = ref.getAndSet(new Box(++i));
                    assertThat(rcu.synchronize(LONG)).as("a grace period ends").isTrue();
                    old.reclaimed = true;
                }
            });
        }
        assertThat(misuses.get()).isGreaterThanOrEqualTo(misuseAttempts);
        assertThat(accepted.get()).as("misuses accepted").isZero();
        assertThat(rcu.synchronize(LONG)).as("grace periods go on").isTrue();
    }

    // ------------------------------------------------------------------ callbacks and stall reports

    /**
     * A token section outlives the thread that opened it: a stall report names it by its token and its opener's
     * thread id, and with debug checks also by the opener's name.
     */
    @ParameterizedTest(name = "debug checks: {0}")
    @ValueSource(booleans = {false, true})
    void aStalledTokenSectionIsReportedWithItsOpenersThreadIdAndWithDebugChecksItsName(boolean debug) {
        String domainName = unique("bp-token-stall");
        BulletProofRcu rcu = callbackDomain(b -> b.name(domainName).stallTimeout(STALL).debugChecks(debug));
        Probe p = new Probe(rcu);
        AtomicLong token = new AtomicLong();
        String opener;
        long openerId;
        try (LogCapture log = LogCapture.start(); TestThreads threads = new TestThreads()) {
            Held holder = threads.hold(false, unique("token-opener"), () -> token.set(rcu.readLockToken()),
                    () -> {
                    });
            opener = holder.thread().getName();
            openerId = holder.thread().threadId();
            holder.release();  // the opener ends; its token section stays open
            threads.join();
            try {
                rcu.call((Runnable) p);
                awaitCondition("a stall report of " + domainName, Duration.ofSeconds(5),
                        () -> log.text().contains(" of " + domainName + " has waited"));
                String text = log.text();
                assertThat(text).contains("token section 0x" + Long.toHexString(token.get()) + " (slot "
                        + TokenTable.slotOf(token.get()) + ") opened by thread #" + openerId
                        + (debug ? ", '" + opener + "', " : ""));
                assertThat(p.runs()).isZero();
            } finally {
                rcu.readUnlock(token.get());  // from another thread than the opener
            }
        }
        rcu.barrier();
        assertRanOnceInTime(p);
    }

    /*
     * A thread that holds a token section it opened is treated like one inside a read section wherever a callback
     * call could wait for a grace period (that grace period would wait for the caller's own token).
     */

    @Test
    void aFullDeferBatchOfACallerHoldingATokenItOpenedDoesNotBlockAndCountsAnOvershoot() throws Exception {
        BulletProofRcu rcu = callbackDomain(b -> {
        });
        List<Probe> probes = new CopyOnWriteArrayList<>();
        withATokenOpenedByAnotherThread(rcu, "token-holder", holder -> {
            holder.run(() -> CallbackConformanceTest.deferUntilAnOvershoot(rcu, probes, "by the holder of a token",
                    "token"));
        }, holder -> {
        });
        assertThat(probes).hasSizeGreaterThanOrEqualTo(DeferBatches.CAPACITY);
        rcu.barrier();
        assertRanOnceInTime(probes);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Backpressure.class)
    void aCallerHoldingATokenItOpenedIsNeverBlockedOverBudgetItsCallbacksAreQueued(Backpressure policy)
            throws Exception {
        int budget = 2;
        BulletProofRcu rcu = callbackDomain(b -> b.callbackBudget(budget).backpressure(policy));
        List<Probe> probes = new CopyOnWriteArrayList<>();
        withATokenOpenedByAnotherThread(rcu, "token-holder", holder -> {
            holder.run(() -> {
                for (int i = 0; i < 10; i++) {
                    Probe p = new Probe(rcu);
                    probes.add(p);
                    submit(rcu, Form.values()[i % 4], p);  // never blocks, never throws
                }
            });
            RcuStats s = rcu.stats();
            assertThat(s.overshoots()).isGreaterThanOrEqualTo(10 - budget);
            assertThat(s.pendingCallbacks()).isEqualTo(10);
            assertThat(probes).allSatisfy(p -> assertThat(p.runs()).isZero());
        }, holder -> {
        });
        rcu.barrier();
        assertRanOnceInTime(probes);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"barrier()", "barrier(Duration)", "CallbackWorker.close()"})
    void barrierAndWorkerCloseOfACallerHoldingATokenItOpenedThrowInsteadOfWaitingForItself(String call)
            throws Exception {
        BulletProofRcu rcu = callbackDomain(b -> {
        });
        CallbackWorker worker = rcu.workers().newWorker(WorkerOptions.defaults());
        Probe p = new Probe(rcu);
        withATokenOpenedByAnotherThread(rcu, "token-holder", holder -> {
            worker.call((Runnable) p);  // pending on the worker until the token closes: its grace period waits
            Throwable thrown = holder.thrown(() -> {
                switch (call) {
                    case "barrier()" -> rcu.barrier();
                    case "barrier(Duration)" -> rcu.barrier(LONG);
                    default -> worker.close();
                }
            });
            assertThat(thrown).as("%s while holding a token it opened", call)
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("token");
            assertThat(p.runs()).isZero();
        }, holder -> holder.run(worker::close));  // once the token is closed
        rcu.barrier();
        assertRanOnceInTime(p);
    }
}
