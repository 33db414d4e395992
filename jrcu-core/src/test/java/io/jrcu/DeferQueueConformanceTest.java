package io.jrcu;

import io.jrcu.DeferQueue.ReclaimResult;
import io.jrcu.TestThreads.Agent;
import io.jrcu.TestThreads.Body;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.IntStream;

import static io.jrcu.TestThreads.await;
import static io.jrcu.TestThreads.awaitCondition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The {@link DeferQueue} conformance suite (issue 4, "DeferQueue&lt;T&gt;" and the first bullet of "Proof": every case
 * of DPDK's own {@code rte_rcu_qsbr_dq} tests, and the rest of the contract), written once and run for every
 * flavor through the fixture {@link TestFlavor}.
 *
 * <p>"A reader that has not reported" is, for memb and bulletProof, a thread holding an open read section; for QSBR,
 * a registered (so online) thread that does not call {@code quiescent()}. Such a reader lives on an {@link Agent}
 * so that the test thread can drive it step by step; it always leaves (closes its section, unregisters) in a
 * {@code finally}, so that the domain can be closed after the test.
 *
 * <p>Every resource carries an age oracle: a cookie taken just before it was enqueued, which must poll complete when
 * the free function runs (else it was freed before its grace period). After each test: no resource was freed early
 * or more than once, and nothing unexpected reached the domain's error handler.
 *
 * <p>Conventions as in {@link RcuConformanceTest}: threads are joined and their failures rethrown, nothing sleeps to
 * synchronize (latches, polling with a deadline), no assertion is about time. "Nothing frees" while a reader blocks
 * is a safety property: it holds at every instant, so checking it at any instant is sound.
 */
@ParameterizedClass
@EnumSource(TestFlavor.class)
class DeferQueueConformanceTest extends BlockingReaderSupport {

    static final int ALL = Integer.MAX_VALUE;
    /** A trigger limit no test reaches: enqueue never reclaims by itself. */
    static final int NO_TRIGGER = 1_000_000;

    @Parameter
    TestFlavor flavor;

    @Override
    protected TestFlavor flavor() {
        return flavor;
    }

    // ------------------------------------------------------------------ domains, resources, frees

    private final List<Frees> allFrees = new CopyOnWriteArrayList<>();

    /** A resource: an id and its age oracle (a cookie taken before it was enqueued). */
    record Res(int id, long oracle) {
        @Override
        public String toString() {
            return "Res#" + id;
        }
    }

    /** A recording free function. */
    final class Frees {
        final Rcu rcu;
        final ConcurrentLinkedQueue<Integer> order = new ConcurrentLinkedQueue<>();
        final Map<Integer, AtomicInteger> counts = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<Integer> early = new ConcurrentLinkedQueue<>();

        Frees(Rcu rcu) {
            this.rcu = rcu;
        }

        /** A new resource whose oracle is taken now (call it just before enqueueing). */
        Res res(int id) {
            return new Res(id, rcu.snapshot());
        }

        void free(Res r) {
            if (!rcu.poll(r.oracle())) {
                early.add(r.id());
            }
            counts.computeIfAbsent(r.id(), k -> new AtomicInteger()).incrementAndGet();
            order.add(r.id());
        }

        List<Integer> order() {
            return new ArrayList<>(order);
        }

        int count() {
            return order.size();
        }
    }

    final Frees frees(Rcu rcu) {
        Frees f = new Frees(rcu);
        allFrees.add(f);
        return f;
    }

    /** A queue with the builder's defaults. */
    static DeferQueue<Res> queue(Rcu rcu, Frees frees) {
        return DeferQueue.<Res>builder(rcu, frees::free).name("test").build();
    }

    /** A queue whose enqueue never reclaims by itself, so that counts are exact. */
    static DeferQueue<Res> quietQueue(Rcu rcu, Frees frees) {
        return DeferQueue.<Res>builder(rcu, frees::free).name("quiet").triggerReclaimLimit(NO_TRIGGER).build();
    }

    static List<Integer> ids(int fromInclusive, int toExclusive) {
        return IntStream.range(fromInclusive, toExclusive).boxed().toList();
    }

    /** Enqueues ids [from, to), asserting each is accepted. */
    static void enqueueAll(DeferQueue<Res> q, Frees frees, int from, int to) {
        for (int i = from; i < to; i++) {
            assertThat(q.enqueue(frees.res(i))).as("enqueue of #%d", i).isTrue();
        }
    }

    /** Waits (as a non-reader) until every cookie issued so far is complete. Not allowed in the no-readers case. */
    static void awaitGracePeriod(Rcu rcu) {
        assertThat(rcu.await(rcu.snapshot(), LONG)).as("a grace period with no reader blocking it").isTrue();
    }

    @AfterEach
    final void eachResourceFreedOnceAndNeverEarly() {
        for (Frees f : allFrees) {
            assertThat(f.early).as("resources freed before their grace period").isEmpty();
            f.counts.forEach((id, n) -> assertThat(n.get()).as("times resource #%d was freed", id).isEqualTo(1));
        }
        assertThat(domainErrors).as("failures handed to the domain's error handler").isEmpty();
    }

    /**
     * Polls {@code reclaim()} until nothing is pending, running {@code between} after each unsuccessful round
     * (e.g. the reader reporting again); fails after {@link #LONG}.
     */
    static void drain(DeferQueue<Res> q, String what, Body between) {
        awaitCondition(what, () -> {
            ReclaimResult r = q.reclaim(ALL);
            assertThat(r.freed()).isNotNegative();
            if (r.pending() == 0) {
                return true;
            }
            unchecked(between);
            return false;
        });
        assertThat(q.pending()).isZero();
    }

    static void drain(DeferQueue<Res> q, String what) {
        drain(q, what, () -> {
        });
    }

    /** Whether {@code t} is inside {@code DeferQueue.close()} now. */
    static boolean insideQueueClose(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().startsWith(DeferQueue.class.getName()) && e.getMethodName().equals("close")) {
                return true;
            }
        }
        return false;
    }

    // ================================================================== DPDK's cases

    /** DPDK: no readers, everything frees. Grace periods progress on their own: nobody calls synchronize(). */
    @Test
    void withNoReadersPollingReclaimFreesEverythingWithoutSynchronize() {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = queue(rcu, frees);
        enqueueAll(q, frees, 0, 100);
        drain(q, "polling reclaim() frees everything with no reader and no synchronize()");
        assertThat(frees.order()).as("free order (strict FIFO)").containsExactlyElementsOf(ids(0, 100));
        assertThat(q.tryClose()).isTrue();
        assertThatThrownBy(() -> q.enqueue(frees.res(100))).isInstanceOf(IllegalStateException.class);
        assertThat(frees.count()).isEqualTo(100);
    }

    /**
     * Grace periods of enqueued entries complete on their own, with nobody reclaiming or calling synchronize(): the
     * domain's thread drives them (it is started by the first enqueue), and again once it has stopped ticking and
     * parked for good, when the next enqueue must wake it (QSBR: the token itself is the request, no CAS; the
     * others: a lazy request).
     */
    @Test
    void enqueuedEntriesGracePeriodsCompleteWithoutAnyoneReclaiming() {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = quietQueue(rcu, frees);
        AbstractRcu<?> domain = (AbstractRcu<?>) rcu;
        for (int round = 0; round < 2; round++) {
            enqueueAll(q, frees, round, round + 1);
            long cookie = q.newestCookie();
            awaitCondition("the grace period of entry #" + round + " completes with nobody reclaiming",
                    () -> rcu.poll(cookie));
            assertThat(frees.count()).as("frees (nobody reclaimed)").isZero();
            if (round == 0) {
                awaitCondition("the domain thread parks without a lazy tick once its linger is over",
                        domain::domainThreadParkedWithoutTick);
            }
        }
        drain(q, "the two entries free");
        assertThat(frees.order()).containsExactly(0, 1);
    }

    /** DPDK: an online reader that has not reported: nothing frees, tryClose() is false, the queue stays usable. */
    @Test
    void aReaderThatHasNotReportedHoldsEverythingAndTheQueueStaysUsable() throws Exception {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = queue(rcu, frees);
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            enqueueAll(q, frees, 0, 10);
            for (int i = 0; i < 5; i++) {
                assertThat(q.reclaim(ALL)).as("reclaim while the reader blocks")
                        .isEqualTo(new ReclaimResult(0, 10));
            }
            assertThat(q.tryClose()).as("tryClose() while everything is pending").isFalse();
            assertThat(frees.order()).as("freed while the reader blocks").isEmpty();

            // still usable: more enqueues, more reclaims, another tryClose
            enqueueAll(q, frees, 10, 15);
            assertThat(q.pending()).isEqualTo(15);
            assertThat(q.reclaim(3)).isEqualTo(new ReclaimResult(0, 15));
            assertThat(q.tryClose()).isFalse();
            assertThat(frees.order()).isEmpty();

            reader.leave();
            drain(q, "everything frees once the reader left");
        }
        assertThat(frees.order()).containsExactlyElementsOf(ids(0, 15));
        q.close();
    }

    /**
     * DPDK's shutdown step reports what keeps it from closing: a tryClose() that returns false logs, once per queue,
     * a warning with the pending count and the oldest pending cookie.
     */
    @Test
    void tryCloseThatFindsResourcesPendingLogsOneWarningPerQueueWithTheCountAndTheOldestCookie() throws Exception {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = DeferQueue.<Res>builder(rcu, frees::free).name("logged-queue").build();
        DeferQueue<Res> other = DeferQueue.<Res>builder(rcu, frees::free).name("other-queue").build();
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu);
             LogCapture log = LogCapture.start()) {
            enqueueAll(q, frees, 0, 1);
            long oldest = q.newestCookie();
            enqueueAll(q, frees, 1, 7);
            enqueueAll(other, frees, 100, 101);
            assertThat(q.tryClose()).isFalse();
            assertThat(q.tryClose()).isFalse();
            assertThat(other.tryClose()).isFalse();
            String text = log.text();
            assertThat(text).as("what was logged").contains(LogCapture.levelName("WARNING"))
                    .contains("DeferQueue 'logged-queue'").contains("7 resources pending")
                    .contains("oldest pending cookie " + oldest);
            assertThat(text.split("DeferQueue 'logged-queue'", -1)).as("warnings about logged-queue").hasSize(2);
            assertThat(text.split("DeferQueue 'other-queue'", -1)).as("warnings about other-queue").hasSize(2);
            reader.leave();
            drain(q, "everything frees once the reader left");
            drain(other, "the other queue too");
        }
        assertThat(q.tryClose()).isTrue();
        assertThat(other.tryClose()).isTrue();
    }

    /**
     * DPDK: after the reader reports, everything frees and tryClose() is true; then the queue is closed. The reader
     * stays a reader and reports again while the test polls (harmless; the strict one-report form is
     * {@link #oneReportAfterTheEnqueuesFreesEverythingEnqueuedBefore}).
     */
    @Test
    void afterTheReaderReportsEverythingFreesAndTryCloseClosesTheQueue() throws Exception {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = queue(rcu, frees);
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            enqueueAll(q, frees, 0, 10);
            assertThat(q.reclaim(ALL)).isEqualTo(new ReclaimResult(0, 10));
            assertThat(q.tryClose()).isFalse();
            reader.report();
            awaitCondition("tryClose() becomes true after the reader reported", () -> {
                if (q.tryClose()) {
                    return true;
                }
                unchecked(reader::report);
                return false;
            });
            assertThat(frees.order()).as("everything freed, in FIFO order").containsExactlyElementsOf(ids(0, 10));
            assertThatThrownBy(() -> q.enqueue(frees.res(10))).as("enqueue after tryClose() returned true")
                    .isInstanceOf(IllegalStateException.class);
            assertThat(q.tryClose()).as("tryClose() on the closed queue").isTrue();
            q.close();  // no-op
        }
        assertThat(frees.count()).isEqualTo(10);
    }

    /**
     * DPDK's exact case: the reader reports once, after the enqueues, and then does nothing more; everything enqueued
     * before the report must free (by polling reclaim). Set-up: the first enqueue's grace period has started (the
     * domain is waiting for the reader) before the second enqueue, so the second's cookie names a later grace period;
     * the one report comes after both. For QSBR this holds because enqueue takes DPDK tokens (each starts its grace
     * period at once), a regression test for the gap of the first DeferQueue, whose QSBR cookies did not.
     */
    @Test
    void oneReportAfterTheEnqueuesFreesEverythingEnqueuedBefore() throws Exception {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = queue(rcu, frees);
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            long before = rcu.snapshot();
            enqueueAll(q, frees, 0, 1);
            awaitCondition("the first entry's grace period started", () -> rcu.snapshot() > before);
            enqueueAll(q, frees, 1, 2);
            assertThat(q.reclaim(ALL)).isEqualTo(new ReclaimResult(0, 2));
            reader.report();  // once; after both enqueues
            awaitCondition("both entries free after one report made after both were enqueued",
                    Duration.ofSeconds(5), () -> q.reclaim(ALL).pending() == 0);
            assertThat(frees.order()).containsExactly(0, 1);
        } finally {
            drain(q, "cleanup");
            q.close();
        }
    }

    /** DPDK: a bounded queue that is full while a reader blocks: enqueue returns false and keeps nothing. */
    @Test
    void aBoundedQueueFullWhileAReaderBlocksRefusesEnqueue() throws Exception {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = DeferQueue.<Res>builder(rcu, frees::free).name("bounded").maxPending(4).build();
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            enqueueAll(q, frees, 0, 4);
            assertThat(q.pending()).isEqualTo(4);
            try (Agent producer = threads.agent(false, "producer")) {
                // on another thread, so that an enqueue that blocks fails the test instead of hanging it
                Res rejected = frees.res(4);
                assertThat(producer.call(() -> q.enqueue(rejected))).as("enqueue into a full queue").isFalse();
                assertThat(producer.call(() -> q.enqueue(rejected))).as("again").isFalse();
            }
            assertThat(q.pending()).as("pending after refused enqueues").isEqualTo(4);
            assertThat(frees.order()).as("freed while the reader blocks").isEmpty();

            reader.leave();
            Res accepted = frees.res(5);
            awaitCondition("enqueue into the full queue succeeds once its entries' grace periods passed",
                    () -> q.enqueue(accepted));
            assertThat(frees.count()).as("the successful enqueue reclaimed first").isPositive();
            assertThat(q.pending()).isBetween(1, 4);
            drain(q, "everything frees");
        }
        assertThat(frees.order()).as("the refused resource was never freed: the caller kept it")
                .containsExactly(0, 1, 2, 3, 5);
        q.close();
    }

    /** The bound holds when many threads enqueue into a full-ish bounded queue at once. */
    @Test
    void aBoundedQueueNeverHoldsMoreThanMaxPendingUnderConcurrentProducers() throws Exception {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        int cap = 16;
        int producers = 8;
        int perProducer = 32;
        DeferQueue<Res> q = DeferQueue.<Res>builder(rcu, frees::free).name("bounded-mt").maxPending(cap).build();
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger maxSeen = new AtomicInteger();
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            try (TestThreads producing = new TestThreads()) {
                CountDownLatch go = new CountDownLatch(1);
                for (int p = 0; p < producers; p++) {
                    int base = p * perProducer;
                    producing.platform("producer", () -> {
                        await(go);
                        for (int i = 0; i < perProducer; i++) {
                            if (q.enqueue(frees.res(base + i))) {
                                accepted.incrementAndGet();
                            }
                            maxSeen.accumulateAndGet(q.pending(), Math::max);
                        }
                    });
                }
                go.countDown();
            }
            assertThat(frees.order()).as("freed while the reader blocks").isEmpty();
            assertThat(accepted.get()).as("enqueues accepted by a queue bounded at %d while nothing can free", cap)
                    .isEqualTo(cap);
            assertThat(q.pending()).isEqualTo(cap);
            assertThat(maxSeen.get()).as("largest pending() seen").isLessThanOrEqualTo(cap);
            reader.leave();
            drain(q, "everything frees");
        }
        assertThat(frees.count()).isEqualTo(accepted.get());
        q.close();
    }

    /**
     * DPDK: the trigger limit and the max reclaim size are honoured: enqueue reclaims first when more than n are
     * pending (not at n), and then frees at most m (exactly m when m are eligible), oldest first.
     */
    @Test
    void enqueueReclaimsFirstWhenMoreThanTheTriggerLimitArePendingAndAtMostMaxReclaimSize() throws Exception {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = DeferQueue.<Res>builder(rcu, frees::free).name("trigger")
                .triggerReclaimLimit(4).maxReclaimSize(2).build();
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            enqueueAll(q, frees, 0, 6);   // the trigger fires from the 6th on, but nothing is eligible
            assertThat(frees.order()).isEmpty();
            assertThat(q.pending()).as("an unbounded queue grows past the trigger limit").isEqualTo(6);
        }
        awaitGracePeriod(rcu);            // #0..#5 are eligible now; the reader has left

        enqueueAll(q, frees, 6, 7);       // 6 pending > 4: frees 2 first
        assertThat(frees.order()).containsExactly(0, 1);
        assertThat(q.pending()).isEqualTo(5);

        enqueueAll(q, frees, 7, 8);       // 5 pending > 4: frees 2 first
        assertThat(frees.order()).containsExactly(0, 1, 2, 3);
        assertThat(q.pending()).isEqualTo(4);

        enqueueAll(q, frees, 8, 9);       // 4 pending, not more than 4: no reclaim although #4, #5 are eligible
        assertThat(frees.order()).containsExactly(0, 1, 2, 3);
        assertThat(q.pending()).isEqualTo(5);

        awaitGracePeriod(rcu);
        enqueueAll(q, frees, 9, 10);      // 5 pending > 4: frees 2 first
        assertThat(frees.order()).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(q.pending()).isEqualTo(4);

        q.close();
        assertThat(frees.order()).containsExactlyElementsOf(ids(0, 10));
    }

    // ================================================================== reclaim

    @Test
    void reclaimFreesAtMostMaxInStrictFifoOrder() {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = quietQueue(rcu, frees);
        enqueueAll(q, frees, 0, 10);
        awaitGracePeriod(rcu);            // all ten eligible
        assertThat(q.reclaim(3)).isEqualTo(new ReclaimResult(3, 7));
        assertThat(frees.order()).containsExactly(0, 1, 2);
        assertThat(q.reclaim(1)).isEqualTo(new ReclaimResult(1, 6));
        assertThat(frees.order()).containsExactly(0, 1, 2, 3);
        assertThat(q.reclaim(4)).isEqualTo(new ReclaimResult(4, 2));
        assertThat(q.reclaim(ALL)).isEqualTo(new ReclaimResult(2, 0));
        assertThat(q.reclaim(ALL)).isEqualTo(new ReclaimResult(0, 0));
        assertThat(frees.order()).as("free order equals enqueue order").containsExactlyElementsOf(ids(0, 10));
        q.close();
    }

    @Test
    void reclaimStopsAtTheFirstEntryWhoseGracePeriodHasNotPassed() throws Exception {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = quietQueue(rcu, frees);
        enqueueAll(q, frees, 0, 3);
        awaitGracePeriod(rcu);            // #0..#2 eligible
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            enqueueAll(q, frees, 3, 6);   // their grace periods wait for the reader
            assertThat(q.reclaim(ALL)).isEqualTo(new ReclaimResult(3, 3));
            assertThat(frees.order()).containsExactly(0, 1, 2);
            assertThat(q.reclaim(ALL)).isEqualTo(new ReclaimResult(0, 3));
            assertThat(q.tryClose()).isFalse();
            assertThat(frees.order()).containsExactly(0, 1, 2);
            reader.report();
            drain(q, "the rest frees after the reader reported", reader::report);
        }
        assertThat(frees.order()).containsExactlyElementsOf(ids(0, 6));
        q.close();
    }

    @Test
    void reclaimRejectsANonPositiveMax() {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        try (DeferQueue<Res> q = queue(rcu, frees)) {
            assertThatThrownBy(() -> q.reclaim(0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> q.reclaim(-1)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void pendingCountsEnqueuedResourcesNotYetFreed() throws Exception {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = quietQueue(rcu, frees);
        assertThat(q.pending()).isZero();
        assertThat(q.reclaim(ALL)).isEqualTo(new ReclaimResult(0, 0));
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            for (int i = 0; i < 3; i++) {
                enqueueAll(q, frees, i, i + 1);
                assertThat(q.pending()).isEqualTo(i + 1);
            }
            assertThat(q.reclaim(ALL)).isEqualTo(new ReclaimResult(0, 3));
            assertThat(q.pending()).isEqualTo(3);
        }
        awaitGracePeriod(rcu);
        assertThat(q.pending()).as("eligible but not yet freed entries still count").isEqualTo(3);
        assertThat(q.reclaim(2)).isEqualTo(new ReclaimResult(2, 1));
        assertThat(q.pending()).isEqualTo(1);
        assertThat(q.reclaim(ALL)).isEqualTo(new ReclaimResult(1, 0));
        assertThat(q.pending()).isZero();
        q.close();
    }

    // ================================================================== concurrency

    /**
     * Each resource is freed exactly once: several producers (no singleProducer), several concurrent reclaimers,
     * enqueue-triggered reclaims, and a reader churning through sections (QSBR: quiescent states) meanwhile.
     */
    @Test
    void eachResourceIsFreedExactlyOnceWithManyProducersAndConcurrentReclaimers() {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = DeferQueue.<Res>builder(rcu, frees::free).name("mpmc")
                .triggerReclaimLimit(64).maxReclaimSize(8).build();
        int producers = 4;
        int perProducer = 5_000;
        AtomicBoolean producing = new AtomicBoolean(true);
        AtomicInteger producersLeft = new AtomicInteger(producers);
        try (TestThreads threads = new TestThreads()) {
            CountDownLatch go = new CountDownLatch(1);
            threads.platform("churning-reader", () -> {
                try {
                    await(go);
                    while (producing.get()) {
                        flavor.startBlocking(rcu);
                        Thread.onSpinWait();
                        flavor.report(rcu);
                    }
                } finally {
                    leave(rcu);
                }
            });
            for (int r = 0; r < 3; r++) {
                threads.platform("reclaimer", () -> {
                    await(go);
                    while (producing.get()) {
                        ReclaimResult res = q.reclaim(7);
                        assertThat(res.freed()).isBetween(0, 7);
                        assertThat(res.pending()).isNotNegative();
                    }
                });
            }
            for (int p = 0; p < producers; p++) {
                int base = p * perProducer;
                threads.platform("producer", () -> {
                    try {
                        await(go);
                        for (int i = 0; i < perProducer; i++) {
                            assertThat(q.enqueue(frees.res(base + i))).isTrue();
                        }
                    } finally {
                        if (producersLeft.decrementAndGet() == 0) {
                            producing.set(false);
                        }
                    }
                });
            }
            go.countDown();
        }
        q.close();
        assertThat(frees.counts.keySet()).as("freed ids")
                .containsExactlyInAnyOrderElementsOf(ids(0, producers * perProducer));
        assertThat(frees.count()).as("frees (no duplicates)").isEqualTo(producers * perProducer);
        assertThat(frees.early).isEmpty();
    }

    @Test
    void singleProducerWorksFromOneThreadWithAReclaimerOnAnother() {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = DeferQueue.<Res>builder(rcu, frees::free).name("sp").singleProducer()
                .triggerReclaimLimit(NO_TRIGGER).build();
        int n = 2_000;  // several chunks
        AtomicBoolean producing = new AtomicBoolean(true);
        try (TestThreads threads = new TestThreads()) {
            threads.platform("reclaimer", () -> {
                while (producing.get() || q.pending() > 0) {
                    q.reclaim(50);
                }
            });
            try {
                enqueueAll(q, frees, 0, n);
            } finally {
                producing.set(false);
            }
        }
        assertThat(q.pending()).isZero();
        assertThat(frees.order()).as("free order (one reclaimer: strict FIFO)").containsExactlyElementsOf(ids(0, n));
        q.close();
    }

    /** The free function runs outside internal locks: it may call back into its own queue. */
    @Test
    void theFreeFunctionMayCallBackIntoItsQueue() throws Exception {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        AtomicReference<DeferQueue<Res>> self = new AtomicReference<>();
        AtomicInteger pendingSeen = new AtomicInteger(-1);
        DeferQueue<Res> q = DeferQueue.<Res>builder(rcu, (Res r) -> {
            frees.free(r);
            if (r.id() == 0) {
                pendingSeen.set(self.get().pending());
                self.get().enqueue(frees.res(100));
                self.get().reclaim(ALL);
            }
        }).name("reentrant").build();
        self.set(q);
        enqueueAll(q, frees, 0, 3);
        awaitGracePeriod(rcu);
        try (TestThreads threads = new TestThreads(); Agent reclaimer = threads.agent(false, "reclaimer")) {
            reclaimer.call(() -> q.reclaim(ALL));  // fails (with a stack dump) instead of hanging on a deadlock
        }
        assertThat(pendingSeen.get()).isBetween(1, 3);
        drain(q, "everything frees");
        assertThat(frees.order()).containsExactlyInAnyOrder(0, 1, 2, 100);
        q.close();
    }

    // ================================================================== failures

    static final class FreeFailure extends RuntimeException {
        FreeFailure(String message) {
            super(message);
        }
    }

    /** A throwing free function goes to the domain's error handler, and its resource counts as freed. */
    @Test
    void aThrowingFreeFunctionGoesToTheErrorHandlerAndTheResourceCountsAsFreed() {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        List<FreeFailure> thrown = new CopyOnWriteArrayList<>();
        DeferQueue<Res> q = DeferQueue.<Res>builder(rcu, (Res r) -> {
            frees.free(r);
            if (r.id() == 2 || r.id() == 6) {
                FreeFailure f = new FreeFailure("free of #" + r.id() + " failed");
                thrown.add(f);
                throw f;
            }
        }).name("throwing").triggerReclaimLimit(NO_TRIGGER).build();
        enqueueAll(q, frees, 0, 5);
        awaitGracePeriod(rcu);
        assertThat(q.reclaim(ALL)).as("the throwing free counts as freed; reclaim goes on after it")
                .isEqualTo(new ReclaimResult(5, 0));
        assertThat(frees.order()).containsExactly(0, 1, 2, 3, 4);
        awaitCondition("the failure reached the error handler", () -> domainErrors.size() >= 1);
        assertThat(domainErrors).singleElement().satisfies(e ->
                assertThat(e == thrown.get(0) || e.getCause() == thrown.get(0))
                        .as("the handler got the free function's exception: %s", e).isTrue());
        domainErrors.clear();

        enqueueAll(q, frees, 5, 8);
        q.close();  // the throwing free during close: close still returns, everything counted
        assertThat(frees.order()).containsExactlyElementsOf(ids(0, 8));
        awaitCondition("the failure during close() reached the error handler", () -> domainErrors.size() >= 1);
        assertThat(domainErrors).singleElement().satisfies(e ->
                assertThat(e == thrown.get(1) || e.getCause() == thrown.get(1)).isTrue());
        domainErrors.clear();
    }

    // ================================================================== close

    /** close() waits for the outstanding grace periods (it blocks while a reader does), then frees everything. */
    @Test
    void closeWaitsForOutstandingGracePeriodsThenFreesEverything() throws Exception {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = queue(rcu, frees);
        AtomicBoolean closed = new AtomicBoolean();
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            enqueueAll(q, frees, 0, 10);
            Thread closer = threads.platform("closer", () -> {
                q.close();
                closed.set(true);
            });
            awaitCondition("the closer is inside DeferQueue.close()", () -> {
                if (closed.get()) {
                    throw new AssertionError("close() returned while a reader blocks every grace period");
                }
                return insideQueueClose(closer);
            });
            assertThat(frees.order()).as("freed while the reader blocks").isEmpty();
            assertThat(closed).as("close() returned while the reader blocks").isFalse();
            assertThatThrownBy(() -> q.enqueue(frees.res(99))).as("enqueue while close() is in progress")
                    .isInstanceOf(IllegalStateException.class);
            assertThat(closed).isFalse();
            reader.leave();
            awaitCondition("close() returns once the reader left", closed::get);
        }
        assertThat(frees.order()).as("everything freed by close(), in FIFO order")
                .containsExactlyElementsOf(ids(0, 10));
        assertThatThrownBy(() -> q.enqueue(frees.res(10))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closeIsIdempotentAlsoWhenConcurrent() throws Exception {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = queue(rcu, frees);
        List<Integer> freedWhenACloseReturned = new CopyOnWriteArrayList<>();
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            enqueueAll(q, frees, 0, 5);
            Thread first = threads.platform("first-closer", () -> {
                q.close();
                freedWhenACloseReturned.add(frees.count());
            });
            awaitCondition("the first closer is inside close()", () -> insideQueueClose(first));
            Thread second = threads.platform("second-closer", () -> {
                q.close();
                freedWhenACloseReturned.add(frees.count());
            });
            // the second close() either waits like the first or has returned; it must not have returned early
            awaitCondition("the second closer is inside close() or has returned",
                    () -> insideQueueClose(second) || !second.isAlive());
            assertThat(frees.order()).isEmpty();
            reader.leave();
            threads.join();
        }
        assertThat(freedWhenACloseReturned)
                .as("resources freed when each of two concurrent close() calls returned (close() returns only "
                        + "after everything was freed)")
                .containsExactly(5, 5);
        q.close();
        q.close();
        assertThat(frees.order()).as("each freed once").containsExactlyElementsOf(ids(0, 5));

        DeferQueue<Res> empty = queue(rcu, frees);
        assertThat(empty.tryClose()).isTrue();
        empty.close();  // after tryClose() returned true: a no-op
        assertThatThrownBy(() -> empty.enqueue(frees.res(0))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closeOfAnEmptyQueueReturnsAtOnceAndRefusesEnqueues() {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = queue(rcu, frees);
        try (q) {
            assertThat(q.pending()).isZero();
        }
        assertThatThrownBy(() -> q.enqueue(frees.res(0))).isInstanceOf(IllegalStateException.class);
        assertThat(frees.order()).isEmpty();
    }

    /** After the domain is closed every entry is eligible: one reclaim frees all, tryClose() is true at once. */
    @Test
    void afterTheDomainIsClosedEveryEntryIsEligible() throws Exception {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        Frees frees2 = frees(rcu);
        DeferQueue<Res> q = quietQueue(rcu, frees);
        DeferQueue<Res> q2 = quietQueue(rcu, frees2);
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            enqueueAll(q, frees, 0, 300);      // more than one chunk
            enqueueAll(q2, frees2, 0, 10);
            assertThat(q.reclaim(ALL)).isEqualTo(new ReclaimResult(0, 300));
            assertThat(q2.tryClose()).isFalse();
            reader.leave();
        }
        rcu.close();
        assertThat(q.reclaim(ALL)).as("one reclaim after the domain closed").isEqualTo(new ReclaimResult(300, 0));
        assertThat(frees.order()).containsExactlyElementsOf(ids(0, 300));
        assertThat(q2.tryClose()).as("tryClose() after the domain closed").isTrue();
        assertThat(frees2.order()).containsExactlyElementsOf(ids(0, 10));
        q.close();
        assertThatThrownBy(() -> q.enqueue(new Res(300, Rcu.COMPLETED))).isInstanceOf(IllegalStateException.class);
    }

    // ================================================================== builder

    @Test
    void builderRejectsNullArgumentsAndNonPositiveLimits() {
        Rcu rcu = domain();
        Consumer<Res> free = r -> {
        };
        assertThatThrownBy(() -> DeferQueue.<Res>builder(null, free)).isInstanceOf(NullPointerException.class)
                .hasMessage("rcu");
        assertThatThrownBy(() -> DeferQueue.<Res>builder(rcu, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("free");
        assertThatThrownBy(() -> DeferQueue.<Res>builder(rcu, free).name(null))
                .isInstanceOf(NullPointerException.class).hasMessage("name");
        for (int bad : new int[] {0, -1, Integer.MIN_VALUE}) {
            assertThatThrownBy(() -> DeferQueue.<Res>builder(rcu, free).maxReclaimSize(bad))
                    .as("maxReclaimSize(%d)", bad).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> DeferQueue.<Res>builder(rcu, free).maxPending(bad))
                    .as("maxPending(%d)", bad).isInstanceOf(IllegalArgumentException.class);
        }
        for (int bad : new int[] {-1, Integer.MIN_VALUE}) {
            assertThatThrownBy(() -> DeferQueue.<Res>builder(rcu, free).triggerReclaimLimit(bad))
                    .as("triggerReclaimLimit(%d)", bad).isInstanceOf(IllegalArgumentException.class);
        }
        DeferQueue.<Res>builder(rcu, free).triggerReclaimLimit(0);  // allowed, as in DPDK: reclaim on every enqueue
        try (DeferQueue<Res> ok = DeferQueue.<Res>builder(rcu, free).name("ok").triggerReclaimLimit(1)
                .maxReclaimSize(1).maxPending(1).singleProducer().build()) {
            assertThat(ok.pending()).isZero();
        }
    }

    @Test
    void enqueueRejectsNull() {
        Rcu rcu = domain();
        Frees frees = frees(rcu);
        try (DeferQueue<Res> q = queue(rcu, frees)) {
            assertThatThrownBy(() -> q.enqueue(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("resource");
            assertThat(q.pending()).isZero();
        }
    }

    /**
     * bulletProof: close() waits for grace periods, which wait for every open token section: a caller holding a
     * token it opened is refused as inside a read section, and a later close() frees everything. The holder is an
     * agent whose calls have a deadline, so a close() that waits for itself fails the test instead of hanging it.
     */
    @Test
    void closeByACallerHoldingATokenItOpenedThrowsInsteadOfWaitingForItself() throws Exception {
        assumeTrue(flavor == TestFlavor.BULLET_PROOF, "token sections are bulletProof's");
        BulletProofRcu rcu = (BulletProofRcu) domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = quietQueue(rcu, frees);
        try (TestThreads threads = new TestThreads(); Agent holder = threads.agent(false, "token-holder")) {
            long token = holder.call(rcu::readLockToken);
            try {
                enqueueAll(q, frees, 0, 3);
                assertThat(holder.thrown(q::close)).as("close() while holding a token it opened")
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("token");
                assertThat(frees.count()).as("freed while the token section is open").isZero();
            } finally {
                rcu.readUnlock(token);
            }
        }
        q.close();
        assertThat(frees.order()).containsExactly(0, 1, 2);
    }
}
