package io.jrcu;

import io.jrcu.TestThreads.Agent;
import io.jrcu.internal.Faults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import static io.jrcu.TestThreads.awaitBlockedIn;
import static io.jrcu.TestThreads.awaitCondition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What only {@link QsbrRcu} has: explicit registration, online/offline, quiescent states, the rule that every call
 * that may wait is a quiescent state of its caller, and the DPDK names ({@code start}, {@code check}, {@code lock},
 * {@code unlock}). The shared contract is in {@link RcuConformanceTest}.
 */
class QsbrRcuTest extends DomainTestSupport {

    private QsbrRcu domain() {
        return domain(b -> {
        });
    }

    private QsbrRcu domain(Consumer<QsbrRcu.Builder> config) {
        QsbrRcu.Builder builder = QsbrRcu.builder();
        config.accept(builder);
        return track(builder.build());
    }

    // ------------------------------------------------------------------ registration, online, offline

    @Test
    void anUnregisteredThreadCannotReadOrReportStates() {
        QsbrRcu rcu = domain();
        assertThatThrownBy(rcu::reader).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not registered");
        assertThatThrownBy(rcu::read).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not registered");
        assertThatThrownBy(rcu::readLock).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not registered");
        assertThatThrownBy(rcu::lock).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not registered");
        assertThatThrownBy(rcu::quiescent).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not registered");
        assertThatThrownBy(rcu::online).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not registered");
        assertThatThrownBy(rcu::offline).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not registered");
        assertThat(rcu.isOnline()).isFalse();
        assertThat(rcu.inReadSection()).isFalse();
        assertThatThrownBy(rcu::reader).as("nothing above registered the thread implicitly")
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void registerThreadBringsTheThreadOnlineAndLeavesARegisteredOfflineThreadOffline() {
        QsbrRcu rcu = domain();
        rcu.registerThread();
        assertThat(rcu.isOnline()).isTrue();
        QsbrRcu.Reader reader = rcu.reader();
        assertThat(reader.isOnline()).isTrue();
        rcu.registerThread();
        assertThat(rcu.isOnline()).as("registering twice changes nothing").isTrue();
        assertThat(rcu.reader()).isSameAs(reader);

        rcu.offline();
        assertThat(rcu.isOnline()).isFalse();
        assertThat(reader.isOnline()).isFalse();
        rcu.registerThread();
        assertThat(rcu.isOnline()).as("registerThread() on a registered offline thread").isFalse();
        rcu.offline();  // no-op when offline
        assertThat(rcu.isOnline()).isFalse();

        rcu.online();
        assertThat(rcu.isOnline()).isTrue();
        rcu.online();   // no-op when online
        assertThat(rcu.isOnline()).isTrue();
        try (ReadSection s = rcu.read()) {
            assertThat(rcu.inReadSection()).isTrue();
            assertThat(rcu.isOnline()).isTrue();
        }

        rcu.unregisterThread();
        assertThat(rcu.isOnline()).isFalse();
        rcu.unregisterThread();
        assertThatThrownBy(rcu::reader).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not registered");
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @Test
    void onlineAndOfflineOfAnUnregisteredThreadThrowEvenAfterItWasRegistered() {
        QsbrRcu rcu = domain();
        rcu.registerThread();
        QsbrRcu.Reader handle = rcu.reader();
        rcu.unregisterThread();
        assertThatThrownBy(rcu::online).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not registered");
        assertThatThrownBy(rcu::offline).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not registered");
        assertThatThrownBy(handle::online).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unregistered");
        assertThatThrownBy(handle::offline).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unregistered");
        assertThatThrownBy(handle::quiescent).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unregistered");
        assertThatThrownBy(handle::read).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unregistered");
    }

    @Test
    void aQsbrReaderHandleBelongsToItsThread() throws Exception {
        QsbrRcu rcu = domain();
        rcu.registerThread();
        QsbrRcu.Reader mine = rcu.reader();
        String me = Thread.currentThread().getName();
        try (TestThreads threads = new TestThreads(); Agent other = threads.agent(false, "other")) {
            other.run(rcu::registerThread);  // even a registered thread may not use another's handle
            for (TestThreads.Body misuse : new TestThreads.Body[] {
                    mine::quiescent, mine::online, mine::offline, mine::read, mine::readLock}) {
                Throwable t = other.thrown(misuse);
                assertThat(t).isInstanceOf(IllegalStateException.class).hasMessageContaining(me);
            }
            other.run(rcu::unregisterThread);
        }
        assertThat(mine.isOnline()).as("the owner's state is untouched").isTrue();
        mine.quiescent();
    }

    // ------------------------------------------------------------------ the QSBR grace period

    @Test
    void anOnlineThreadBlocksGracePeriodsUntilItReportsAQuiescentStateOrGoesOffline() throws Exception {
        QsbrRcu rcu = domain();
        try (TestThreads threads = new TestThreads(); Agent reader = threads.agent(false, "online-reader")) {
            reader.run(rcu::registerThread);  // online, in no section, and reporting nothing
            long c = rcu.snapshot();
            assertThat(rcu.await(c, SHORT)).as("an online thread with no quiescent state holds the grace period")
                    .isFalse();
            assertThat(rcu.synchronize(SHORT)).isFalse();
            reader.run(rcu::quiescent);
            // Polled rather than awaited: a waiter queued behind the domain thread, which has moved on to the next
            // grace period (requested by the timed synchronize above), would wait for that one too (see
            // RcuConformanceTest#awaitReturnsOnceItsGracePeriodCompletedWithoutWaitingForALaterOne).
            awaitCondition("the quiescent state ends the grace period", () -> rcu.poll(c));

            reader.run(rcu::offline);
            assertThat(rcu.synchronize(LONG)).as("an offline thread holds no grace period").isTrue();
            assertThat(rcu.synchronize(LONG)).isTrue();

            reader.run(rcu::online);
            assertThat(rcu.synchronize(SHORT)).as("online again: protected again").isFalse();
            reader.run(rcu::unregisterThread);
            assertThat(rcu.synchronize(LONG)).isTrue();
        }
    }

    /**
     * DPDK's acked token: a non-blocking attempt at the newest of several tokens, held up by a reader that reported
     * after the older ones only, still completes the older ones in its one look at the readers. It used to complete
     * nothing, so DeferQueue.reclaim freed one entry per look. token() requests no grace period: the domain thread
     * stays out of it.
     */
    @Test
    void aFailedNonBlockingTryOfTheNewestTokenCompletesTheOlderTokensTheReadersReportedPast() throws Exception {
        QsbrRcu rcu = domain();
        try (TestThreads threads = new TestThreads(); Agent reader = threads.agent(false, "online-reader")) {
            reader.run(rcu::registerThread);
            long first = rcu.token();
            rcu.token();
            long third = rcu.token();
            reader.run(rcu::quiescent);   // after the first three tokens, before the fourth
            long fourth = rcu.token();
            assertThat(rcu.tryAdvance(fourth, false)).as("the reader has not reported since the fourth").isFalse();
            assertThat(rcu.poll(third)).as("the third token, which the reader reported past").isTrue();
            assertThat(rcu.poll(first)).isTrue();
            assertThat(rcu.poll(fourth)).isFalse();
            reader.run(rcu::unregisterThread);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"synchronize", "timed synchronize", "await", "timed await", "check", "barrier",
            "timed barrier"})
    void aCallThatMayWaitIsAQuiescentStateOfItsCaller(String call) throws Exception {
        QsbrRcu rcu = domain();
        try (TestThreads threads = new TestThreads(); Agent caller = threads.agent(false, "online-caller")) {
            caller.run(rcu::registerThread);
            long pending = rcu.snapshot();
            assertThat(rcu.await(pending, SHORT)).as("the online caller holds grace periods").isFalse();
            // The caller itself is the only online reader: if the call were not a quiescent state of the caller, it
            // would wait for itself forever (Agent.call fails after its timeout).
            boolean result = caller.call(() -> switch (call) {
                case "synchronize" -> {
                    rcu.synchronize();
                    yield true;
                }
                case "timed synchronize" -> rcu.synchronize(LONG);
                case "await" -> {
                    rcu.await(rcu.snapshot());
                    yield true;
                }
                case "timed await" -> rcu.await(rcu.snapshot(), LONG);
                case "check" -> rcu.check(rcu.start(), true);
                case "barrier" -> {
                    rcu.call(() -> {
                    });  // a callback queued after `pending`: the barrier waits for a grace period that covers it
                    rcu.barrier();
                    yield true;
                }
                case "timed barrier" -> {
                    rcu.call(() -> {
                    });
                    yield rcu.barrier(LONG);
                }
                default -> throw new AssertionError(call);
            });
            assertThat(result).isTrue();
            assertThat(rcu.poll(pending)).as("the grace period that waited for the caller ended").isTrue();
            assertThat(caller.call(rcu::isOnline)).as("the caller is online again afterwards").isTrue();
            assertThat(rcu.synchronize(SHORT)).as("and protected again").isFalse();

            caller.run(rcu::offline);
            assertThat(caller.call(() -> rcu.synchronize(LONG))).isTrue();
            assertThat(caller.call(rcu::isOnline)).as("an offline caller stays offline").isFalse();
            caller.run(rcu::unregisterThread);
        }
    }

    @Test
    void closeByAnOnlineThreadIsAQuiescentState() throws Exception {
        QsbrRcu rcu = domain();
        long c = rcu.snapshot();
        try (TestThreads threads = new TestThreads(); Agent caller = threads.agent(false, "online-closer")) {
            caller.run(rcu::registerThread);
            caller.run(rcu::close);
            assertThat(rcu.poll(c)).isTrue();
        }
    }

    /**
     * close() is a call that may wait, so it is a quiescent state of its caller, also when it is the second close
     * that only waits for the first (the contract: "a second close() is a no-op", and misuse never hangs).
     */
    @Test
    void aSecondCloseByAnOnlineThreadDoesNotDeadlockTheFirst() throws Exception {
        QsbrRcu rcu = domain();
        AtomicBoolean firstClosed = new AtomicBoolean();
        boolean hung = true;
        try (TestThreads threads = new TestThreads(Duration.ofSeconds(2));
             Agent online = threads.agent(false, "online-second-closer")) {
            online.run(rcu::registerThread);
            Thread first = threads.platform("first-closer", () -> {
                rcu.close();
                firstClosed.set(true);
            });
            awaitBlockedIn(first, "close");  // its final grace period waits for the online thread
            online.call(Duration.ofSeconds(3), () -> {
                rcu.close();
                return null;
            });
            hung = false;
            awaitCondition("the first close() returns", firstClosed::get);
        } finally {
            if (hung) {
                abandon(rcu);  // both closers are stuck for good; closing again would hang the cleanup too
            }
        }
    }

    /**
     * close() joins the callback workers, whose grace periods wait for every online thread: an online caller is
     * offline before that (close() is a call that may wait), so its pending callback runs and close() returns.
     */
    @Test
    void closeByAnOnlineThreadWithAPendingCallbackRunsItAndReturns() throws Exception {
        QsbrRcu rcu = domain();
        CountDownLatch ran = new CountDownLatch(1);
        boolean hung = true;
        try (TestThreads threads = new TestThreads(Duration.ofSeconds(2));
             Agent caller = threads.agent(false, "online-closer-with-callback")) {
            caller.run(() -> {
                rcu.registerThread();
                rcu.call(ran::countDown);
            });
            caller.run(rcu::close);   // fails the test if it does not return
            hung = false;
            assertThat(ran.getCount()).as("the pending callback ran by the time close() returned").isZero();
        } finally {
            if (hung) {
                abandon(rcu);  // the closer is stuck for good; closing again would hang the cleanup too
            }
        }
    }

    // ------------------------------------------------------------------ DPDK names

    @Test
    void checkWithoutWaitIsPollAndCheckWithWaitAwaits() throws Exception {
        QsbrRcu rcu = domain();
        AtomicBoolean checked = new AtomicBoolean();
        try (TestThreads threads = new TestThreads(); Agent reader = threads.agent(false, "online-reader")) {
            reader.run(rcu::registerThread);
            long t = rcu.start();
            assertThat(rcu.check(t, false)).isFalse().isEqualTo(rcu.poll(t));
            Thread waiter = threads.platform("check-and-wait", () -> checked.set(rcu.check(t, true)));
            awaitBlockedIn(waiter, "check");
            assertThat(checked).isFalse();
            assertThat(rcu.check(t, false)).isFalse();
            reader.run(rcu::quiescent);
            waiter.join(LONG);
            assertThat(checked).as("check(t, true) returned true once the reader was quiescent").isTrue();
            assertThat(rcu.check(t, false)).isTrue().isEqualTo(rcu.poll(t));
            reader.run(rcu::unregisterThread);
        }
        assertThatThrownBy(() -> rcu.check(rcu.snapshot() + 10, false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * DPDK's {@code rte_rcu_qsbr_check(v, t, false)}: the check looks at the readers itself. The domain's thread is
     * stopped and no call here blocks, so nothing else can run the grace period: the first check after the last
     * online reader reported must say {@code true} (and complete the grace period for later polls), and every check
     * before it {@code false}. An offline reader counts as past.
     */
    @Test
    void checkWithoutWaitIsTrueOnTheFirstCallOnceEveryOnlineReaderReported() throws Exception {
        QsbrRcu rcu = domain();
        Faults.inject(rcu, Faults.Fault.NO_DOMAIN_THREAD, true);
        try (TestThreads threads = new TestThreads(); Agent first = threads.agent(false, "first-reader");
             Agent second = threads.agent(false, "second-reader");
             Agent offline = threads.agent(false, "offline-reader")) {
            first.run(rcu::registerThread);
            second.run(rcu::registerThread);
            offline.run(() -> {
                rcu.registerThread();
                rcu.offline();
            });
            long t = rcu.start();
            assertThat(rcu.check(t, false)).as("no reader has reported since start()").isFalse();
            first.run(rcu::quiescent);
            assertThat(rcu.check(t, false)).as("the second reader has not reported").isFalse();
            assertThat(rcu.poll(t)).as("poll(t) is the same check").isFalse();
            assertThat(rcu.stats().gracePeriodsCompleted()).isZero();
            second.run(rcu::quiescent);
            assertThat(rcu.check(t, false)).as("the first check after every online reader reported").isTrue();
            assertThat(rcu.stats().gracePeriodsCompleted()).as("the check completed the token's grace period")
                    .isEqualTo(1);
            assertThat(rcu.poll(t)).isTrue();
            long later = rcu.start();
            assertThat(rcu.check(later, false)).as("a newer token: nobody reported after it").isFalse();
            for (Agent a : List.of(first, second, offline)) {
                a.run(rcu::unregisterThread);
            }
            assertThat(rcu.check(later, false)).as("no reader left").isTrue();
        }
    }

    /**
     * While another thread holds the grace-period lock (here the test thread, as a grace period in progress would),
     * a check that finds every reader past the token still says {@code true} at once, and so do later checks of that
     * token, but not of a newer one; the grace period completes once a check can take the lock.
     */
    @Test
    void checkWithoutWaitAnswersFromTheReadersWhileAnotherThreadHoldsTheGracePeriodLock() throws Exception {
        QsbrRcu rcu = domain();
        Faults.inject(rcu, Faults.Fault.NO_DOMAIN_THREAD, true);
        try (TestThreads threads = new TestThreads(); Agent reader = threads.agent(false, "reader");
             Agent checker = threads.agent(false, "checker")) {
            reader.run(rcu::registerThread);
            long t = rcu.start();
            List<Boolean> checks = new ArrayList<>();
            rcu.holdingGracePeriodLockForTests(() -> {
                try {
                    checks.add(checker.call(() -> rcu.check(t, false)));
                    reader.run(rcu::quiescent);
                    checks.add(checker.call(() -> rcu.check(t, false)));
                    checks.add(checker.call(() -> rcu.poll(t)));
                    long next = rcu.start();
                    checks.add(checker.call(() -> rcu.check(next, false)));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(checks).as("before the report, after it (check, poll), a newer token")
                    .containsExactly(false, true, true, false);
            assertThat(rcu.stats().gracePeriodsCompleted()).as("nothing could complete a grace period").isZero();
            assertThat(rcu.check(t, false)).isTrue();
            assertThat(rcu.stats().gracePeriodsCompleted()).as("a check with the lock free completes it")
                    .isEqualTo(1);
            reader.run(rcu::unregisterThread);
        }
    }

    /** DPDK semantics: a thread that comes online, or registers, after start() began after the token. */
    @Test
    void aReaderThatComesOnlineAfterStartDoesNotHoldUpTheToken() throws Exception {
        QsbrRcu rcu = domain();
        Faults.inject(rcu, Faults.Fault.NO_DOMAIN_THREAD, true);
        try (TestThreads threads = new TestThreads(); Agent returning = threads.agent(false, "returning-reader");
             Agent newcomer = threads.agent(false, "new-reader")) {
            returning.run(() -> {
                rcu.registerThread();
                rcu.offline();
            });
            long t = rcu.start();
            returning.run(rcu::online);
            newcomer.run(rcu::registerThread);
            assertThat(rcu.check(t, false)).as("both readers became protected after start()").isTrue();
            long next = rcu.start();
            assertThat(rcu.check(next, false)).as("neither has reported since the next start()").isFalse();
            returning.run(rcu::unregisterThread);
            newcomer.run(rcu::unregisterThread);
        }
    }

    /**
     * DPDK's token semantics: start() starts a grace period at once, so one quiescent state reported after it covers
     * the token, even while an earlier grace period (here a writer's synchronize()) is still running. (A cookie that
     * only names the next grace period would need a second report.)
     */
    @Test
    void oneReportAfterStartCoversTheTokenWhileAnEarlierGracePeriodRuns() throws Exception {
        QsbrRcu rcu = domain();
        try (TestThreads threads = new TestThreads(); Agent reader = threads.agent(false, "online-reader")) {
            reader.run(rcu::registerThread);
            Thread writer = threads.platform("writer", rcu::synchronize);
            awaitBlockedIn(writer, "synchronize");  // a grace period is in progress and cannot end
            long t1 = rcu.start();
            long t2 = rcu.start();
            assertThat(t2).as("each start() is a new token").isGreaterThan(t1);
            assertThat(rcu.check(t1, false)).isFalse();
            reader.run(rcu::quiescent);              // once, after both tokens; the reader stays online
            awaitCondition("check(t2, false) after one report", () -> rcu.check(t2, false));
            assertThat(rcu.check(t1, false)).isTrue();
            writer.join();
            reader.run(rcu::unregisterThread);
        }
        long a = rcu.start();
        awaitCondition("start() drives its grace period", () -> rcu.check(a, false));
        long b = rcu.startPoll();
        assertThat(b).isGreaterThan(a);
        assertThat(rcu.check(b, true)).isTrue();
    }

    @Test
    void lockAndUnlockAreReadLockAndReadUnlock() {
        QsbrRcu rcu = domain();
        rcu.registerThread();
        rcu.lock();
        assertThat(rcu.inReadSection()).isTrue();
        assertThat(rcu.reader().inReadSection()).isTrue();
        rcu.lock();
        rcu.unlock();
        assertThat(rcu.inReadSection()).isTrue();
        assertThatThrownBy(rcu::synchronize).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("inside a read section");
        rcu.readUnlock();   // pairs with lock()
        assertThat(rcu.inReadSection()).isFalse();
        rcu.readLock();
        rcu.unlock();       // pairs with readLock()
        assertThat(rcu.inReadSection()).isFalse();
        assertThatThrownBy(rcu::unlock).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("without a matching");
    }

    // ------------------------------------------------------------------ misuse

    @Test
    void quiescentAndOfflineInsideASectionThrow() {
        QsbrRcu rcu = domain();
        rcu.registerThread();
        QsbrRcu.Reader reader = rcu.reader();
        try (ReadSection s = rcu.read()) {
            assertThatThrownBy(rcu::quiescent).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a read section");
            assertThatThrownBy(reader::quiescent).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a read section");
            assertThatThrownBy(rcu::offline).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a read section");
            assertThatThrownBy(reader::offline).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a read section");
            assertThat(rcu.isOnline()).as("still online").isTrue();
            assertThat(rcu.inReadSection()).as("still in the section").isTrue();
        }
        rcu.quiescent();
        rcu.offline();
        assertThat(rcu.isOnline()).isFalse();
    }

    @Test
    void readingOnAnOfflineThreadThrows() {
        QsbrRcu rcu = domain();
        rcu.registerThread();
        QsbrRcu.Reader reader = rcu.reader();
        rcu.offline();
        assertThatThrownBy(rcu::read).isInstanceOf(IllegalStateException.class).hasMessageContaining("offline");
        assertThatThrownBy(rcu::readLock).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("offline");
        assertThatThrownBy(rcu::lock).isInstanceOf(IllegalStateException.class).hasMessageContaining("offline");
        assertThatThrownBy(reader::read).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("offline");
        assertThatThrownBy(rcu::quiescent).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("offline");
        assertThat(rcu.inReadSection()).as("no section was opened by the failed calls").isFalse();
        assertThat(rcu.isOnline()).isFalse();
        rcu.online();
        try (ReadSection s = reader.read()) {
            assertThat(rcu.inReadSection()).isTrue();
        }
    }

    @Test
    void onlineOnAClosedDomainThrows() {
        QsbrRcu rcu = domain();
        rcu.registerThread();
        rcu.offline();
        rcu.close();
        assertThatThrownBy(rcu::online).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> rcu.reader().online()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThat(rcu.isOnline()).isFalse();
    }

    @Test
    void startOnAClosedDomainThrowsAndStartsNoGracePeriod() {
        QsbrRcu rcu = domain();
        rcu.close();
        long started = rcu.state.lvStarted();
        assertThatThrownBy(rcu::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(rcu::token).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThat(rcu.state.lvStarted()).as("grace periods started, after two refused tokens").isEqualTo(started);
        assertThat(rcu.poll(started)).as("every grace period started before the close has passed").isTrue();
    }

    // ------------------------------------------------------------------ a poll's true answer is kept

    /**
     * Grace period c has passed (every reader reported after it began) while the thread holding the grace-period
     * lock still waits for a reader that holds up only c + 1. A poll that saw c pass is answered the same way by
     * everything that asks later: await, isCompleted, a DeferQueue's reclaim and close.
     */
    @Test
    void aGracePeriodAPollSawPassStaysPassedForAwaitAndTheDeferQueue() throws Exception {
        QsbrRcu rcu = domain();
        Faults.inject(rcu, Faults.Fault.NO_DOMAIN_THREAD, true);
        List<Long> freed = new ArrayList<>();
        DeferQueue<Long> dq = DeferQueue.<Long>builder(rcu, x -> {
            synchronized (freed) {
                freed.add(x);
            }
        }).build();
        try (TestThreads threads = new TestThreads(); Agent r = threads.agent(false, "R");
             Agent r2 = threads.agent(false, "R2")) {
            r.run(rcu::registerThread);
            r2.run(rcu::registerThread);
            try {
                dq.enqueue(42L);                       // token c
                long c = dq.newestCookie();
                r2.run(rcu::quiescent);                // R2 past c
                long d = rcu.start();                  // token c + 1
                assertThat(d).isEqualTo(c + 1);
                Thread s = threads.platform("sync", rcu::synchronize);   // holds the lock, waits for c + 1
                awaitBlockedIn(s, "awaitReader");
                r.run(rcu::quiescent);                 // R past c and c + 1; R2 holds up c + 1 only
                awaitBlockedIn(s, "awaitReader");

                assertThat(rcu.poll(c)).as("poll(c): every reader reported after c began").isTrue();
                assertThat(rcu.isCompleted(c)).as("isCompleted(c) after poll(c) was true").isTrue();
                assertThat(rcu.await(c, Duration.ZERO)).as("await(c) after poll(c) was true").isTrue();
                rcu.await(c);
                assertThat(rcu.poll(d)).as("R2 holds up c + 1").isFalse();

                Thread closer = threads.platform("dq-close", dq::close);
                awaitCondition("DeferQueue.close() finishes or parks (it must not spin)", Duration.ofSeconds(5),
                        () -> closer.getState() == Thread.State.TERMINATED
                                || closer.getState() == Thread.State.WAITING
                                || closer.getState() == Thread.State.TIMED_WAITING);
                closer.join(TestThreads.WAIT);
                assertThat(closer.isAlive()).as("close() returned: its entry's grace period had passed").isFalse();
                synchronized (freed) {
                    assertThat(freed).containsExactly(42L);
                }
            } finally {
                r2.run(rcu::quiescent);                // lets the synchronize() (and anything else) finish
                r.run(rcu::unregisterThread);
                r2.run(rcu::unregisterThread);
            }
        }
    }

    /** A token's grace period that only a poll completed counts, with no duration: nobody saw it start. */
    @Test
    void aPollThatCompletesATokenTimesNoGracePeriod() throws Exception {
        QsbrRcu rcu = domain();
        Faults.inject(rcu, Faults.Fault.NO_DOMAIN_THREAD, true);
        try (TestThreads threads = new TestThreads(); Agent r = threads.agent(false, "R")) {
            r.run(rcu::registerThread);
            try {
                long t = rcu.start();
                r.run(rcu::quiescent);
                assertThat(rcu.stats().gracePeriodsCompleted()).isZero();
                assertThat(rcu.poll(t)).isTrue();
                RcuStats s = rcu.stats();
                assertThat(s.gracePeriodsCompleted()).as("the poll completed the token's grace period").isEqualTo(1);
                assertThat(s.maxGracePeriodNanos()).as("a duration recorded by a poll that never saw it start")
                        .isZero();
                assertThat(s.meanGracePeriodNanos()).isZero();
            } finally {
                r.run(rcu::unregisterThread);
            }
        }
    }

    /**
     * An await whose grace period has passed returns although the thread holding the grace-period lock waits for a
     * reader that holds up only a later one: the waiter looks at the readers itself (nobody polls here).
     */
    @Test
    void anAwaitDoesNotWaitForALaterGracePeriodTheLockHolderWaitsFor() throws Exception {
        QsbrRcu rcu = domain();
        Faults.inject(rcu, Faults.Fault.NO_DOMAIN_THREAD, true);
        try (TestThreads threads = new TestThreads(); Agent r = threads.agent(false, "R");
             Agent r2 = threads.agent(false, "R2")) {
            r.run(rcu::registerThread);
            r2.run(rcu::registerThread);
            try {
                long c = rcu.start();
                r2.run(rcu::quiescent);                // R2 past c
                long d = rcu.start();
                Thread s = threads.platform("sync", rcu::synchronize);   // holds the lock, waits for d
                awaitBlockedIn(s, "awaitReader");
                Thread waiter = threads.platform("await-c", () -> rcu.await(c));
                awaitBlockedIn(waiter, "awaitUntil");  // c has not passed: R has reported nothing
                r.run(rcu::quiescent);                 // R past c and d; R2 holds up d only
                waiter.join(TestThreads.WAIT);
                assertThat(waiter.isAlive()).as("await(c) returned while R2 holds up only a later grace period")
                        .isFalse();
                assertThat(rcu.poll(d)).isFalse();
            } finally {
                r2.run(rcu::quiescent);
                r.run(rcu::unregisterThread);
                r2.run(rcu::unregisterThread);
            }
        }
    }

    // ------------------------------------------------------------------ thread death, debug checks

    @ParameterizedTest(name = "virtual: {0}")
    @ValueSource(booleans = {false, true})
    void aThreadThatTerminatesOnlineOutsideAnySectionIsTreatedAsOffline(boolean virtual) {
        QsbrRcu rcu = domain(b -> b.stallTimeout(Duration.ofMillis(200)));
        AtomicBoolean returned = new AtomicBoolean();
        try (TestThreads threads = new TestThreads()) {
            TestThreads.Held online = threads.hold(virtual, "terminates-online", rcu::registerThread, () -> {
            });
            Thread writer = threads.platform("writer", () -> {
                rcu.synchronize();
                returned.set(true);
            });
            try {
                awaitBlockedIn(writer, "synchronize");
            } finally {
                online.release();
            }
        }
        assertThat(returned).isTrue();
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    /**
     * Threads that end registered (offline: a thread per request that does not unregister) leave no record behind:
     * later registrations drop them, so the registry a grace period scans follows the threads alive (at most one
     * batch of the churn at once), not the 20,000 that ran.
     */
    @Test
    void threadsThatEndRegisteredAreDroppedAsOtherThreadsRegister() throws Exception {
        QsbrRcu rcu = domain();
        ReaderChurn.run(20_000, () -> {
            rcu.registerThread();
            try (ReadSection s = rcu.read()) {
                assertThat(rcu.inReadSection()).isTrue();
            }
            rcu.offline();
        });
        int alive = ReaderChurn.BATCH;   // the bounds of CounterRcu's overview
        assertThat(rcu.registeredReaders()).as("records in the registry").isLessThanOrEqualTo(3 * alive);
        assertThat(rcu.registrySlots()).as("slots a grace period scans").isLessThanOrEqualTo(4 * alive);
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    @Test
    void withDebugChecksRcuReferenceGetNeedsAnOnlineThread() {
        QsbrRcu rcu = domain(b -> b.debugChecks(true));
        RcuReference<String> ref = new RcuReference<>("v");
        try (TestThreads threads = new TestThreads()) {
            threads.platform("debug-get", () -> {
                assertThatThrownBy(ref::get).as("unregistered").isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("not online");
                rcu.registerThread();
                assertThat(ref.get()).as("online, outside any section").isEqualTo("v");
                rcu.offline();
                assertThatThrownBy(ref::get).as("offline").isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("not online");
                rcu.online();
                try (ReadSection s = rcu.read()) {
                    assertThat(ref.get()).isEqualTo("v");
                }
                rcu.synchronize();  // offline while waiting, online again afterwards
                assertThat(ref.get()).isEqualTo("v");
                rcu.unregisterThread();
                assertThatThrownBy(ref::get).isInstanceOf(IllegalStateException.class);
            });
        }
    }

    /**
     * A callback accepted just before the close but handed to a rescue thread after it (no worker takes callbacks
     * any more) runs without a grace period of the closed domain: that one would wait for a thread that stayed
     * online after the close, forever. The close's final grace period covered every section.
     */
    @Test
    void aCallbackRoutedAfterTheCloseRunsWithoutWaitingForThreadsStillOnline() throws Exception {
        QsbrRcu rcu = track(QsbrRcu.builder().build());
        AtomicBoolean closed = new AtomicBoolean();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch ran = new CountDownLatch(1);
        CountDownLatch registered = new CountDownLatch(1);
        try (TestThreads threads = new TestThreads()) {
            threads.start(false, "online-after-close", () -> {
                rcu.registerThread();
                registered.countDown();
                while (!closed.get()) {
                    rcu.quiescent();   // lets the close's final grace period end
                }
                release.await();       // still registered and online: reports nothing more
            });
            try {
                TestThreads.await(registered);
                rcu.close();
                closed.set(true);
                rcu.callbacks.route(new Callbacks.RunnableCallback(ran::countDown));
                TestThreads.await(ran);   // fails (with a stack dump) if the callback waits for the online thread
            } finally {
                release.countDown();
            }
        }
    }

}
