package io.jrcu;

import io.jrcu.TestThreads.Body;
import io.jrcu.TestThreads.Held;
import io.jrcu.internal.NativeCpu;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static io.jrcu.TestThreads.await;
import static io.jrcu.TestThreads.awaitBlockedIn;
import static io.jrcu.TestThreads.awaitCondition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The callback conformance suite (issue 3, call_rcu): written once against the contract of {@link Rcu#call},
 * {@link Rcu#retire}, {@link Rcu#barrier()}, {@link Rcu#defer}, {@link CallbackWorkers}, {@link CallbackWorker},
 * {@link WorkerOptions}, the callback budget with its {@link Backpressure}, stall reports, {@link RcuStats} and the
 * JFR events, and run for every {@link TestFlavor}. It also holds the fault tests of the issue's "Proof" section
 * (a throwing callback, close racing producers, a stalled reader under a flood, a worker closed with work pending,
 * a reader that dies inside its section).
 *
 * <p>Conventions as in {@link RcuConformanceTest}: every thread is joined and its failure rethrown; nothing sleeps
 * to synchronize; a reader holds a section by waiting on a latch inside it. Callbacks never assert themselves (a
 * throwing callback would only reach the error handler): they record what they saw in a {@link Probe} and the test
 * thread asserts. Every probe carries an "age oracle": a cookie taken just before it was queued, which must poll
 * complete when it runs (else it ran before its grace period). A timed call returning {@code false} is used only
 * where the contract requires that nothing can complete.
 *
 * <p>For QSBR, threads that call into the domain are not readers unless a test makes them one (registered, and so
 * online); the callback workers are never readers.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(TestFlavor.class)
class CallbackConformanceTest extends DomainTestSupport {

    static final Duration STALL = Duration.ofMillis(200);
    private static final AtomicInteger UNIQUE = new AtomicInteger();

    /** The flavor under test. */
    @Parameter
    TestFlavor flavor;

    // ------------------------------------------------------------------ domains and failures of callbacks

    /** Failures that reached the error handler of the domains built by {@link #domain}. */
    final ConcurrentLinkedQueue<Throwable> callbackErrors = new ConcurrentLinkedQueue<>();

    /** A tracked domain whose error handler collects into {@link #callbackErrors} ({@code config} may override). */
    final Rcu domain(Consumer<RcuBuilder<?>> config) {
        return track(flavor.build(b -> {
            b.errorHandler(callbackErrors::add);
            config.accept(b);
        }));
    }

    final Rcu domain() {
        return domain(b -> {
        });
    }

    /** A tracked domain with the builder's defaults only (default error handler: logging). */
    final Rcu rawDomain(Consumer<RcuBuilder<?>> config) {
        return track(flavor.build(config));
    }

    @AfterEach
    final void noUnexpectedCallbackFailures() {
        assertThat(callbackErrors).as("failures handed to the error handler").isEmpty();
    }

    static String unique(String prefix) {
        return prefix + "-" + UNIQUE.incrementAndGet();
    }

    // ------------------------------------------------------------------ probes

    /**
     * A callback in every form the API takes (Runnable, RcuCallback, reclaimer, AutoCloseable) that records how
     * often it ran, on which thread, and whether its grace period had completed when it ran.
     */
    static final class Probe extends RcuCallback implements Runnable, AutoCloseable, Consumer<Object> {
        final Rcu rcu;
        final long cookie;
        final Runnable also;
        final AtomicInteger runs = new AtomicInteger();
        volatile Thread ranOn;
        volatile boolean early;
        volatile Object received;
        volatile String label = "";

        Probe(Rcu rcu) {
            this(rcu, () -> {
            });
        }

        /** {@code also} runs after the probe recorded its run. */
        Probe(Rcu rcu, Runnable also) {
            this.rcu = rcu;
            this.cookie = rcu.snapshot();  // the age oracle: taken before the probe is queued
            this.also = also;
        }

        void hit() {
            if (!rcu.poll(cookie)) {
                early = true;
            }
            ranOn = Thread.currentThread();
            runs.incrementAndGet();
            also.run();
        }

        int runs() {
            return runs.get();
        }

        /** Names the probe in failure messages. */
        Probe named(String label) {
            this.label = label + " ";
            return this;
        }

        @Override
        protected void invoke() {
            hit();
        }

        @Override
        public void run() {
            hit();
        }

        @Override
        public void close() {
            hit();
        }

        @Override
        public void accept(Object o) {
            received = o;
            hit();
        }

        @Override
        public String toString() {
            return "Probe[" + label + "runs " + runs + ", early " + early + ", ran on " + ranOn + "]";
        }
    }

    /** The ways of handing a callback to the domain. */
    enum Form { CALL_RUNNABLE, CALL_CALLBACK, RETIRE, RETIRE_CLOSEABLE, DEFER }

    static final Object RETIRED = new Object() {
        @Override
        public String toString() {
            return "the retired object";
        }
    };

    static void submit(Rcu rcu, Form form, Probe p) {
        switch (form) {
            case CALL_RUNNABLE -> rcu.call((Runnable) p);
            case CALL_CALLBACK -> rcu.call((RcuCallback) p);
            case RETIRE -> rcu.retire(RETIRED, p);
            case RETIRE_CLOSEABLE -> rcu.retire((AutoCloseable) p);
            case DEFER -> rcu.defer(p);
        }
    }

    static void assertRanOnceInTime(List<Probe> probes) {
        for (Probe p : probes) {
            assertThat(p.runs()).as("runs of %s", p).isEqualTo(1);
            assertThat(p.early).as("%s ran before its grace period", p).isFalse();
        }
    }

    static void assertRanOnceInTime(Probe... probes) {
        assertRanOnceInTime(List.of(probes));
    }

    /** A thread (virtual or platform) that enters a section and holds it until released, then leaves. */
    final Held holdSection(TestThreads threads, Rcu rcu, boolean virtual) {
        return holdSection(threads, rcu, virtual, "reader");
    }

    final Held holdSection(TestThreads threads, Rcu rcu, boolean virtual, String name) {
        return threads.hold(virtual, name, () -> {
            flavor.becomeReader(rcu);
            rcu.readLock();
        }, () -> {
            rcu.readUnlock();
            flavor.leaveReader(rcu);
        });
    }

    static Throwable thrownBy(Body body) {
        try {
            body.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    static Thread defaultWorkerThread(Rcu rcu) {
        return rcu.workers().defaultWorker().thread();
    }

    // ================================================================== call, retire: once, on a worker, after a GP

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Form.class, names = {"CALL_RUNNABLE", "CALL_CALLBACK", "RETIRE", "RETIRE_CLOSEABLE"})
    void aCallbackRunsOnceOnAWorkerAfterTheGracePeriodNeverWhileAPreExistingSectionIsOpen(Form form) {
        Rcu rcu = domain();
        Probe p;
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, false);
            try {
                p = new Probe(rcu);
                submit(rcu, form, p);
                assertThat(rcu.barrier(SHORT)).as("barrier(timeout) while a pre-existing section is open")
                        .isFalse();
                assertThat(p.runs()).as("ran while a section that began before the call is open").isZero();
            } finally {
                reader.release();
            }
        }
        rcu.barrier();
        assertRanOnceInTime(p);
        assertThat(p.ranOn).as("the callback runs on a worker thread, not the caller")
                .isNotSameAs(Thread.currentThread()).isSameAs(defaultWorkerThread(rcu));
        assertThat(p.received).as("what the callback received: a reclaimer gets the retired object")
                .isSameAs(form == Form.RETIRE ? RETIRED : null);
        rcu.barrier();
        assertThat(p.runs()).as("a second barrier does not run it again").isEqualTo(1);
    }

    @Test
    void aFailingCloseOfARetiredResourceGoesToTheErrorHandler() {
        Rcu rcu = domain();
        Exception checked = new Exception("close failed " + unique("x"));
        RuntimeException unchecked = new IllegalStateException("close failed " + unique("y"));
        rcu.retire(() -> {
            throw checked;
        });
        rcu.retire(() -> {
            throw unchecked;
        });
        rcu.barrier();
        List<Throwable> errors = List.copyOf(callbackErrors);
        callbackErrors.clear();
        assertThat(errors).hasSize(2);
        assertThat(errors).anySatisfy(t -> assertThat(causes(t)).contains(checked));
        assertThat(errors).anySatisfy(t -> assertThat(causes(t)).contains(unchecked));
        assertThat(rcu.stats().callbacksFailed()).isEqualTo(2);
    }

    static List<Throwable> causes(Throwable t) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable c = t; c != null && !chain.contains(c); c = c.getCause()) {
            chain.add(c);
        }
        return chain;
    }

    @Test
    void nullCallbacksAreRejectedAndNothingIsCounted() {
        Rcu rcu = domain();
        CallbackWorker w = rcu.workers().newWorker(WorkerOptions.defaults());
        assertThatThrownBy(() -> rcu.call((Runnable) null)).isInstanceOf(NullPointerException.class)
                .hasMessage("callback");
        assertThatThrownBy(() -> rcu.call((RcuCallback) null)).isInstanceOf(NullPointerException.class)
                .hasMessage("callback");
        assertThatThrownBy(() -> rcu.retire(RETIRED, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("reclaimer");
        assertThatThrownBy(() -> rcu.retire((AutoCloseable) null)).isInstanceOf(NullPointerException.class)
                .hasMessage("resource");
        assertThatThrownBy(() -> rcu.defer(null)).isInstanceOf(NullPointerException.class).hasMessage("callback");
        assertThatThrownBy(() -> w.call((Runnable) null)).isInstanceOf(NullPointerException.class)
                .hasMessage("callback");
        assertThatThrownBy(() -> w.call((RcuCallback) null)).isInstanceOf(NullPointerException.class)
                .hasMessage("callback");
        assertThatThrownBy(() -> rcu.workers().newWorker(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("options");
        assertThatThrownBy(() -> rcu.workers().createAllCpuWorkers(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("options");
        assertThatThrownBy(() -> rcu.barrier(null)).isInstanceOf(NullPointerException.class).hasMessage("timeout");
        rcu.barrier();
        RcuStats s = rcu.stats();
        assertThat(s.callbacksQueued()).isZero();
        assertThat(s.pendingCallbacks()).isZero();
    }

    // ================================================================== FIFO and exactly once

    @Test
    void callbacksFromOneProducerRunInFifoOrder() {
        Rcu rcu = domain();
        int n = 20_000;
        ConcurrentLinkedQueue<Integer> order = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < n; i++) {
            int id = i;
            if (i % 2 == 0) {
                rcu.call(() -> order.add(id));
            } else {
                rcu.call(new RcuCallback() {
                    @Override
                    protected void invoke() {
                        order.add(id);
                    }
                });
            }
        }
        rcu.barrier();
        assertThat(order).hasSize(n);
        int expected = 0;
        for (int id : order) {
            assertThat(id).as("callback run in position %d", expected).isEqualTo(expected);
            expected++;
        }
    }

    @Test
    void callbacksQueuedOnANewWorkerRunInFifoOrderOnItsThread() {
        Rcu rcu = domain();
        CallbackWorker w = rcu.workers().newWorker(WorkerOptions.defaults());
        int n = 5_000;
        ConcurrentLinkedQueue<Integer> order = new ConcurrentLinkedQueue<>();
        Set<Thread> ranOn = java.util.concurrent.ConcurrentHashMap.newKeySet();
        for (int i = 0; i < n; i++) {
            int id = i;
            Runnable r = () -> {
                order.add(id);
                ranOn.add(Thread.currentThread());
            };
            if (i % 2 == 0) {
                w.call(r);
            } else {
                w.call(new RcuCallback() {
                    @Override
                    protected void invoke() {
                        r.run();
                    }
                });
            }
        }
        rcu.barrier();
        assertThat(ranOn).containsExactly(w.thread());
        assertThat(List.copyOf(order)).isEqualTo(java.util.stream.IntStream.range(0, n).boxed().toList());
    }

    @Test
    void severalProducersEveryCallbackRunsExactlyOnceAndEachProducersOrderIsKept() {
        Rcu rcu = domain();
        int producers = 4;
        int perProducer = 10_000;
        AtomicIntegerArray runs = new AtomicIntegerArray(producers * perProducer);
        ConcurrentLinkedQueue<Integer> order = new ConcurrentLinkedQueue<>();
        AtomicInteger early = new AtomicInteger();
        try (TestThreads threads = new TestThreads()) {
            for (int p = 0; p < producers; p++) {
                int producer = p;
                threads.start(p % 2 == 1, "producer", () -> {
                    for (int i = 0; i < perProducer; i++) {
                        int id = producer * perProducer + i;
                        long cookie = rcu.snapshot();
                        Runnable body = () -> {
                            if (!rcu.poll(cookie)) {
                                early.incrementAndGet();
                            }
                            runs.incrementAndGet(id);
                            order.add(id);
                        };
                        switch (i % 3) {
                            case 0 -> rcu.call(body);
                            case 1 -> rcu.call(new RcuCallback() {
                                @Override
                                protected void invoke() {
                                    body.run();
                                }
                            });
                            default -> rcu.retire(id, x -> body.run());
                        }
                    }
                });
            }
        }
        rcu.barrier();
        assertThat(early).as("callbacks run before their grace period").hasValue(0);
        assertEveryIdRanOnce(runs);
        int[] last = new int[producers];
        java.util.Arrays.fill(last, -1);
        for (int id : order) {
            int producer = id / perProducer;
            assertThat(id).as("producer %d's callbacks run in the order it queued them", producer)
                    .isGreaterThan(last[producer]);
            last[producer] = id;
        }
        RcuStats s = rcu.stats();
        assertThat(s.callbacksQueued()).isEqualTo((long) producers * perProducer);
        assertThat(s.callbacksInvoked()).isEqualTo(s.callbacksQueued());
        assertThat(s.pendingCallbacks()).isZero();
    }

    static void assertEveryIdRanOnce(AtomicIntegerArray runs) {
        List<Integer> lost = new ArrayList<>();
        List<Integer> twice = new ArrayList<>();
        for (int i = 0; i < runs.length(); i++) {
            int r = runs.get(i);
            if (r == 0) {
                lost.add(i);
            } else if (r > 1) {
                twice.add(i);
            }
        }
        assertThat(lost).as("callbacks that never ran (first 20)").isEmpty();
        assertThat(twice).as("callbacks that ran more than once").isEmpty();
    }

    // ================================================================== RcuCallback: queued once at a time

    @Test
    void queueingAnRcuCallbackThatIsAlreadyQueuedThrowsAndAfterItRanItCanBeQueuedAgain() {
        Rcu rcu = domain();
        Rcu other = domain();
        CallbackWorker w = rcu.workers().newWorker(WorkerOptions.defaults());
        Probe p = new Probe(rcu);
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, false);
            try {
                rcu.call((RcuCallback) p);
                assertThatThrownBy(() -> rcu.call((RcuCallback) p)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("already queued");
                assertThatThrownBy(() -> w.call((RcuCallback) p)).isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(() -> other.call((RcuCallback) p))
                        .as("queued in another domain").isInstanceOf(IllegalStateException.class);
                assertThat(rcu.stats().callbacksQueued()).as("refused calls are not counted").isEqualTo(1);
            } finally {
                reader.release();
            }
        }
        rcu.barrier();
        assertThat(p.runs()).isEqualTo(1);
        rcu.call((RcuCallback) p);
        rcu.barrier();
        assertThat(p.runs()).isEqualTo(2);
        w.call((RcuCallback) p);
        rcu.barrier();
        assertThat(p.runs()).isEqualTo(3);
        assertThat(p.ranOn).isSameAs(w.thread());
        assertThat(p.early).isFalse();
    }

    @Test
    void aCallbackCanQueueItselfAgainFromInvoke() {
        Rcu rcu = domain();
        int times = 5;
        AtomicInteger runs = new AtomicInteger();
        AtomicReference<Throwable> requeueFailure = new AtomicReference<>();
        RcuCallback self = new RcuCallback() {
            @Override
            protected void invoke() {
                if (runs.incrementAndGet() < times) {
                    try {
                        rcu.call(this);
                    } catch (Throwable t) {
                        requeueFailure.set(t);
                    }
                }
            }
        };
        rcu.call(self);
        awaitCondition("the self-requeueing callback ran " + times + " times",
                () -> runs.get() >= times || requeueFailure.get() != null);
        assertThat(requeueFailure.get()).isNull();
        rcu.barrier();
        assertThat(runs).hasValue(times);
        rcu.call(self);  // not left queued
        rcu.barrier();
        assertThat(runs).hasValue(times + 1);
    }

    // ================================================================== failing callbacks (fault test)

    @Test
    void aThrowingCallbackGoesToTheErrorHandlerAndTheWorkerKeepsGoing() {
        ConcurrentLinkedQueue<Throwable> handled = new ConcurrentLinkedQueue<>();
        Rcu rcu = domain(b -> b.errorHandler(handled::add));
        RuntimeException boom = new IllegalArgumentException("boom");
        Error error = new AssertionError("an Error from a callback");
        Probe before = new Probe(rcu);
        rcu.call((Runnable) before);
        rcu.call(() -> {
            throw boom;
        });
        rcu.call(new RcuCallback() {
            @Override
            protected void invoke() {
                throw error;
            }
        });
        Probe after = new Probe(rcu);
        rcu.call((Runnable) after);
        rcu.barrier();
        assertThat(handled).containsExactly(boom, error);
        assertRanOnceInTime(before, after);
        assertThat(defaultWorkerThread(rcu).isAlive()).isTrue();
        RcuStats s = rcu.stats();
        assertThat(s.callbacksFailed()).isEqualTo(2);
        assertThat(s.callbacksInvoked()).as("invoked counts the ones that threw").isEqualTo(4);
        Probe later = new Probe(rcu);
        rcu.call((Runnable) later);
        rcu.barrier();
        assertRanOnceInTime(later);
        assertThat(later.ranOn).isSameAs(defaultWorkerThread(rcu));
    }

    @Test
    void aThrowingErrorHandlerDoesNotStopTheWorker() {
        Rcu rcu = domain(b -> b.errorHandler(t -> {
            throw new IllegalStateException("the error handler fails too");
        }));
        rcu.call(() -> {
            throw new IllegalArgumentException("boom");
        });
        Probe after = new Probe(rcu);
        rcu.call((Runnable) after);
        assertThat(rcu.barrier(LONG)).isTrue();
        assertRanOnceInTime(after);
        assertThat(rcu.stats().callbacksFailed()).isEqualTo(1);
    }

    @Test
    void byDefaultAThrowingCallbackIsLoggedAtErrorWithItsStackTrace() {
        String marker = unique("boom-marker");
        try (LogCapture log = LogCapture.start()) {
            Rcu rcu = rawDomain(b -> {
            });
            rcu.call(() -> {
                throw new IllegalArgumentException(marker);
            });
            Probe after = new Probe(rcu);
            rcu.call((Runnable) after);
            rcu.barrier();
            assertRanOnceInTime(after);
            assertThat(rcu.stats().callbacksFailed()).isEqualTo(1);
            awaitCondition("the failure is logged", () -> log.text().contains(marker));
            String text = log.text();
            assertThat(text).contains(LogCapture.levelName("SEVERE"))
                    .contains("IllegalArgumentException: " + marker)
                    .contains("\tat ");
        }
    }

    // ================================================================== barrier

    @Test
    void barrierCoversCallbacksQueuedByEveryThreadOnEveryWorker() throws Exception {
        Rcu rcu = domain();
        CallbackWorker extra = rcu.workers().newWorker(WorkerOptions.defaults());
        List<Probe> probes = new CopyOnWriteArrayList<>();
        int producers = 4;
        CountDownLatch queued = new CountDownLatch(producers);
        CountDownLatch done = new CountDownLatch(1);
        try (TestThreads threads = new TestThreads()) {
            for (int i = 0; i < producers; i++) {
                int producer = i;
                threads.start(i % 2 == 1, "producer", () -> {
                    if (producer == 0) {
                        rcu.workers().setThreadWorker(extra);
                    }
                    for (int k = 0; k < 200; k++) {
                        Probe p = new Probe(rcu);
                        probes.add(p);
                        if (producer == 3 && k % 2 == 0) {
                            extra.call((Runnable) p);
                        } else {
                            submit(rcu, Form.values()[k % Form.values().length], p);
                        }
                    }
                    queued.countDown();
                    await(done);  // still alive when the barrier runs
                });
            }
            try {
                await(queued);
                rcu.barrier();
                assertRanOnceInTime(probes);
            } finally {
                done.countDown();
            }
        }
        assertThat(probes).hasSize(producers * 200);
        assertThat(probes).anySatisfy(p -> assertThat(p.ranOn).isSameAs(extra.thread()));
        assertThat(probes).anySatisfy(p -> assertThat(p.ranOn).isSameAs(defaultWorkerThread(rcu)));
    }

    @Test
    void barrierWithNothingQueuedReturnsAndTimedBarrierSucceedsWhenNothingBlocks() {
        Rcu rcu = domain();
        rcu.barrier();
        assertThat(rcu.barrier(LONG)).isTrue();
        Probe p = new Probe(rcu);
        rcu.call((Runnable) p);
        assertThat(rcu.barrier(LONG)).isTrue();
        assertRanOnceInTime(p);
    }

    @Test
    void barrierInsideAReadSectionThrows() {
        Rcu rcu = domain();
        Probe p = new Probe(rcu);
        flavor.becomeReader(rcu);
        rcu.readLock();
        try {
            rcu.call((Runnable) p);
            assertThatThrownBy(rcu::barrier).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a read section");
            assertThatThrownBy(() -> rcu.barrier(SHORT)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a read section");
            assertThat(rcu.inReadSection()).isTrue();
        } finally {
            rcu.readUnlock();
            flavor.leaveReader(rcu);
        }
        rcu.barrier();
        assertRanOnceInTime(p);
    }

    @Test
    void barrierAndCloseFromInsideACallbackThrowInsteadOfDeadlocking() {
        Rcu rcu = domain();
        CallbackWorker extra = rcu.workers().newWorker(WorkerOptions.defaults());
        AtomicReference<Throwable> barrier = new AtomicReference<>();
        AtomicReference<Throwable> timedBarrier = new AtomicReference<>();
        AtomicReference<Throwable> close = new AtomicReference<>();
        AtomicReference<Throwable> workerClose = new AtomicReference<>();
        AtomicReference<Throwable> ownWorkerClose = new AtomicReference<>();
        AtomicReference<Throwable> freeCpuWorkers = new AtomicReference<>();
        CountDownLatch ran = new CountDownLatch(2);
        rcu.call(() -> {
            barrier.set(thrownBy(rcu::barrier));
            timedBarrier.set(thrownBy(() -> rcu.barrier(LONG)));
            close.set(thrownBy(rcu::close));
            workerClose.set(thrownBy(extra::close));
            freeCpuWorkers.set(thrownBy(() -> rcu.workers().freeAllCpuWorkers()));
            ran.countDown();
        });
        extra.call(() -> {
            ownWorkerClose.set(thrownBy(extra::close));
            ran.countDown();
        });
        try {
            await(ran);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        for (AtomicReference<Throwable> t : List.of(barrier, timedBarrier, close, workerClose, ownWorkerClose,
                freeCpuWorkers)) {
            assertThat(t.get()).isInstanceOf(IllegalStateException.class);
        }
        assertThat(barrier.get().getMessage()).contains("barrier");
        assertThat(close.get().getMessage()).contains("close");
        // nothing was closed by the refused calls
        assertThat(rcu.synchronize(LONG)).isTrue();
        Probe p = new Probe(rcu);
        extra.call((Runnable) p);
        rcu.barrier();
        assertRanOnceInTime(p);
        assertThat(p.ranOn).isSameAs(extra.thread());
    }

    @Test
    void aRegisteredReaderOutsideASectionCanCallBarrierWhichIsAQuiescentStateForQsbr() {
        Rcu rcu = domain();
        try (TestThreads threads = new TestThreads()) {
            threads.platform("reader-calls-barrier", () -> {
                flavor.becomeReader(rcu);
                try {
                    Probe p = new Probe(rcu);
                    rcu.call((Runnable) p);
                    rcu.barrier();  // QSBR: would wait for itself if it were not a quiescent state
                    assertRanOnceInTime(p);
                    Probe q = new Probe(rcu);
                    rcu.call((Runnable) q);
                    assertThat(rcu.barrier(LONG)).isTrue();
                    assertRanOnceInTime(q);
                } finally {
                    flavor.leaveReader(rcu);
                }
            });
        }
    }

    // ================================================================== callbacks that call the domain

    @Test
    void callbacksMayCallCallRetireDeferAndSynchronize() {
        Rcu rcu = domain();
        Probe viaCall = new Probe(rcu);
        Probe viaIntrusiveCall = new Probe(rcu);
        Probe viaRetire = new Probe(rcu);
        Probe viaRetireCloseable = new Probe(rcu);
        Probe viaDefer = new Probe(rcu);
        AtomicBoolean synchronizedInCallback = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        rcu.call(() -> {
            try {
                long cookie = rcu.snapshot();
                rcu.synchronize();
                synchronizedInCallback.set(rcu.poll(cookie));
                rcu.call((Runnable) viaCall);
                rcu.call((RcuCallback) viaIntrusiveCall);
                rcu.retire(RETIRED, viaRetire);
                rcu.retire((AutoCloseable) viaRetireCloseable);
                rcu.defer(viaDefer);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        awaitCondition("callbacks queued by a callback run without a barrier", () -> failure.get() != null
                || (viaCall.runs() > 0 && viaIntrusiveCall.runs() > 0 && viaRetire.runs() > 0
                && viaRetireCloseable.runs() > 0 && viaDefer.runs() > 0));
        assertThat(failure.get()).isNull();
        assertThat(synchronizedInCallback).isTrue();
        rcu.barrier();
        assertRanOnceInTime(viaCall, viaIntrusiveCall, viaRetire, viaRetireCloseable, viaDefer);
    }

    /**
     * barrier() promises the callbacks queued before it; one that such a callback queues while running may be queued
     * after the barrier's marker. Since every callback queued before a barrier has run (completely) when it returns,
     * whatever it queued was queued before the next barrier: a chain of depth k is covered by k barriers.
     */
    @Test
    void eachBarrierCoversOneMoreLinkOfAChainOfCallbacks() {
        Rcu rcu = domain();
        int depth = 4;
        List<Probe> links = new ArrayList<>();
        for (int i = 0; i < depth; i++) {
            links.add(null);
        }
        for (int i = depth - 1; i >= 0; i--) {
            Probe next = i + 1 < depth ? links.get(i + 1) : null;
            links.set(i, new Probe(rcu, () -> {
                if (next != null) {
                    rcu.call((Runnable) next);
                }
            }));
        }
        rcu.call((Runnable) links.getFirst());
        for (int i = 0; i < depth; i++) {
            rcu.barrier();
            assertRanOnceInTime(links.subList(0, i + 1));
        }
        rcu.barrier();
        assertRanOnceInTime(links);
    }

    // ================================================================== defer

    @Test
    void aDeferredCallbackRunsAfterTheGracePeriodOnALibraryThreadAndBarrierCoversIt() {
        Rcu rcu = domain();
        List<Probe> probes = new ArrayList<>();
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, false);
            try {
                for (int i = 0; i < 10; i++) {
                    Probe p = new Probe(rcu);
                    probes.add(p);
                    rcu.defer(p);
                }
                assertThat(rcu.barrier(SHORT)).as("barrier(timeout) while a pre-existing section is open")
                        .isFalse();
                assertThat(probes).allSatisfy(p -> assertThat(p.runs()).isZero());
            } finally {
                reader.release();
            }
        }
        rcu.barrier();
        assertRanOnceInTime(probes);
        assertThat(probes).allSatisfy(p -> assertThat(p.ranOn).isNotSameAs(Thread.currentThread()));
    }

    @Test
    void deferredCallbacksLeftIdleAreRunByTheLibraryWithoutABarrier() {
        Rcu rcu = domain();
        List<Probe> probes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Probe p = new Probe(rcu);
            probes.add(p);
            rcu.defer(p);
        }
        // liveness bound, not a timing assertion: the idle drain runs about every 100 ms
        awaitCondition("idle deferred callbacks run", Duration.ofSeconds(3),
                () -> probes.stream().allMatch(p -> p.runs() > 0));
        assertRanOnceInTime(probes);
        assertThat(probes).allSatisfy(p -> assertThat(p.ranOn).isNotSameAs(Thread.currentThread()));
        // the worker counts a callback as done just after it returns: wait for the count, do not race it
        awaitCondition("nothing pending once they ran", () -> rcu.stats().pendingCallbacks() == 0);
    }

    /**
     * The idle drain must also happen when the domain's grace-period thread already exists and sleeps: here it was
     * started by startPoll() and has gone idle (parked without a timeout) before the first defer().
     */
    @Test
    void deferredCallbacksLeftIdleAreRunAlsoWhenTheDomainThreadWasAlreadyIdle() {
        String name = unique("idle-gp-thread");
        Rcu rcu = domain(b -> b.name(name));
        long cookie = rcu.startPoll();  // starts the domain's grace-period thread
        awaitCondition("the polled grace period completes by itself", () -> rcu.poll(cookie));
        awaitCondition("the grace-period thread of " + name + " goes idle", () ->
                threadsNamedWithPrefix("jrcu-gp-" + name).stream()
                        .anyMatch(t -> t.getState() == Thread.State.WAITING));
        Probe p = new Probe(rcu);
        rcu.defer(p);
        // liveness bound, not a timing assertion: the idle drain runs about every 100 ms
        awaitCondition("an idle deferred callback runs without a barrier", Duration.ofSeconds(3),
                () -> p.runs() > 0);
        assertRanOnceInTime(p);
    }

    /**
     * The idle drain routes a batch it detached before it releases the batch's slot, so that a barrier whose flush
     * claims the slot next finds the batch queued ahead of its marker. The routing is held up where it makes the
     * default worker (the worker's thread factory waits), as preemption of the domain thread there would: a barrier
     * that starts meanwhile must wait, and return only once the callback deferred before it has run.
     */
    @Test
    void barrierWaitsForADeferBatchThatTheIdleDrainDetachedButHasNotQueuedYet() throws Exception {
        AtomicReference<Thread> router = new AtomicReference<>();
        CountDownLatch routing = new CountDownLatch(1);
        CountDownLatch resumeRouting = new CountDownLatch(1);
        ThreadFactory holdFirstRouting = task -> {
            if (router.compareAndSet(null, Thread.currentThread())) {
                routing.countDown();
                try {
                    await(resumeRouting);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return Thread.ofPlatform().daemon().unstarted(task);
        };
        Rcu rcu = domain(b -> b.defaultWorkerOptions(WorkerOptions.builder().threadFactory(holdFirstRouting).build()));
        Probe p = new Probe(rcu);
        AtomicBoolean barrierResult = new AtomicBoolean();
        AtomicInteger runsWhenBarrierReturned = new AtomicInteger(-1);
        try (TestThreads threads = new TestThreads()) {
            boolean returnedWhileHeld;
            try {
                rcu.defer(p);   // the idle drain detaches the batch and, routing it, makes the default worker
                await(routing);
                awaitBlockedIn(router.get(), "drainIdle");
                Thread barrier = threads.platform("barrier", () -> {
                    barrierResult.set(rcu.barrier(LONG));
                    runsWhenBarrierReturned.set(p.runs());
                });
                returnedWhileHeld = barrier.join(Duration.ofSeconds(1));
            } finally {
                resumeRouting.countDown();
            }
            assertThat(returnedWhileHeld).as("barrier() returned while a batch deferred before it was detached and"
                    + " not queued").isFalse();
        }
        assertThat(barrierResult).as("barrier(timeout)").isTrue();
        assertThat(runsWhenBarrierReturned).as("runs of the deferred callback when barrier() returned").hasValue(1);
        assertRanOnceInTime(p);
    }

    @Test
    void aFullDeferBatchMakesTheCallerWaitForAGracePeriodAndRunTheBatchItself() {
        Rcu rcu = domain();
        int capacity = DeferBatches.CAPACITY;
        List<Probe> probes = new ArrayList<>();
        AtomicReference<Thread> caller = new AtomicReference<>();
        AtomicInteger ranOnCaller = new AtomicInteger();
        try (TestThreads threads = new TestThreads()) {
            threads.platform("deferring-reader", () -> {
                caller.set(Thread.currentThread());
                flavor.becomeReader(rcu);  // outside any section; for QSBR the wait is a quiescent state
                try {
                    // The batch fills at `capacity` (unless the idle drain took part of it away meanwhile: then
                    // a later one fills): defer until the caller has run a batch, with a bound.
                    for (int i = 0; i < 4 * capacity && ranOnCaller.get() == 0; i++) {
                        Probe p = new Probe(rcu, () -> {
                            if (Thread.currentThread() == caller.get()) {
                                ranOnCaller.incrementAndGet();
                            }
                        });
                        probes.add(p);
                        rcu.defer(p);
                    }
                } finally {
                    flavor.leaveReader(rcu);
                }
            });
        }
        assertThat(ranOnCaller).as("callbacks of the full batch run by the caller itself").hasValue(capacity);
        List<Probe> onCaller = probes.stream().filter(p -> p.ranOn == caller.get()).toList();
        assertThat(onCaller).hasSize(capacity);
        assertRanOnceInTime(onCaller);
        rcu.barrier();
        assertRanOnceInTime(probes);
    }

    /**
     * Defers probes on the calling thread until a full batch is handed on (the stats count an overshoot; at most four
     * batches), and checks that none has run: the caller's own {@code protection} blocks their grace period.
     */
    static void deferUntilAnOvershoot(Rcu rcu, List<Probe> probes, String where, String protection) {
        long before = rcu.stats().overshoots();
        for (int i = 0; i < 4 * DeferBatches.CAPACITY && rcu.stats().overshoots() == before; i++) {
            Probe p = new Probe(rcu);
            probes.add(p);
            rcu.defer(p);
        }
        assertThat(rcu.stats().overshoots()).as("a full batch handed on " + where).isGreaterThan(before);
        assertThat(probes).as("nothing can have run: the caller's own " + protection + " blocks the grace period")
                .allSatisfy(p -> assertThat(p.runs()).isZero());
    }

    @Test
    void aFullDeferBatchInsideAReadSectionDoesNotBlockAndCountsAnOvershoot() {
        Rcu rcu = domain();
        int capacity = DeferBatches.CAPACITY;
        List<Probe> probes = new ArrayList<>();
        AtomicReference<Thread> caller = new AtomicReference<>();
        try (TestThreads threads = new TestThreads()) {
            threads.platform("deferring-inside-a-section", () -> {
                caller.set(Thread.currentThread());
                flavor.becomeReader(rcu);
                rcu.readLock();
                try {
                    deferUntilAnOvershoot(rcu, probes, "from inside a section", "section");
                } finally {
                    rcu.readUnlock();
                    flavor.leaveReader(rcu);
                }
            });
        }
        assertThat(probes).hasSizeGreaterThanOrEqualTo(capacity);
        rcu.barrier();
        assertRanOnceInTime(probes);
        assertThat(probes).allSatisfy(p -> assertThat(p.ranOn).isNotSameAs(caller.get()));
    }

    /**
     * A full batch filled inside a section goes to a worker; a barrier that began after the batch's first callbacks
     * were deferred waits for them, also when it flushes the filler's slot between the filler's release of the slot
     * and the filler's return. The worker's grace periods are held up in turn: the one the barrier's marker needs
     * by the filler's section, a later one by a reader that enters afterwards, so a batch queued behind the marker
     * would still be waiting when the barrier returned. bulletProof is left out: its grace period may wait for a
     * section opened after it started (a phase flip), so the later reader would hold up the first one too.
     */
    @Test
    void aBarrierWaitsForAFullBatchHandedOnFromInsideASection() throws Exception {
        assumeTrue(flavor != TestFlavor.BULLET_PROOF,
                "a section opened after a bulletProof grace period started may hold it up");
        Rcu rcu = domain();
        int capacity = DeferBatches.CAPACITY;
        Thread worker = defaultWorkerThread(rcu);
        CountDownLatch firstRunning = new CountDownLatch(1);
        CountDownLatch letFirstFinish = new CountDownLatch(1);
        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        List<Probe> probes = new ArrayList<>();
        probes.add(new Probe(rcu, () -> {
            firstRunning.countDown();
            try {
                await(letFirstFinish);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        for (int i = 1; i < capacity; i++) {
            probes.add(new Probe(rcu));
        }
        AtomicReference<Thread> filler = new AtomicReference<>();
        deferBatches(rcu).afterFullBatchReleasedForTests = () -> {
            if (Thread.currentThread() == filler.get()) {
                paused.countDown();
                try {
                    await(resume);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (TestThreads threads = new TestThreads()) {
            Held later = null;
            boolean returnedEarly;
            try {
                threads.platform("filler", () -> {
                    filler.set(Thread.currentThread());
                    flavor.becomeReader(rcu);
                    rcu.readLock();
                    try {
                        for (Probe p : probes) {
                            rcu.defer(p);   // the last one fills the batch and pauses after releasing the slot
                        }
                    } finally {
                        rcu.readUnlock();
                        flavor.leaveReader(rcu);
                    }
                });
                await(paused);
                Thread barrier = threads.platform("barrier", rcu::barrier);
                awaitCondition("the worker waits for the filler's section",
                        () -> TestThreads.isBlockedIn(worker, "awaitReader"));
                later = holdSection(threads, rcu, false, "later-reader");
                resume.countDown();   // the filler goes on and leaves its section
                awaitCondition("the barrier returns, or the batch's first callback runs",
                        () -> !barrier.isAlive() || firstRunning.getCount() == 0);
                returnedEarly = !barrier.isAlive();
            } finally {
                resume.countDown();
                letFirstFinish.countDown();
                if (later != null) {
                    later.release();
                }
            }
            assertThat(returnedEarly).as("barrier() returned while a callback deferred before it had not run")
                    .isFalse();
        } finally {
            deferBatches(rcu).afterFullBatchReleasedForTests = null;
        }
        assertRanOnceInTime(probes);
    }

    /**
     * A full batch is detached from its slot and run by the thread whose defer() filled it, after a grace period.
     * Callbacks deferred earlier (here by that same thread; with shared slots also by other threads) are in that
     * batch: barrier() and close() must still wait for them. The first callback of the batch blocks on a gate, so
     * that the batch is provably still being run when barrier() and close() are called.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"barrier", "close"})
    void barrierAndCloseWaitForDeferredCallbacksInAFullBatchThatACallerIsRunning(String call) throws Exception {
        Rcu rcu = domain();
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch blockerRunning = new CountDownLatch(1);
        AtomicReference<Thread> blockerThread = new AtomicReference<>();
        Probe x = new Probe(rcu).named("deferred before " + call + "()");
        AtomicBoolean returned = new AtomicBoolean();
        AtomicInteger runsWhenReturned = new AtomicInteger(-1);
        try (TestThreads threads = new TestThreads()) {
            Thread filler = threads.platform("defer-filler", () -> {
                rcu.defer(() -> {
                    blockerThread.set(Thread.currentThread());
                    blockerRunning.countDown();
                    try {
                        await(gate);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                });
                rcu.defer(x);
                for (int i = 0; i < 4 * DeferBatches.CAPACITY && blockerRunning.getCount() > 0; i++) {
                    rcu.defer(() -> {
                    });
                }
            });
            try {
                await(blockerRunning);
                org.junit.jupiter.api.Assumptions.assumeTrue(blockerThread.get() == filler,
                        "the batch was not filled by the deferring thread (the idle drain took it first)");
                // x was deferred (and defer returned) before this call: it must not return before x ran
                Thread caller = threads.platform(call, () -> {
                    if (call.equals("barrier")) {
                        rcu.barrier();
                    } else {
                        rcu.close();
                    }
                    runsWhenReturned.set(x.runs());
                    returned.set(true);
                });
                assertThat(caller.join(Duration.ofMillis(500))).as("%s() returned while %s, in a full batch that"
                        + " the thread that filled it is still running, had not run", call, x).isFalse();
                assertThat(x.runs()).as("%s runs after the gated callback before it", x).isZero();
            } finally {
                gate.countDown();
            }
        }
        assertThat(returned).isTrue();
        assertThat(runsWhenReturned).as("runs of %s when %s() returned", x, call).hasValue(1);
        assertRanOnceInTime(x);
    }

    /** Defers {@code n} new probes on the calling thread and adds them to {@code probes}. */
    static void deferProbes(Rcu rcu, List<Probe> probes, int n) {
        for (int i = 0; i < n; i++) {
            Probe p = new Probe(rcu);
            probes.add(p);
            rcu.defer(p);
        }
    }

    /** The defer batches of {@code rcu}. */
    static DeferBatches deferBatches(Rcu rcu) {
        return ((AbstractRcu<?>) rcu).callbacks.deferBatches();
    }

    /**
     * A platform thread's full batch holds its own callbacks only: the callbacks that 64 other platform threads
     * deferred just before (one each, their batches half full) are not run by the thread that fills its batch.
     */
    @Test
    void aPlatformThreadsFullDeferBatchRunsOnlyItsOwnCallbacks() {
        Rcu rcu = domain();
        int capacity = DeferBatches.CAPACITY;
        List<Probe> others = new CopyOnWriteArrayList<>();
        List<Probe> own = new ArrayList<>();
        AtomicReference<Thread> caller = new AtomicReference<>();
        AtomicInteger ranOnCaller = new AtomicInteger();
        try (TestThreads threads = new TestThreads()) {
            List<Held> holders = new ArrayList<>();
            try {
                for (int i = 0; i < 64; i++) {
                    holders.add(threads.hold(false, "other-deferrer", () -> deferProbes(rcu, others, 1), () -> {
                    }));
                }
                threads.platform("filler", () -> {
                    caller.set(Thread.currentThread());
                    // the batch fills at `capacity` (unless the idle drain took part of it: then a later one fills)
                    for (int i = 0; i < 4 * capacity && ranOnCaller.get() == 0; i++) {
                        Probe p = new Probe(rcu, () -> {
                            if (Thread.currentThread() == caller.get()) {
                                ranOnCaller.incrementAndGet();
                            }
                        });
                        own.add(p);
                        rcu.defer(p);
                    }
                }).join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            } finally {
                holders.forEach(Held::release);
            }
        }
        assertThat(others).as("other threads' callbacks run by the thread whose batch filled")
                .noneMatch(p -> p.ranOn == caller.get());
        assertThat(own.stream().filter(p -> p.ranOn == caller.get()).toList())
                .as("the filler's own callbacks it ran after the grace period").hasSize(capacity)
                .allSatisfy(p -> assertThat(p.early).isFalse());
        rcu.barrier();
        assertRanOnceInTime(own);
        assertRanOnceInTime(others);
    }

    /** barrier() runs what other platform threads deferred, though their batches are half full and they live on. */
    @Test
    void barrierRunsTheHalfFullDeferBatchesOfOtherLiveThreads() {
        Rcu rcu = domain();
        List<Probe> probes = new CopyOnWriteArrayList<>();
        try (TestThreads threads = new TestThreads()) {
            Held deferrer = threads.hold(false, "half-full-deferrer", () -> deferProbes(rcu, probes, 3), () -> {
            });
            try {
                assertThat(deferBatches(rcu).threadSlotCount()).as("the deferring thread's own batch").isEqualTo(1);
                rcu.barrier();
                assertRanOnceInTime(probes);
                assertThat(deferrer.thread().isAlive()).as("the deferring thread is still waiting").isTrue();
                assertThat(probes).noneMatch(p -> p.ranOn == deferrer.thread());
            } finally {
                deferrer.release();
            }
        }
    }

    /**
     * A platform thread that ends with a half-full batch loses nothing: the domain's thread runs the batch without
     * a barrier and drops the thread's batch.
     */
    @Test
    void aDeadThreadsHalfFullDeferBatchStillRunsAndIsDropped() throws InterruptedException {
        Rcu rcu = domain();
        List<Probe> probes = new CopyOnWriteArrayList<>();
        try (TestThreads threads = new TestThreads()) {
            threads.platform("short-lived-deferrer", () -> deferProbes(rcu, probes, 3)).join();
        }
        // liveness bound, not a timing assertion: the domain's thread looks at the batches about every 100 ms
        awaitCondition("a dead thread's half-full batch runs without a barrier", Duration.ofSeconds(3),
                () -> probes.stream().allMatch(p -> p.runs() > 0));
        assertRanOnceInTime(probes);
        awaitCondition("the dead thread's batch is dropped", () -> deferBatches(rcu).threadSlotCount() == 0);
    }

    /** Virtual threads defer into the shared batches: none gets a batch (an array) of its own. */
    @Test
    void threadsThatNeverDeferredGetNoThreadLocalBatchState() {
        Rcu rcu = domain();
        Probe p = new Probe(rcu);
        rcu.defer(p);   // this thread has a batch of its own now
        DeferBatches batches = deferBatches(rcu);
        int entries = batches.ownSlotEntries();
        try (TestThreads threads = new TestThreads()) {
            threads.platform("never-deferred", rcu::barrier);   // asks whether its caller runs callbacks
        }
        assertThat(batches.ownSlotEntries()).as("thread-local entries made for threads that never deferred")
                .isEqualTo(entries);
        assertRanOnceInTime(p);
    }

    @Test
    void virtualThreadsDeferIntoSharedBatchesWithoutABatchOfTheirOwn() {
        Rcu rcu = domain();
        AtomicIntegerArray runs = new AtomicIntegerArray(200 * 5);
        try (TestThreads threads = new TestThreads()) {
            for (int t = 0; t < 200; t++) {
                int base = t * 5;
                threads.virtual("virtual-deferrer", () -> {
                    for (int i = 0; i < 5; i++) {
                        int id = base + i;
                        rcu.defer(() -> runs.incrementAndGet(id));
                    }
                });
            }
        }
        assertThat(deferBatches(rcu).threadSlotCount()).as("batches of their own made for virtual threads").isZero();
        rcu.defer(() -> {
        });
        assertThat(deferBatches(rcu).threadSlotCount()).as("the platform test thread's own batch").isEqualTo(1);
        rcu.barrier();
        assertEveryIdRanOnce(runs);
    }

    @Test
    void manyVirtualThreadsDeferAndEveryCallbackRunsOnce() {
        Rcu rcu = domain();
        int threadsCount = 1_000;
        int each = 100;
        AtomicIntegerArray runs = new AtomicIntegerArray(threadsCount * each);
        AtomicInteger early = new AtomicInteger();
        try (TestThreads threads = new TestThreads(Duration.ofSeconds(30))) {
            for (int t = 0; t < threadsCount; t++) {
                int base = t * each;
                threads.virtual("deferrer", () -> {
                    for (int i = 0; i < each; i++) {
                        int id = base + i;
                        long cookie = rcu.snapshot();
                        rcu.defer(() -> {
                            if (!rcu.poll(cookie)) {
                                early.incrementAndGet();
                            }
                            runs.incrementAndGet(id);
                        });
                    }
                });
            }
        }
        rcu.barrier();
        assertEveryIdRanOnce(runs);
        assertThat(early).hasValue(0);
        RcuStats s = rcu.stats();
        assertThat(s.callbacksQueued()).isEqualTo((long) threadsCount * each);
        assertThat(s.callbacksInvoked()).isEqualTo(s.callbacksQueued());
        assertThat(s.pendingCallbacks()).isZero();
    }

    // ================================================================== workers

    static List<Thread> threadsNamedWithPrefix(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).toList();
    }

    @Test
    void theDefaultWorkerIsCreatedLazilyOnceAndIsADaemonThreadNamedAfterTheDomain() {
        String name = unique("lazy");
        Rcu rcu = domain(b -> b.name(name));
        rcu.synchronize();
        assertThat(threadsNamedWithPrefix("jrcu-callbacks-" + name)).as("worker threads before first use").isEmpty();
        List<CallbackWorker> seen = new CopyOnWriteArrayList<>();
        try (TestThreads threads = new TestThreads()) {
            for (int i = 0; i < 4; i++) {
                threads.platform("default-worker-getter", () -> seen.add(rcu.workers().defaultWorker()));
            }
        }
        CallbackWorker w = rcu.workers().defaultWorker();
        assertThat(seen).allSatisfy(s -> assertThat(s).isSameAs(w));
        assertThat(rcu.workers().currentWorker()).isSameAs(w);
        assertThat(w.thread().isAlive()).isTrue();
        assertThat(w.thread().isDaemon()).isTrue();
        assertThat(w.thread().getName()).contains(name);
        assertThat(threadsNamedWithPrefix("jrcu-callbacks-" + name)).containsExactly(w.thread());
        Probe p = new Probe(rcu);
        rcu.call((Runnable) p);
        rcu.barrier();
        assertThat(p.ranOn).isSameAs(w.thread());
    }

    @Test
    void newWorkerHasItsOwnThreadNamedAsTheOptionsSay() {
        String domainName = unique("named");
        Rcu rcu = domain(b -> b.name(domainName));
        String threadName = unique("my-worker");
        CallbackWorker named = rcu.workers().newWorker(WorkerOptions.builder().threadName(threadName).build());
        CallbackWorker unnamed = rcu.workers().newWorker(WorkerOptions.defaults());
        CallbackWorker dflt = rcu.workers().defaultWorker();
        assertThat(named.thread().getName()).isEqualTo(threadName);
        assertThat(unnamed.thread().getName()).contains(domainName);
        assertThat(Set.of(named.thread(), unnamed.thread(), dflt.thread())).hasSize(3);
        assertThat(named.thread().isDaemon()).isTrue();
        assertThat(named).isNotSameAs(dflt);
        Probe p = new Probe(rcu);
        Probe q = new Probe(rcu);
        named.call((Runnable) p);
        unnamed.call((RcuCallback) q);
        rcu.barrier();
        assertRanOnceInTime(p, q);
        assertThat(p.ranOn).isSameAs(named.thread());
        assertThat(q.ranOn).isSameAs(unnamed.thread());
        assertThat(rcu.workers().currentWorker()).as("a new worker is not routed to by itself").isSameAs(dflt);
    }

    @ParameterizedTest(name = "virtual: {0}")
    @ValueSource(booleans = {false, true})
    void aWorkerThreadComesFromTheOptionsThreadFactory(boolean virtual) {
        Rcu rcu = domain();
        List<Thread> made = new CopyOnWriteArrayList<>();
        WorkerOptions options = WorkerOptions.builder().threadFactory(r -> {
            Thread t = virtual ? Thread.ofVirtual().unstarted(r) : Thread.ofPlatform().daemon().unstarted(r);
            made.add(t);
            return t;
        }).build();
        CallbackWorker w = rcu.workers().newWorker(options);
        assertThat(made).containsExactly(w.thread());
        assertThat(w.thread().isVirtual()).isEqualTo(virtual);
        List<Probe> probes = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Probe p = new Probe(rcu);
            probes.add(p);
            w.call((Runnable) p);
        }
        rcu.barrier();
        assertRanOnceInTime(probes);
        assertThat(probes).allSatisfy(p -> assertThat(p.ranOn).isSameAs(w.thread()));
        w.close();
        assertThat(w.thread().isAlive()).isFalse();
    }

    // ================================================================== workers whose thread cannot start

    /** How a worker's thread fails to start. */
    enum StartFailure {
        /** {@code Thread.start()} throws, as it does with {@code OutOfMemoryError: unable to create native thread}. */
        START_THROWS,
        /** {@code start()} starts the thread, then throws (a thread subclass). */
        START_THROWS_AFTER_STARTING,
        /** {@code start()} returns without starting the thread. */
        START_DOES_NOTHING,
        /** The thread factory throws. */
        FACTORY_THROWS,
        /** The thread factory returns {@code null}. */
        FACTORY_RETURNS_NULL
    }

    /**
     * A thread factory that fails as {@code how} says while {@code fail} holds (it makes daemon threads that start
     * normally otherwise); every thread it returns goes to {@code made}.
     */
    static ThreadFactory failingFactory(StartFailure how, BooleanSupplier fail, List<Thread> made) {
        return task -> {
            boolean failing = fail.getAsBoolean();
            if (failing && how == StartFailure.FACTORY_THROWS) {
                throw new IllegalStateException("test: the thread factory refuses");
            }
            if (failing && how == StartFailure.FACTORY_RETURNS_NULL) {
                return null;
            }
            Thread t = new Thread(task) {
                @Override
                public void start() {
                    if (!failing) {
                        super.start();
                    } else if (how == StartFailure.START_THROWS) {
                        throw new OutOfMemoryError("unable to create native thread (test)");
                    } else if (how == StartFailure.START_THROWS_AFTER_STARTING) {
                        super.start();
                        throw new IllegalStateException("test: start() fails after starting the thread");
                    }
                }
            };
            t.setDaemon(true);
            made.add(t);
            return t;
        };
    }

    /** Runs {@code body} on a thread joined with a timeout: a hang fails the test (with a thread dump). */
    static void withinTimeout(String what, Body body) {
        try (TestThreads threads = new TestThreads()) {
            threads.platform(what, body);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StartFailure.class)
    void aWorkerWhoseThreadCannotStartIsNotCreatedAndBarrierAndCloseStillReturn(StartFailure how) throws Exception {
        Rcu rcu = domain();
        List<Thread> made = new CopyOnWriteArrayList<>();
        String name = unique("unstartable");
        WorkerOptions options = WorkerOptions.builder().threadName(name)
                .threadFactory(failingFactory(how, () -> true, made)).build();
        Probe before = new Probe(rcu);
        rcu.call((Runnable) before);
        Throwable refused = thrownBy(() -> rcu.workers().newWorker(options));
        Probe after = new Probe(rcu);
        rcu.call((Runnable) after);
        withinTimeout("barrier-then-close", () -> {
            assertThat(rcu.barrier(LONG)).as("barrier").isTrue();
            rcu.close();
        });
        assertThat(refused).as("what newWorker threw").isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(name).hasMessageContaining("no worker was created").cause().isNotNull();
        assertRanOnceInTime(before, after);
        List<Thread> started = made.stream().filter(t -> t.getState() != Thread.State.NEW).toList();
        assertThat(started).as("threads of the factory that were started")
                .hasSize(how == StartFailure.START_THROWS_AFTER_STARTING ? 1 : 0);
        for (Thread t : started) {
            assertThat(t.join(LONG)).as("%s ended", t).isTrue();
        }
    }

    @Test
    void aCallThatNeedsTheDefaultWorkerWhoseThreadCannotStartFailsWithTheCauseAndQueuesNothing() {
        AtomicBoolean fail = new AtomicBoolean(true);
        List<Thread> made = new CopyOnWriteArrayList<>();
        Rcu rcu = domain(b -> b.defaultWorkerOptions(WorkerOptions.builder()
                .threadFactory(failingFactory(StartFailure.START_THROWS, fail::get, made)).build()));
        Probe p = new Probe(rcu);
        for (Form form : List.of(Form.CALL_RUNNABLE, Form.CALL_CALLBACK, Form.RETIRE, Form.RETIRE_CLOSEABLE)) {
            assertThatThrownBy(() -> submit(rcu, form, p)).as(form.toString())
                    .isInstanceOf(IllegalStateException.class).hasRootCauseInstanceOf(OutOfMemoryError.class);
        }
        assertThatThrownBy(() -> rcu.workers().defaultWorker()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("could not be made or started").hasRootCauseInstanceOf(OutOfMemoryError.class);
        assertThat(rcu.stats().callbacksQueued()).as("callbacks accepted").isZero();
        fail.set(false);
        rcu.call((RcuCallback) p);  // it was refused, so it may be queued again; the default worker is made now
        assertThat(rcu.barrier(LONG)).isTrue();
        assertRanOnceInTime(p);
        assertThat(p.ranOn).isSameAs(defaultWorkerThread(rcu));
        assertThat(made).as("threads made: 5 that failed to start, then the default worker's").hasSize(6);
    }

    @ParameterizedTest(name = "rescue threads start: {0}")
    @ValueSource(booleans = {true, false})
    void deferredCallbacksAreNotLostWhenTheDefaultWorkersThreadCannotStart(boolean rescueThreadsStart) {
        List<Thread> made = new CopyOnWriteArrayList<>();
        ThreadFactory failing = failingFactory(StartFailure.START_THROWS, () -> true, made);
        Rcu rcu = domain(b -> b.defaultWorkerOptions(WorkerOptions.builder().threadFactory(failing).build()));
        if (!rescueThreadsStart) {
            ((AbstractRcu<?>) rcu).callbacks.rescueThreads = failing;
        }
        List<Probe> beforeBarrier = new ArrayList<>();
        List<Probe> beforeClose = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            beforeBarrier.add(new Probe(rcu));
            rcu.defer(beforeBarrier.get(i));
        }
        withinTimeout("barrier", () -> assertThat(rcu.barrier(LONG)).as("barrier").isTrue());
        assertRanOnceInTime(beforeBarrier);
        for (int i = 0; i < 10; i++) {
            beforeClose.add(new Probe(rcu));
            rcu.defer(beforeClose.get(i));
        }
        withinTimeout("close", rcu::close);
        assertRanOnceInTime(beforeClose);
        assertThat(rcu.stats().callbacksInvoked()).isEqualTo(20);
        assertThat(rcu.stats().pendingCallbacks()).isZero();
    }

    @Test
    void deferredCallbacksThatNoThreadCouldTakeRunOnceAThreadCanStartWithoutABarrier() {
        AtomicBoolean fail = new AtomicBoolean(true);
        List<Thread> made = new CopyOnWriteArrayList<>();
        ThreadFactory failing = failingFactory(StartFailure.START_THROWS, fail::get, made);
        Rcu rcu = domain(b -> b.defaultWorkerOptions(WorkerOptions.builder().threadFactory(failing).build()));
        ((AbstractRcu<?>) rcu).callbacks.rescueThreads = failing;
        Probe p = new Probe(rcu);
        rcu.defer(p);
        // left idle, the batch is handed on by the domain thread: no default worker, no rescue thread
        awaitCondition("the default worker and a rescue thread failed to start", () -> made.size() >= 2);
        fail.set(false);
        awaitCondition("the deferred callback ran once threads could start", () -> p.runs() == 1);
        assertRanOnceInTime(p);
    }

    /** A thread factory whose threads run {@code body} instead of the task while {@code ignore} holds. */
    static ThreadFactory ignoringItsTask(AtomicBoolean ignore, Runnable body, List<Thread> made) {
        return task -> {
            Thread t = Thread.ofPlatform().daemon().unstarted(ignore.get() ? body : task);
            made.add(t);
            return t;
        };
    }

    @Test
    void aWorkerWhoseThreadEndsWithoutRunningItsTaskIsNeverMadeAndQueuesNothing() {
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean ignore = new AtomicBoolean(true);
        List<Thread> made = new CopyOnWriteArrayList<>();
        ThreadFactory factory = ignoringItsTask(ignore, () -> {
            try {
                await(release);   // alive a while without running the task, then it ends
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }, made);
        Rcu rcu = domain(b -> b.defaultWorkerOptions(WorkerOptions.builder().threadFactory(factory).build()));
        Probe p = new Probe(rcu);
        AtomicReference<Throwable> refused = new AtomicReference<>();
        try (TestThreads threads = new TestThreads()) {
            threads.platform("caller", () -> refused.set(thrownBy(() -> rcu.call((Runnable) p))));
            awaitCondition("the default worker's thread is alive and has not run its task",
                    () -> !made.isEmpty() && made.getFirst().isAlive());   // it cannot end before the release
            ignore.set(false);
            release.countDown();
        }
        assertThat(refused.get()).as("what call() threw").isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("could not be made or started").cause()
                .hasMessageContaining("ended without running the worker's task");
        assertThat(rcu.stats().callbacksQueued()).as("callbacks accepted").isZero();
        rcu.call((Runnable) p);   // refused before: the default worker is made now, by a thread that runs its task
        awaitCondition("the callback ran without a barrier", () -> p.runs() == 1);
        assertRanOnceInTime(p);
        assertThat(p.ranOn).isSameAs(made.get(1));
    }

    @Test
    void aWorkerWhoseFactoryRunsItsTaskOnAnotherThreadRunsThereUntilItIsClosed() throws Exception {
        Rcu rcu = domain();
        List<Thread> returned = new CopyOnWriteArrayList<>();
        List<Thread> runners = new CopyOnWriteArrayList<>();
        ThreadFactory handsItOn = task -> {
            Thread runner = Thread.ofPlatform().daemon().unstarted(task);
            runners.add(runner);
            Thread t = Thread.ofPlatform().daemon().unstarted(() -> {
                runner.start();
                awaitBlockedIn(runner, "idle");   // the task runs there (the worker waits for work): then it ends
            });
            returned.add(t);
            return t;
        };
        CallbackWorker w = rcu.workers().newWorker(WorkerOptions.builder().threadFactory(handsItOn).build());
        assertThat(returned.getFirst().join(LONG)).as("the factory's own thread ended").isTrue();
        Thread runner = runners.getFirst();
        Probe p = new Probe(rcu);
        w.call((Runnable) p);
        withinTimeout("barrier", () -> assertThat(rcu.barrier(LONG)).as("barrier").isTrue());
        assertRanOnceInTime(p);
        assertThat(p.ranOn).as("where the callback ran").isSameAs(runner);
        Probe q = new Probe(rcu);
        w.call((Runnable) q);   // the barrier left the worker open
        withinTimeout("close", w::close);
        assertRanOnceInTime(q);
        assertThat(q.ranOn).as("where the callback ran").isSameAs(runner);
        assertThat(w.thread()).as("the worker's thread").isSameAs(runner);
        assertThat(runner.join(LONG)).as("the thread that ran the worker ended").isTrue();
    }

    @Test
    void aCallbackStrandedOnAClosedDomainRunsAtOnce() {
        Rcu rcu = domain();
        Probe p = new Probe(rcu);
        rcu.close();
        // what a defer() that passed the open check before the close strands when no thread can start any more
        Callbacks callbacks = ((AbstractRcu<?>) rcu).callbacks;
        withinTimeout("strand", () -> callbacks.strand(new Callbacks.RunnableCallback(p)));
        awaitCondition("the stranded callback ran", () -> p.runs() == 1);
        assertRanOnceInTime(p);
    }

    @Test
    void setThreadWorkerRoutesOnlyThisThreadsCallbacksAndNullDetaches() throws Exception {
        Rcu rcu = domain();
        CallbackWorkers workers = rcu.workers();
        CallbackWorker w = workers.newWorker(WorkerOptions.defaults());
        assertThat(workers.threadWorker()).isNull();
        workers.setThreadWorker(w);
        assertThat(workers.threadWorker()).isSameAs(w);
        assertThat(workers.currentWorker()).isSameAs(w);
        List<Probe> mine = new ArrayList<>();
        for (Form form : List.of(Form.CALL_RUNNABLE, Form.CALL_CALLBACK, Form.RETIRE, Form.RETIRE_CLOSEABLE)) {
            Probe p = new Probe(rcu);
            mine.add(p);
            submit(rcu, form, p);
        }
        Probe others = new Probe(rcu);
        try (TestThreads threads = new TestThreads()) {
            threads.platform("other-thread", () -> {
                assertThat(workers.threadWorker()).as("the thread worker is per thread").isNull();
                assertThat(workers.currentWorker()).isSameAs(workers.defaultWorker());
                rcu.call((Runnable) others);
            });
        }
        rcu.barrier();
        assertRanOnceInTime(mine);
        assertThat(mine).allSatisfy(p -> assertThat(p.ranOn).isSameAs(w.thread()));
        assertRanOnceInTime(others);
        assertThat(others.ranOn).isSameAs(defaultWorkerThread(rcu));

        workers.setThreadWorker(null);
        assertThat(workers.threadWorker()).isNull();
        assertThat(workers.currentWorker()).isSameAs(workers.defaultWorker());
        Probe detached = new Probe(rcu);
        rcu.call((Runnable) detached);
        rcu.barrier();
        assertThat(detached.ranOn).isSameAs(defaultWorkerThread(rcu));
    }

    @Test
    void setCpuWorkerAndCpuWorkerWithRangeChecks() {
        Rcu rcu = domain();
        CallbackWorkers workers = rcu.workers();
        int cpus = NativeCpu.cpuIdLimit();  // every CPU id of the machine, allowed to this process or not
        CallbackWorker w = workers.newWorker(WorkerOptions.defaults());
        for (int unknown : new int[] {-1, cpus, cpus + 64, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
            assertThat(workers.setCpuWorker(unknown, w)).as("setCpuWorker(%d)", unknown).isFalse();
            assertThat(workers.cpuWorker(unknown)).as("cpuWorker(%d)", unknown).isNull();
        }
        for (int cpu = 0; cpu < cpus; cpu++) {
            assertThat(workers.cpuWorker(cpu)).isNull();
            assertThat(workers.setCpuWorker(cpu, w)).isTrue();
            assertThat(workers.cpuWorker(cpu)).isSameAs(w);
        }
        // every CPU has w: whatever CPU this thread runs on, its callbacks go to w
        assertThat(workers.currentWorker()).isSameAs(w);
        Probe p = new Probe(rcu);
        rcu.call((Runnable) p);
        rcu.barrier();
        assertRanOnceInTime(p);
        assertThat(p.ranOn).isSameAs(w.thread());
        for (int cpu = 0; cpu < cpus; cpu++) {
            assertThat(workers.setCpuWorker(cpu, null)).isTrue();
            assertThat(workers.cpuWorker(cpu)).isNull();
        }
        assertThat(workers.currentWorker()).isSameAs(workers.defaultWorker());
        Probe q = new Probe(rcu);
        rcu.call((Runnable) q);
        rcu.barrier();
        assertThat(q.ranOn).isSameAs(defaultWorkerThread(rcu));
    }

    @Test
    void createAllCpuWorkersRoutesCallsToThemAndFreeAllCpuWorkersRunsTheirPendingCallbacks() {
        Rcu rcu = domain();
        CallbackWorkers workers = rcu.workers();
        int[] allowed = NativeCpu.allowedCpus();
        String name = unique("cpu-worker");
        workers.createAllCpuWorkers(WorkerOptions.builder().threadName(name).build());
        Set<Thread> cpuThreads = new HashSet<>();
        List<CallbackWorker> cpuWorkers = new ArrayList<>();
        for (int cpu = 0; cpu < NativeCpu.cpuIdLimit(); cpu++) {
            CallbackWorker w = workers.cpuWorker(cpu);
            int cpuId = cpu;
            if (Arrays.stream(allowed).noneMatch(c -> c == cpuId)) {
                assertThat(w).as("worker of CPU %d, which this process may not run on", cpu).isNull();
                continue;
            }
            assertThat(w).as("worker of CPU %d", cpu).isNotNull();
            assertThat(w.thread().getName()).isEqualTo(name + "-cpu" + cpu);
            cpuThreads.add(w.thread());
            cpuWorkers.add(w);
        }
        assertThat(cpuThreads).hasSize(allowed.length).doesNotContain(defaultWorkerThread(rcu));
        assertThat(cpuWorkers).contains(workers.currentWorker());
        List<Probe> probes = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Probe p = new Probe(rcu);
            probes.add(p);
            rcu.call((Runnable) p);
        }
        int first = allowed[0];
        Probe onFirst = new Probe(rcu);
        workers.cpuWorker(first).call((Runnable) onFirst);   // pinning: cpuAffinityOptionPinsWhereSupported
        workers.freeAllCpuWorkers();  // closes them: what they hold still runs, before this returns
        assertRanOnceInTime(probes);
        assertRanOnceInTime(onFirst);
        assertThat(probes).allSatisfy(p -> assertThat(cpuThreads).contains(p.ranOn));
        for (int cpu : allowed) {
            assertThat(workers.cpuWorker(cpu)).isNull();
        }
        assertThat(cpuThreads).allSatisfy(t -> assertThat(t.isAlive()).isFalse());
        Probe after = new Probe(rcu);
        rcu.call((Runnable) after);
        rcu.barrier();
        assertThat(after.ranOn).isSameAs(defaultWorkerThread(rcu));
    }

    /** Whether this machine lets a platform thread pin itself to {@code cpu} (checked on a scratch thread). */
    static boolean pinningWorks(int cpu) {
        AtomicBoolean pinned = new AtomicBoolean();
        AtomicInteger sawCpu = new AtomicInteger(-1);
        try (TestThreads threads = new TestThreads()) {
            threads.platform("pin-probe", () -> {
                pinned.set(NativeCpu.pinCurrentThread(cpu));
                sawCpu.set(NativeCpu.currentCpu());
            });
        }
        return pinned.get() && sawCpu.get() == cpu;
    }

    @Test
    void freeAllCpuWorkersInsideAReadSectionThrowsAndLeavesTheWorkersAsTheyWere() {
        Rcu rcu = domain();
        CallbackWorkers workers = rcu.workers();
        CallbackWorker w = workers.newWorker(WorkerOptions.defaults());
        for (int cpu = 0; cpu < NativeCpu.cpuIdLimit(); cpu++) {
            assertThat(workers.setCpuWorker(cpu, w)).isTrue();
        }
        flavor.becomeReader(rcu);
        rcu.readLock();
        try {
            Throwable refused = thrownBy(workers::freeAllCpuWorkers);
            for (int cpu = 0; cpu < NativeCpu.cpuIdLimit(); cpu++) {
                assertThat(workers.cpuWorker(cpu)).as("worker of CPU %d after the refused call", cpu).isSameAs(w);
            }
            assertThat(workers.currentWorker()).isSameAs(w);
            assertThat(refused).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("freeAllCpuWorkers()").hasMessageContaining("inside a read section");
        } finally {
            rcu.readUnlock();
            flavor.leaveReader(rcu);
        }
        Probe p = new Probe(rcu);
        rcu.call((Runnable) p);  // routed to w, which is still open
        workers.freeAllCpuWorkers();
        assertRanOnceInTime(p);
        assertThat(p.ranOn).isSameAs(w.thread());
        assertThat(workers.cpuWorker(0)).isNull();
        assertThat(w.thread().isAlive()).isFalse();
    }

    @Test
    void currentWorkerPrefersTheThreadWorkerThenTheCpuWorkerThenTheDefault() {
        Rcu rcu = domain();
        CallbackWorkers workers = rcu.workers();
        CallbackWorker dflt = workers.defaultWorker();
        CallbackWorker cpuWorker = workers.newWorker(WorkerOptions.defaults());
        CallbackWorker threadWorker = workers.newWorker(WorkerOptions.defaults());
        int cpus = NativeCpu.cpuIdLimit();
        assertThat(workers.currentWorker()).isSameAs(dflt);
        for (int cpu = 0; cpu < cpus; cpu++) {
            workers.setCpuWorker(cpu, cpuWorker);
        }
        assertThat(workers.currentWorker()).isSameAs(cpuWorker);
        workers.setThreadWorker(threadWorker);
        assertThat(workers.currentWorker()).isSameAs(threadWorker);
        workers.setThreadWorker(null);
        assertThat(workers.currentWorker()).isSameAs(cpuWorker);
        for (int cpu = 0; cpu < cpus; cpu++) {
            workers.setCpuWorker(cpu, null);
        }
        assertThat(workers.currentWorker()).isSameAs(dflt);
    }

    @Test
    void aClosedWorkerStillSetAsThreadOrCpuWorkerIsSkippedByRouting() {
        Rcu rcu = domain();
        CallbackWorkers workers = rcu.workers();
        int cpus = NativeCpu.cpuIdLimit();
        CallbackWorker cpuWorker = workers.newWorker(WorkerOptions.defaults());
        CallbackWorker threadWorker = workers.newWorker(WorkerOptions.defaults());
        for (int cpu = 0; cpu < cpus; cpu++) {
            workers.setCpuWorker(cpu, cpuWorker);
        }
        workers.setThreadWorker(threadWorker);
        threadWorker.close();
        assertThat(workers.currentWorker()).as("closed thread worker skipped").isSameAs(cpuWorker);
        Probe p = new Probe(rcu);
        rcu.call((Runnable) p);
        rcu.barrier();
        assertThat(p.ranOn).isSameAs(cpuWorker.thread());
        cpuWorker.close();
        assertThat(workers.currentWorker()).as("closed CPU worker skipped too").isSameAs(workers.defaultWorker());
        Probe q = new Probe(rcu);
        rcu.retire((AutoCloseable) q);
        rcu.barrier();
        assertRanOnceInTime(p, q);
        assertThat(q.ranOn).isSameAs(defaultWorkerThread(rcu));
    }

    @Test
    void closingTheDefaultWorkerThrowsAndItKeepsWorking() {
        Rcu rcu = domain();
        CallbackWorker dflt = rcu.workers().defaultWorker();
        assertThatThrownBy(dflt::close).isInstanceOf(IllegalStateException.class);
        assertThat(dflt.thread().isAlive()).isTrue();
        Probe p = new Probe(rcu);
        dflt.call((Runnable) p);
        rcu.barrier();
        assertRanOnceInTime(p);
    }

    /**
     * A worker's close() waits for the grace periods of its pending callbacks, which wait for the caller's section:
     * inside one it throws instead, and the worker keeps running.
     */
    @Test
    void closingAWorkerInsideAReadSectionThrowsAndTheWorkerKeepsRunning() {
        Rcu rcu = domain();
        CallbackWorker w = rcu.workers().newWorker(WorkerOptions.defaults());
        Probe p = new Probe(rcu);
        withinTimeout("worker-closer-in-section", () -> {
            flavor.becomeReader(rcu);
            rcu.readLock();
            try {
                w.call((Runnable) p);
                assertThatThrownBy(w::close).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("CallbackWorker.close()").hasMessageContaining("inside a read section");
            } finally {
                rcu.readUnlock();
                flavor.leaveReader(rcu);
            }
        });
        assertThat(w.thread().isAlive()).as("the worker after the refused close()").isTrue();
        w.close();
        assertRanOnceInTime(p);
        assertThat(p.ranOn).isSameAs(w.thread());
    }

    /** Fault test: a worker closed with work pending runs all of it first; nothing is lost. */
    @Test
    void closingAWorkerWithPendingCallbacksRunsThemAllFirstThenRefusesNewOnes() throws Exception {
        Rcu rcu = domain();
        CallbackWorker w = rcu.workers().newWorker(WorkerOptions.defaults());
        List<Probe> probes = new ArrayList<>();
        AtomicBoolean closed = new AtomicBoolean();
        Thread closer;
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, false);
            try {
                for (int i = 0; i < 100; i++) {
                    Probe p = new Probe(rcu);
                    probes.add(p);
                    if (i % 2 == 0) {
                        w.call((Runnable) p);
                    } else {
                        w.call((RcuCallback) p);
                    }
                }
                assertThat(w.pending()).isEqualTo(100);
                assertThat(rcu.workers().defaultWorker().pending()).isZero();
                assertThat(rcu.stats().pendingCallbacks()).isEqualTo(100);
                closer = threads.platform("worker-closer", () -> {
                    w.close();
                    closed.set(true);
                });
                awaitBlockedIn(closer, "close");
                assertThat(closed).as("close() returned while its callbacks wait for a grace period").isFalse();
                assertThat(probes).allSatisfy(p -> assertThat(p.runs()).isZero());
                Probe refused = new Probe(rcu);
                assertThatThrownBy(() -> w.call((Runnable) refused)).as("call on a closing worker")
                        .isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(() -> w.call((RcuCallback) refused)).isInstanceOf(IllegalStateException.class);
                rcu.call((RcuCallback) refused);  // the refused RcuCallback was not left marked as queued
                probes.add(refused);
            } finally {
                reader.release();
            }
        }
        assertThat(closed).isTrue();
        // no barrier: close() itself waited for everything the worker held
        assertRanOnceInTime(probes.subList(0, 100));
        assertThat(probes.subList(0, 100)).allSatisfy(p -> assertThat(p.ranOn).isSameAs(w.thread()));
        assertThat(w.pending()).isZero();
        assertThat(w.thread().isAlive()).isFalse();
        w.close();  // second close: a no-op
        assertThatThrownBy(() -> w.call(() -> {
        })).isInstanceOf(IllegalStateException.class);
        rcu.barrier();
        assertRanOnceInTime(probes);
    }

    @ParameterizedTest(name = "default worker: {0}")
    @ValueSource(booleans = {false, true})
    void realTimeWorkersRunCallbacks(boolean asDefault) {
        WorkerOptions rt = WorkerOptions.builder().realTime(true).build();
        Rcu rcu = asDefault ? domain(b -> b.defaultWorkerOptions(rt)) : domain();
        CallbackWorker w = asDefault ? rcu.workers().defaultWorker() : rcu.workers().newWorker(rt);
        List<Probe> probes = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Probe p = new Probe(rcu);
            probes.add(p);
            w.call((Runnable) p);
        }
        rcu.barrier();
        // and without a barrier (the worker polls)
        Probe p = new Probe(rcu);
        w.call((Runnable) p);
        awaitCondition("a real-time worker runs a callback by itself", () -> p.runs() > 0);
        probes.add(p);
        assertRanOnceInTime(probes);
        assertThat(probes).allSatisfy(q -> assertThat(q.ranOn).isSameAs(w.thread()));
        if (!asDefault) {
            w.close();
            assertThat(w.thread().isAlive()).isFalse();
        }
    }

    @Test
    void cpuAffinityOptionPinsWhereSupported() {
        Rcu rcu = domain();
        int[] allowed = NativeCpu.allowedCpus();
        int target = allowed[allowed.length - 1];
        CallbackWorker pinned = rcu.workers().newWorker(WorkerOptions.builder().cpuAffinity(target).build());
        AtomicInteger seen = new AtomicInteger(-2);
        Probe p = new Probe(rcu, () -> seen.set(NativeCpu.currentCpu()));
        pinned.call((Runnable) p);
        rcu.barrier();
        assertRanOnceInTime(p);
        assertThat(p.ranOn).isSameAs(pinned.thread());
        pinned.close();
        org.junit.jupiter.api.Assumptions.assumeTrue(pinningWorks(target),
                "CPU affinity does not work here: the worker ran unpinned");
        assertThat(seen).as("a worker pinned to CPU %d runs there", target).hasValue(target);
    }

    @Test
    void barrierAndBudgetSkipALongBatchingDelay() {
        Rcu rcu = domain(b -> b.callbackBudget(3));
        // a worker that would wait a minute for 1000 callbacks
        CallbackWorker lazy = rcu.workers().newWorker(
                WorkerOptions.builder().batching(1_000, Duration.ofMinutes(1)).build());
        Probe p = new Probe(rcu);
        lazy.call((Runnable) p);
        assertThat(rcu.barrier(LONG)).as("barrier expedites a worker waiting to fill its batch").isTrue();
        assertRanOnceInTime(p);
        // over budget: the worker is expedited too (the over-budget caller runs its own callback)
        List<Probe> probes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Probe q = new Probe(rcu);
            probes.add(q);
            lazy.call((Runnable) q);
        }
        awaitCondition("over budget, the worker runs its small batch without waiting for more",
                () -> probes.stream().allMatch(q -> q.runs() > 0));
        assertRanOnceInTime(probes);
    }

    @Test
    void aSmallBatchRunsAfterTheBatchingDelayWithoutABarrier() {
        Rcu rcu = domain();
        CallbackWorker w = rcu.workers().newWorker(
                WorkerOptions.builder().batching(1_000, Duration.ofMillis(50)).build());
        Probe p = new Probe(rcu);
        w.call((Runnable) p);
        awaitCondition("a batch smaller than minBatch runs once maxDelay has passed", () -> p.runs() > 0);
        assertRanOnceInTime(p);
    }

    // ================================================================== budget and backpressure

    /** Fills the budget while a reader blocks grace periods; returns the probes queued. */
    List<Probe> fillBudget(Rcu rcu, int budget) {
        List<Probe> probes = new ArrayList<>();
        for (int i = 0; i < budget; i++) {
            Probe p = new Probe(rcu);
            probes.add(p);
            rcu.call((Runnable) p);
        }
        assertThat(rcu.stats().pendingCallbacks()).isEqualTo(budget);
        return probes;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"CALLER_RUNS", "default policy"})
    void overBudgetCallerRunsWaitsForTheGracePeriodThenRunsItsOwnCallbackOnItsThread(String policy) {
        int budget = 4;
        Rcu rcu = domain(b -> {
            b.callbackBudget(budget);
            if (policy.equals("CALLER_RUNS")) {
                b.backpressure(Backpressure.CALLER_RUNS);
            }
        });
        List<Probe> queued;
        Probe own = new Probe(rcu);
        AtomicBoolean returned = new AtomicBoolean();
        Thread producer;
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, false);
            try {
                queued = fillBudget(rcu, budget);
                producer = threads.platform("over-budget-producer", () -> {
                    flavor.becomeReader(rcu);  // outside a section; QSBR: online, so its wait is a quiescent state
                    try {
                        rcu.call((Runnable) own);
                        returned.set(true);
                    } finally {
                        flavor.leaveReader(rcu);
                    }
                });
                awaitBlockedIn(producer, "call");
                assertThat(returned).as("the over-budget caller returned while the reader blocks").isFalse();
                assertThat(own.runs()).isZero();
                assertThat(rcu.stats().backpressureEvents()).isGreaterThanOrEqualTo(1);
            } finally {
                reader.release();
            }
        }
        assertThat(returned).isTrue();
        assertRanOnceInTime(own);
        assertThat(own.ranOn).as("CALLER_RUNS: the caller runs its own callback").isSameAs(producer);
        rcu.barrier();
        assertRanOnceInTime(queued);
        RcuStats s = rcu.stats();
        assertThat(s.callbacksQueued()).isEqualTo(budget + 1);
        assertThat(s.callbacksInvoked()).isEqualTo(budget + 1);
        assertThat(s.pendingCallbacks()).isZero();
        assertThat(s.overshoots()).isZero();
    }

    @Test
    void overBudgetBlockWaitsUntilPendingDropsBelowTheBudgetThenQueues() {
        int budget = 4;
        Rcu rcu = domain(b -> b.callbackBudget(budget).backpressure(Backpressure.BLOCK));
        List<Probe> queued;
        Probe own = new Probe(rcu);
        AtomicBoolean returned = new AtomicBoolean();
        Thread producer;
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, false);
            try {
                queued = fillBudget(rcu, budget);
                producer = threads.platform("over-budget-producer", () -> {
                    flavor.becomeReader(rcu);  // outside a section; QSBR: online, so its wait is a quiescent state
                    try {
                        rcu.call((RcuCallback) own);
                        returned.set(true);
                    } finally {
                        flavor.leaveReader(rcu);
                    }
                });
                awaitBlockedIn(producer, "call");
                assertThat(returned).as("BLOCK: the caller returned while pending is at the budget").isFalse();
                assertThat(rcu.stats().pendingCallbacks()).isEqualTo(budget);
                assertThat(rcu.stats().backpressureEvents()).isGreaterThanOrEqualTo(1);
            } finally {
                reader.release();
            }
        }
        assertThat(returned).isTrue();
        rcu.barrier();
        assertRanOnceInTime(queued);
        assertRanOnceInTime(own);
        assertThat(own.ranOn).as("BLOCK: the callback is queued, a worker runs it")
                .isNotSameAs(producer).isSameAs(defaultWorkerThread(rcu));
    }

    @Test
    void overBudgetThrowRejectsAndQueuesNothing() {
        int budget = 4;
        Rcu rcu = domain(b -> b.callbackBudget(budget).backpressure(Backpressure.THROW));
        CallbackWorker w = rcu.workers().newWorker(WorkerOptions.defaults());
        List<Probe> queued;
        List<Probe> rejected = new ArrayList<>();
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, false);
            try {
                queued = fillBudget(rcu, budget);
                for (Form form : List.of(Form.CALL_RUNNABLE, Form.CALL_CALLBACK, Form.RETIRE,
                        Form.RETIRE_CLOSEABLE)) {
                    Probe p = new Probe(rcu);
                    rejected.add(p);
                    assertThatThrownBy(() -> submit(rcu, form, p)).as(form.toString())
                            .isInstanceOf(RejectedExecutionException.class);
                }
                Probe p = new Probe(rcu);
                rejected.add(p);
                assertThatThrownBy(() -> w.call((RcuCallback) p)).as("CallbackWorker.call")
                        .isInstanceOf(RejectedExecutionException.class);
                RcuStats s = rcu.stats();
                assertThat(s.pendingCallbacks()).isEqualTo(budget);
                assertThat(s.callbacksQueued()).as("rejected callbacks are not counted as queued")
                        .isEqualTo(budget);
                assertThat(s.backpressureEvents()).isEqualTo(5);
            } finally {
                reader.release();
            }
        }
        rcu.barrier();
        assertRanOnceInTime(queued);
        assertThat(rejected).allSatisfy(p -> assertThat(p.runs()).as("a rejected callback ran").isZero());
        Probe again = rejected.get(1);  // the RcuCallback refused by rcu.call: not left marked as queued
        rcu.call((RcuCallback) again);
        rcu.barrier();
        assertThat(again.runs()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Backpressure.class)
    void aCallerInsideAReadSectionIsNeverBlockedOverBudgetItsCallbacksAreQueued(Backpressure policy) {
        int budget = 2;
        Rcu rcu = domain(b -> b.callbackBudget(budget).backpressure(policy));
        List<Probe> probes = new ArrayList<>();
        AtomicReference<Thread> caller = new AtomicReference<>();
        try (TestThreads threads = new TestThreads()) {
            threads.platform("caller-in-section", () -> {
                caller.set(Thread.currentThread());
                flavor.becomeReader(rcu);
                rcu.readLock();
                try {
                    for (int i = 0; i < 10; i++) {
                        Probe p = new Probe(rcu);
                        probes.add(p);
                        submit(rcu, Form.values()[i % 4], p);  // never blocks, never throws
                    }
                    RcuStats s = rcu.stats();
                    assertThat(s.overshoots()).isGreaterThanOrEqualTo(10 - budget);
                    assertThat(s.backpressureEvents()).isGreaterThanOrEqualTo(s.overshoots());
                    assertThat(s.pendingCallbacks()).isEqualTo(10);
                    assertThat(probes).allSatisfy(p -> assertThat(p.runs()).isZero());
                } finally {
                    rcu.readUnlock();
                    flavor.leaveReader(rcu);
                }
            });
        }
        rcu.barrier();
        assertRanOnceInTime(probes);
        assertThat(probes).allSatisfy(p -> assertThat(p.ranOn).isNotSameAs(caller.get()));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Backpressure.class)
    void aCallbackOverBudgetIsNeverBlockedItsCallbacksAreQueued(Backpressure policy) {
        Rcu rcu = domain(b -> b.callbackBudget(1).backpressure(policy));
        List<Probe> chained = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch queuedAll = new CountDownLatch(1);
        rcu.call(() -> {
            try {
                for (int i = 0; i < 5; i++) {  // pending counts the running batch: over budget from the start
                    Probe p = new Probe(rcu);
                    chained.add(p);
                    rcu.call((Runnable) p);
                }
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                queuedAll.countDown();
            }
        });
        try {
            await(queuedAll);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertThat(failure.get()).isNull();
        rcu.barrier();
        rcu.barrier();
        assertThat(chained).hasSize(5);
        assertRanOnceInTime(chained);
        assertThat(rcu.stats().overshoots()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aFullDeferBatchFromACallbackIsHandedToAWorkerNotRunInline() throws Exception {
        Rcu rcu = domain();
        int n = 2 * DeferBatches.CAPACITY + 1;
        List<Probe> deferred = new CopyOnWriteArrayList<>();
        AtomicInteger ranInsideTheCallback = new AtomicInteger(-1);
        AtomicLong overshootsBefore = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        rcu.call(() -> {
            try {
                overshootsBefore.set(rcu.stats().overshoots());
                for (int i = 0; i < n; i++) {
                    Probe p = new Probe(rcu);
                    deferred.add(p);
                    rcu.defer(p);
                }
                ranInsideTheCallback.set((int) deferred.stream().filter(p -> p.runs() > 0).count());
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                done.countDown();
            }
        });
        await(done);
        assertThat(failure.get()).isNull();
        assertThat(ranInsideTheCallback).as("deferred callbacks run inline by the deferring callback").hasValue(0);
        assertThat(rcu.stats().overshoots()).as("full batches handed on from a callback")
                .isGreaterThan(overshootsBefore.get());
        rcu.barrier();
        rcu.barrier();
        assertRanOnceInTime(deferred);
    }

    /**
     * Fault test: a callback flood from several producers while a reader stalls grace periods for a while. Pending
     * stays within the budget plus one callback per producing thread (no producer is inside a section here, so there
     * are no overshoots), observed both by sampling stats() and by the peak statistic.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Backpressure.class)
    void pendingStaysWithinBudgetPlusOnePerProducerUnderAFloodWithAStalledReader(Backpressure policy) {
        int budget = 64;
        int producers = 4;
        int perProducer = 5_000;
        Rcu rcu = domain(b -> b.callbackBudget(budget).backpressure(policy));
        AtomicIntegerArray runs = new AtomicIntegerArray(producers * perProducer);
        AtomicIntegerArray accepted = new AtomicIntegerArray(producers * perProducer);
        AtomicInteger early = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicLong maxSeen = new AtomicLong();
        AtomicBoolean flooding = new AtomicBoolean(true);
        try (TestThreads threads = new TestThreads(Duration.ofSeconds(30))) {
            Held reader = holdSection(threads, rcu, false);
            CountDownLatch producersDone = new CountDownLatch(producers);
            try {
                threads.platform("pending-sampler", () -> {
                    while (flooding.get()) {
                        long pending = rcu.stats().pendingCallbacks();
                        maxSeen.accumulateAndGet(pending, Math::max);
                        Thread.onSpinWait();
                    }
                });
                for (int p = 0; p < producers; p++) {
                    int base = p * perProducer;
                    threads.start(p % 2 == 1, "flooder", () -> {
                        try {
                            for (int i = 0; i < perProducer; i++) {
                                int id = base + i;
                                long cookie = rcu.snapshot();
                                try {
                                    rcu.call(() -> {
                                        if (!rcu.poll(cookie)) {
                                            early.incrementAndGet();
                                        }
                                        runs.incrementAndGet(id);
                                    });
                                    accepted.set(id, 1);
                                } catch (RejectedExecutionException e) {
                                    assertThat(policy).isEqualTo(Backpressure.THROW);
                                    refused.incrementAndGet();
                                }
                            }
                        } finally {
                            producersDone.countDown();
                        }
                    });
                }
                awaitCondition("every producer hit the budget while the reader stalls",
                        () -> rcu.stats().backpressureEvents() >= producers || producersDone.getCount() == 0);
            } finally {
                reader.release();
            }
            try {
                await(producersDone);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            } finally {
                flooding.set(false);
            }
        }
        rcu.barrier();
        RcuStats s = rcu.stats();
        assertThat(s.overshoots()).isZero();
        long bound = budget + producers + s.overshoots();
        assertThat(maxSeen.get()).as("pending sampled during the flood").isLessThanOrEqualTo(bound);
        assertThat(s.peakPendingCallbacks()).as("peak pending statistic").isLessThanOrEqualTo(bound)
                .isGreaterThanOrEqualTo(1);
        assertThat(s.backpressureEvents()).isGreaterThanOrEqualTo(producers);
        assertThat(early).hasValue(0);
        int acceptedCount = 0;
        for (int i = 0; i < runs.length(); i++) {
            assertThat(runs.get(i)).as("runs of callback %d (accepted: %d)", i, accepted.get(i))
                    .isEqualTo(accepted.get(i));
            acceptedCount += accepted.get(i);
        }
        // no producer is a reader or a domain thread: THROW refuses the callback of every backpressure event, the
        // other policies accept every callback
        assertThat(refused).as("callbacks refused (%s)", policy)
                .hasValue(policy == Backpressure.THROW ? (int) s.backpressureEvents() : 0);
        assertThat(acceptedCount).isEqualTo(producers * perProducer - refused.get());
        assertThat(s.callbacksQueued()).isEqualTo(acceptedCount);
        assertThat(s.callbacksInvoked()).isEqualTo(acceptedCount);
        assertThat(s.pendingCallbacks()).isZero();
    }

    // ================================================================== close

    @Test
    void closeRunsEveryPendingCallbackIncludingDeferredOnesAndThoseQueuedByCallbacksDuringTheClose() {
        Rcu rcu = domain();
        CallbackWorker extra = rcu.workers().newWorker(WorkerOptions.defaults());
        Probe chainedCall = new Probe(rcu).named("call from a callback during close");
        Probe chainedRetire = new Probe(rcu).named("retire from a callback during close");
        Probe chainedDefer = new Probe(rcu).named("defer from a callback during close");
        AtomicReference<Throwable> chainFailure = new AtomicReference<>();
        Probe head = new Probe(rcu, () -> {
            try {
                rcu.call((RcuCallback) chainedCall);  // queued by a callback while the domain closes
                rcu.retire(RETIRED, chainedRetire);
                rcu.defer(chainedDefer);
            } catch (Throwable t) {
                chainFailure.set(t);
            }
        });
        List<Probe> plain = new ArrayList<>();
        AtomicBoolean closed = new AtomicBoolean();
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, false);
            try {
                rcu.call((Runnable) head);
                for (Form form : Form.values()) {
                    Probe p = new Probe(rcu).named(form + " before close");
                    plain.add(p);
                    submit(rcu, form, p);
                }
                Probe onExtra = new Probe(rcu).named("queued on a new worker before close");
                plain.add(onExtra);
                extra.call((Runnable) onExtra);
                Thread closer = threads.platform("closer", () -> {
                    rcu.close();
                    closed.set(true);
                });
                awaitBlockedIn(closer, "close");
                assertThat(closed).isFalse();
                assertThat(head.runs()).isZero();
            } finally {
                reader.release();
            }
        }
        assertThat(closed).isTrue();
        assertThat(chainFailure.get()).as("a callback queueing more while the domain closes").isNull();
        // no barrier: close() waited for all of it
        assertRanOnceInTime(plain);
        assertRanOnceInTime(head, chainedCall, chainedRetire);
        assertThat(extra.thread().isAlive()).isFalse();
        assertThat(rcu.workers().defaultWorker().thread().isAlive()).isFalse();
        // a callback running during the close may defer too ("callbacks running meanwhile may still queue more,
        // and those run too")
        assertRanOnceInTime(chainedDefer);
        assertThat(rcu.stats().pendingCallbacks()).isZero();
    }

    @Test
    void afterCloseNewCallbacksAreRefused() {
        Rcu rcu = domain();
        Rcu other = domain();
        CallbackWorker dflt = rcu.workers().defaultWorker();
        CallbackWorker extra = rcu.workers().newWorker(WorkerOptions.defaults());
        Probe p = new Probe(rcu);
        rcu.close();
        assertThatThrownBy(() -> rcu.call((Runnable) p)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> rcu.call((RcuCallback) p)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> rcu.retire(RETIRED, p)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> rcu.retire((AutoCloseable) p)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> rcu.defer(p)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> dflt.call((Runnable) p)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> extra.call((RcuCallback) p)).isInstanceOf(IllegalStateException.class);
        assertThat(p.runs()).isZero();
        assertThat(rcu.stats().callbacksQueued()).isZero();
        // the refused RcuCallback was not left marked as queued
        Probe q = new Probe(other);
        other.call((RcuCallback) q);
        other.call((RcuCallback) p);
        other.barrier();
        assertThat(p.runs()).isEqualTo(1);
        rcu.close();  // a second close is a no-op
    }

    /**
     * Fault test: close() racing producers on several threads, repeatedly. Every callback whose call returned
     * normally runs exactly once; those accepted before close() was called have run when it returns; a refused one
     * never runs. {@code "call"}: producers use call(Runnable), call(RcuCallback), retire (both forms) and
     * CallbackWorker.call; {@code "defer"}: every producer defers.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"call", "defer"})
    void closeRacingProducersLosesNothingAndRunsNothingTwice(String kind) throws Exception {
        List<String> problems = new ArrayList<>();
        int iterations = 50;
        for (int iteration = 0; iteration < iterations && problems.isEmpty(); iteration++) {
            closeRacingProducersOnce(kind.equals("defer"), iteration, problems);
        }
        assertThat(problems).as("callbacks lost, late or run twice with close() racing producers (%d iterations"
                + " planned, stopped at the first with problems)", iterations).isEmpty();
    }

    private void closeRacingProducersOnce(boolean defer, int iteration, List<String> problems) throws Exception {
        Rcu rcu = domain();
        CallbackWorker extra = rcu.workers().newWorker(WorkerOptions.defaults());
        int producers = 4;
        int limit = 50_000;
        AtomicIntegerArray[] runs = new AtomicIntegerArray[producers];
        AtomicInteger[] accepted = new AtomicInteger[producers];
        for (int p = 0; p < producers; p++) {
            runs[p] = new AtomicIntegerArray(limit);
            accepted[p] = new AtomicInteger();
        }
        AtomicInteger early = new AtomicInteger();
        try (TestThreads threads = new TestThreads()) {
            for (int p = 0; p < producers; p++) {
                int producer = p;
                threads.start(p == 3, "racer", () -> {
                    for (int i = 0; i < limit; i++) {
                        int id = i;
                        long cookie;
                        try {
                            cookie = rcu.snapshot();
                        } catch (IllegalStateException closing) {
                            return;
                        }
                        Runnable body = () -> {
                            if (!rcu.poll(cookie)) {
                                early.incrementAndGet();
                            }
                            runs[producer].incrementAndGet(id);
                        };
                        try {
                            if (defer) {
                                rcu.defer(body);
                            } else {
                                switch (producer) {
                                    case 1 -> {
                                        if (i % 2 == 0) {
                                            rcu.call(new RcuCallback() {
                                                @Override
                                                protected void invoke() {
                                                    body.run();
                                                }
                                            });
                                        } else {
                                            rcu.retire(id, x -> body.run());
                                        }
                                    }
                                    case 2 -> {
                                        if (i % 2 == 0) {
                                            extra.call(body);
                                        } else {
                                            rcu.retire((AutoCloseable) body::run);
                                        }
                                    }
                                    default -> rcu.call(body);
                                }
                            }
                        } catch (IllegalStateException refused) {
                            return;
                        }
                        accepted[producer].incrementAndGet();
                    }
                });
            }
            awaitCondition("every producer got going", () -> {
                for (AtomicInteger a : accepted) {
                    if (a.get() < 100) {
                        return false;
                    }
                }
                return true;
            });
            int[] acceptedBeforeClose = new int[producers];
            for (int p = 0; p < producers; p++) {
                acceptedBeforeClose[p] = accepted[p].get();
            }
            rcu.close();
            for (int p = 0; p < producers; p++) {
                for (int i = 0; i < acceptedBeforeClose[p]; i++) {
                    if (runs[p].get(i) != 1) {
                        problems.add("iteration " + iteration + ": callback " + i + " of producer " + p
                                + ", accepted before close() was called, had run " + runs[p].get(i)
                                + " times when close() returned");
                    }
                }
            }
        }
        // accepted while close() ran: they must run once too (a bounded wait for a late one)
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        for (int p = 0; p < producers; p++) {
            int n = accepted[p].get();
            int producer = p;
            while (System.nanoTime() - deadline < 0 && java.util.stream.IntStream.range(0, n)
                    .anyMatch(i -> runs[producer].get(i) == 0)) {
                Thread.onSpinWait();
            }
            for (int i = 0; i < limit; i++) {
                int expected = i < n ? 1 : 0;
                if (runs[p].get(i) != expected) {
                    problems.add("iteration " + iteration + ": callback " + i + " of producer " + p + " ran "
                            + runs[p].get(i) + " times (its call returned normally: " + (i < n)
                            + "; the producer's last accepted callback: " + (n - 1) + ")");
                }
            }
        }
        if (early.get() != 0) {
            problems.add("iteration " + iteration + ": " + early.get() + " callbacks ran before their grace period");
        }
        if (!problems.isEmpty()) {
            problems.add("iteration " + iteration + ": stats after close: " + rcu.stats());
        }
    }

    // ================================================================== stall reports and dead readers

    @ParameterizedTest(name = "virtual reader: {0}")
    @ValueSource(booleans = {false, true})
    void aStalledReaderIsNamedInAStallReport(boolean virtual) {
        String domainName = unique("stall");
        Rcu rcu = domain(b -> b.name(domainName).stallTimeout(STALL));
        Probe p = new Probe(rcu);
        try (LogCapture log = LogCapture.start(); TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, virtual, unique("stalled-reader"));
            String readerName = reader.thread().getName();
            try {
                rcu.call((Runnable) p);  // the worker's grace period waits for the reader
                awaitCondition("a stall report names " + readerName, Duration.ofSeconds(5), () -> {
                    String text = log.text();
                    return text.contains(" of " + domainName + " has waited") && text.contains("'" + readerName + "'");
                });
                assertThat(rcu.stats().stallReports()).isGreaterThan(0);
                assertThat(log.text()).contains(LogCapture.levelName("WARNING"))
                        .contains(virtual ? "virtual" : "platform")
                        .contains("\tat ");  // the reader's stack
                if (!virtual) {
                    awaitCondition("the stall report repeats while the reader stays", Duration.ofSeconds(5),
                            () -> rcu.stats().stallReports() >= 2);
                }
                assertThat(p.runs()).isZero();
            } finally {
                reader.release();
            }
        }
        rcu.barrier();
        assertRanOnceInTime(p);
    }

    /** Fault test: a reader thread that dies inside a section while callbacks wait for it. */
    @ParameterizedTest(name = "virtual reader: {0}")
    @ValueSource(booleans = {false, true})
    void callbacksPendingOnAReaderThatDiesInsideItsSectionStillRun(boolean virtual) {
        Rcu rcu = domain(b -> b.stallTimeout(STALL));
        Probe queuedByTest = new Probe(rcu);
        AtomicReference<Probe> queuedByReader = new AtomicReference<>();
        try (TestThreads threads = new TestThreads()) {
            Held reader = threads.hold(virtual, "dies-inside-a-section", () -> {
                flavor.becomeReader(rcu);
                rcu.readLock();
                Probe own = new Probe(rcu);
                queuedByReader.set(own);
                rcu.call((Runnable) own);  // from inside its own section
            }, () -> {
                // ends without leaving its section
            });
            rcu.call((Runnable) queuedByTest);
            assertThat(queuedByTest.runs()).isZero();
            reader.release();
        }
        assertThat(rcu.barrier(LONG)).as("barrier after the reader died inside its section").isTrue();
        assertRanOnceInTime(queuedByTest, queuedByReader.get());
        Probe later = new Probe(rcu);
        rcu.call((Runnable) later);
        assertThat(rcu.barrier(LONG)).isTrue();
        assertRanOnceInTime(later);
    }

    // ================================================================== stats

    @Test
    void statsCountGracePeriodsAndCallbacksConsistently() {
        Rcu rcu = domain();
        RcuStats s0 = rcu.stats();
        assertThat(s0.callbacksQueued()).isZero();
        assertThat(s0.callbacksInvoked()).isZero();
        assertThat(s0.callbacksFailed()).isZero();
        assertThat(s0.pendingCallbacks()).isZero();
        assertThat(s0.peakPendingCallbacks()).isZero();
        assertThat(s0.stallReports()).isZero();
        assertThat(s0.backpressureEvents()).isZero();
        assertThat(s0.overshoots()).isZero();
        rcu.synchronize();
        RcuStats s1 = rcu.stats();
        assertThat(s1.gracePeriodsCompleted()).isGreaterThan(s0.gracePeriodsCompleted());
        assertThat(s1.meanGracePeriodNanos()).isPositive();
        assertThat(s1.maxGracePeriodNanos()).isGreaterThanOrEqualTo(s1.meanGracePeriodNanos());
        List<Probe> probes = new ArrayList<>();
        try (TestThreads threads = new TestThreads()) {
            Held reader = holdSection(threads, rcu, false);
            try {
                for (Form form : Form.values()) {
                    Probe p = new Probe(rcu);
                    probes.add(p);
                    submit(rcu, form, p);
                }
                rcu.call(() -> {
                    throw new IllegalStateException("counted as failed");
                });
                RcuStats s = rcu.stats();
                assertThat(s.callbacksQueued()).isEqualTo(6);
                assertThat(s.pendingCallbacks()).as("pending, deferred included").isEqualTo(6);
                assertThat(s.peakPendingCallbacks()).isGreaterThanOrEqualTo(5);
                assertThat(s.callbacksInvoked()).isZero();
            } finally {
                reader.release();
            }
        }
        rcu.barrier();
        assertRanOnceInTime(probes);
        assertThat(callbackErrors).hasSize(1);
        callbackErrors.clear();
        RcuStats s2 = rcu.stats();
        assertThat(s2.callbacksQueued()).isEqualTo(6);
        assertThat(s2.callbacksInvoked()).isEqualTo(s2.callbacksQueued());
        assertThat(s2.callbacksFailed()).isEqualTo(1);
        assertThat(s2.pendingCallbacks()).isZero();
        assertThat(s2.gracePeriodsCompleted()).isGreaterThan(s1.gracePeriodsCompleted());
        assertThat(s2.meanGracePeriodNanos()).isPositive();
        assertThat(s2.maxGracePeriodNanos()).isGreaterThanOrEqualTo(s2.meanGracePeriodNanos());
        assertThat(s2.backpressureEvents()).isZero();
    }

    // ================================================================== JFR

    @Test
    void jfrRecordsGracePeriodsCallbackBatchesAndStalls() throws Exception {
        String domainName = unique("jfr-" + flavor);
        Path file = Files.createTempFile("jrcu-callbacks", ".jfr");
        List<RecordedEvent> events;
        String readerName;
        try (Recording recording = new Recording()) {
            recording.enable("io.jrcu.GracePeriod").withThreshold(Duration.ZERO);
            recording.enable("io.jrcu.CallbackBatch").withThreshold(Duration.ZERO);
            recording.enable("io.jrcu.Stall").withThreshold(Duration.ZERO);
            recording.start();
            Rcu rcu = domain(b -> b.name(domainName).stallTimeout(STALL));
            rcu.synchronize();
            List<Probe> probes = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                Probe p = new Probe(rcu);
                probes.add(p);
                rcu.call((Runnable) p);
            }
            rcu.call(() -> {
                throw new IllegalStateException("a failure the batch event counts");
            });
            rcu.barrier();
            assertRanOnceInTime(probes);
            callbackErrors.clear();
            try (TestThreads threads = new TestThreads()) {
                Held reader = holdSection(threads, rcu, false, unique("jfr-stalled-reader"));
                readerName = reader.thread().getName();
                try {
                    Probe p = new Probe(rcu);
                    rcu.call((Runnable) p);
                    awaitCondition("a stall report", Duration.ofSeconds(5), () -> rcu.stats().stallReports() > 0);
                } finally {
                    reader.release();
                }
            }
            rcu.barrier();
            rcu.barrier();  // a worker commits a batch's event after running it: the next barrier's batch follows
            recording.stop();
            recording.dump(file);
            events = RecordingFile.readAllEvents(file);
        } finally {
            Files.deleteIfExists(file);
        }
        List<RecordedEvent> ours = events.stream()
                .filter(e -> domainName.equals(e.getString("domain"))).toList();
        List<RecordedEvent> gracePeriods = ofType(ours, "io.jrcu.GracePeriod");
        List<RecordedEvent> batches = ofType(ours, "io.jrcu.CallbackBatch");
        List<RecordedEvent> stalls = ofType(ours, "io.jrcu.Stall");
        assertThat(gracePeriods).as("GracePeriod events").isNotEmpty();
        assertThat(gracePeriods).allSatisfy(e -> {
            assertThat(e.getLong("number")).isPositive();
            assertThat(e.getDuration("gracePeriodDuration")).isGreaterThanOrEqualTo(Duration.ZERO);
        });
        assertThat(gracePeriods.stream().map(e -> e.getLong("number")).distinct().count())
                .as("distinct grace period numbers").isEqualTo(gracePeriods.size());
        assertThat(batches).as("CallbackBatch events").isNotEmpty();
        assertThat(batches).allSatisfy(e -> {
            assertThat(e.getString("worker")).startsWith("jrcu-callbacks-" + domainName);
            assertThat(e.getInt("size")).isGreaterThanOrEqualTo(0);
            assertThat(e.getInt("failed")).isBetween(0, e.getInt("size"));
            assertThat(e.getDuration("batchDuration")).isGreaterThanOrEqualTo(Duration.ZERO);
        });
        assertThat(batches.stream().mapToInt(e -> e.getInt("size")).sum()).as("callbacks in batches")
                .isGreaterThanOrEqualTo(12);
        assertThat(batches.stream().mapToInt(e -> e.getInt("failed")).sum()).isEqualTo(1);
        assertThat(stalls).as("Stall events").isNotEmpty();
        assertThat(stalls).allSatisfy(e -> {
            assertThat(e.getLong("number")).isPositive();
            assertThat(e.getDuration("waited")).isGreaterThanOrEqualTo(STALL);
        });
        assertThat(stalls).anySatisfy(e -> assertThat(e.getString("readers")).contains(readerName));
    }

    /**
     * The CallbackBatch event counts the callbacks a worker ran, and its failures among them: with deferred
     * callbacks (handed to a worker as one batch node) the counts must still be per callback, so that
     * {@code failed <= size} and the sizes add up to the callbacks run.
     */
    @Test
    void jfrCallbackBatchCountsDeferredCallbacksOneByOne() throws Exception {
        String domainName = unique("jfr-defer-" + flavor);
        Path file = Files.createTempFile("jrcu-defer", ".jfr");
        List<RecordedEvent> events;
        try (Recording recording = new Recording()) {
            recording.enable("io.jrcu.CallbackBatch").withThreshold(Duration.ZERO);
            recording.start();
            Rcu rcu = domain(b -> b.name(domainName));
            for (int i = 0; i < 6; i++) {
                if (i % 2 == 0) {
                    rcu.defer(() -> {
                        throw new IllegalStateException("a deferred failure");
                    });
                } else {
                    rcu.defer(() -> {
                    });
                }
            }
            rcu.barrier();
            rcu.barrier();  // a worker commits a batch's event after running it: the next barrier's batch follows
            recording.stop();
            recording.dump(file);
            events = RecordingFile.readAllEvents(file);
        } finally {
            Files.deleteIfExists(file);
        }
        assertThat(callbackErrors).hasSize(3);
        callbackErrors.clear();
        List<RecordedEvent> batches = ofType(events.stream()
                .filter(e -> domainName.equals(e.getString("domain"))).toList(), "io.jrcu.CallbackBatch");
        assertThat(batches).isNotEmpty();
        assertThat(batches.stream().mapToInt(e -> e.getInt("failed")).sum()).isEqualTo(3);
        assertThat(batches).allSatisfy(e -> assertThat(e.getInt("failed"))
                .as("failed of a batch event (size %d)", e.getInt("size")).isLessThanOrEqualTo(e.getInt("size")));
        assertThat(batches.stream().mapToInt(e -> e.getInt("size")).sum()).as("callbacks in batch events")
                .isEqualTo(6);
    }

    static List<RecordedEvent> ofType(List<RecordedEvent> events, String type) {
        return events.stream().filter(e -> e.getEventType().getName().equals(type)).toList();
    }
}
