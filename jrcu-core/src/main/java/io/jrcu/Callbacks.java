package io.jrcu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;

/**
 * A domain's callback machinery, written once for every flavor, and the domain's one entry to it: accepts callbacks
 * ({@code call}, {@code retire}, {@code defer}) and hands them to the parts. {@link CallbackWorkers} is its public
 * face.
 */
final class Callbacks implements CallbackWorkers {
    /*
     * Overview.
     *
     * The parts, one job each:
     *   WorkerRegistry     the workers, their registration, and routing (thread's, CPU's, default worker)
     *   CallbackBudget     the garbage budget, backpressure, and the counts of callbacks run
     *   CallbackBarrier    barrier and close: waiting until what was accepted before has run
     *   CallbackThreads    which threads run callbacks, how many live, the condition every wait parks on
     *   StrandedCallbacks  accepted callbacks no thread could be started for
     *   DeferBatches       the batches behind defer()
     *
     * A call: check that the domain accepts work (its own threads may still queue while it closes), claim the
     * callback, admit it against the budget, queue it on the given or the routed worker. Accepted work is never
     * dropped: a callback that no worker takes (the default worker's thread cannot start, or the domain closed) runs
     * on a rescue thread after a grace period, and if no thread can start at all it is stranded. A refused call (the
     * domain closed, THROW above the budget, no default worker) unclaims its callback, which can be queued again.
     */

    final GracePeriodEngine<?> domain;
    /** The options of the default worker, made on first use. */
    final WorkerOptions defaultWorkerOptions;
    final CallbackThreads threads;
    final WorkerRegistry registry;
    final CallbackBudget budget;
    final StrandedCallbacks stranded;
    final CallbackBarrier barrier;
    final DeferBatches defer;
    /** Makes rescue threads; tests replace it (before the domain is used) to make their start fail. */
    ThreadFactory rescueThreads = Thread.ofPlatform().daemon().factory();

    Callbacks(GracePeriodEngine<?> domain, WorkerOptions defaultWorkerOptions, long budget,
              Backpressure backpressure) {
        this.domain = domain;
        this.defaultWorkerOptions = defaultWorkerOptions;
        this.threads = new CallbackThreads(domain);
        this.registry = new WorkerRegistry(this);
        this.budget = new CallbackBudget(this, budget, backpressure);
        this.stranded = new StrandedCallbacks(this);
        this.barrier = new CallbackBarrier(this);
        this.defer = new DeferBatches(this);
    }

    // ------------------------------------------------------------------ queueing

    void call(Runnable callback) {
        submit(new RunnableCallback(callback), null);
    }

    void call(RcuCallback callback) {
        Objects.requireNonNull(callback, "callback");
        callback.claim();
        submit(callback, null);
    }

    <T> void retire(T object, Consumer<? super T> reclaimer) {
        submit(new RetireCallback<>(object, reclaimer), null);
    }

    void retire(AutoCloseable resource) {
        submit(new CloseCallback(resource), null);
    }

    void defer(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkAccepting("defer()", null);
        if (defer.markUsed()) {
            domain.wakeForDeferredWork();  // after the volatile flag: the domain thread's next park is timed
        }
        defer.add(callback);
        if (barrier.deferClosed()) {   // volatile; Dekker with close(): its last flush or this one sees the callback
            defer.flushAll();
        }
    }

    /** {@link Worker#call}: the callback goes to {@code worker} (already checked open). */
    void accept(RcuCallback callback, Worker worker) {
        Objects.requireNonNull(callback, "callback");
        if (!(callback instanceof RunnableCallback)) {
            callback.claim();
        }
        submit(callback, worker);
    }

    private void submit(RcuCallback cb, Worker target) {
        checkAccepting("call()", cb);
        if (!budget.admit(cb)) {
            return;  // ran by the caller
        }
        if (target != null && target.enqueue(cb)) {
            return;
        }
        try {
            if (!registry.enqueueRouted(cb)) {
                startLateCall(cb);
            }
        } catch (RuntimeException | Error noThread) {
            cb.unclaim();  // nothing could take it (the default worker's thread did not start): refused
            throw noThread;
        }
    }

    private void checkAccepting(String operation, RcuCallback cb) {
        if (!domain.isOpen() && !isDomainThread(Thread.currentThread())) {
            if (cb != null) {
                cb.unclaim();
            }
            throw domain.closedException(operation);
        }
    }

    /**
     * Queues an accepted callback (a defer batch, or one defer could not batch) on the routed worker, falling back
     * to the default worker. Never drops it: if no worker takes it (the default worker's thread cannot start, or the
     * domain closed) it runs on a rescue thread, and if no thread can start at all it is stranded.
     */
    void route(RcuCallback cb) {
        boolean queued;
        try {
            queued = registry.enqueueRouted(cb);
        } catch (IllegalStateException noDefaultWorker) {
            queued = false;  // its thread could not start (nothing of it remains): run the callback elsewhere
        }
        if (!queued) {
            try {
                startLateCall(cb);
            } catch (RuntimeException | Error noThread) {
                stranded.strand(cb);
            }
        }
    }

    /**
     * Runs {@code cb} on a rescue thread after a grace period (the producer may be inside a section): for a producer
     * that passed the open check just before the domain closed, or when no worker can be made. Once the domain has
     * closed, its final grace period stands for that one (see awaitGracePeriodOrClose).
     */
    private void startLateCall(RcuCallback cb) {
        startRescue(() -> {
            domain.awaitGracePeriodOrClose();
            cb.unclaim();
            budget.afterBatch(cb.weight(), budget.invoke(cb));
        }, "late-call");
    }

    /**
     * Starts a short-lived domain thread that runs {@code body} (draining a terminated worker's queue). If the
     * thread cannot be made or started, this throws what failed, and nothing of the thread remains.
     */
    void startRescue(Runnable body, String what) {
        threads.startRescue(rescueThreads, body, what);
    }

    /** Keeps an accepted callback that no thread could be started for (see {@link StrandedCallbacks}). */
    void strand(RcuCallback cb) {
        stranded.strand(cb);
    }

    // ------------------------------------------------------------------ the domain's threads

    /** Whether {@code t} runs callbacks: a worker, a rescue thread, the domain thread, a caller running a batch. */
    boolean isDomainThread(Thread t) {
        return threads.runsCallbacks(t) || domain.isGracePeriodThread(t) || defer.runsOwnBatch(t);
    }

    void checkNotFromCallback(String operation) {
        Thread t = Thread.currentThread();
        if (isDomainThread(t)) {
            throw new IllegalStateException(operation + " from '" + t.getName() + "', a thread of " + domain.name
                    + " that runs callbacks: it would wait for itself");
        }
    }

    /** Called by the domain's grace-period thread about every 100 ms: hands on batches left idle. */
    void drainIdleDeferBatches() {
        if (!stranded.isEmpty()) {
            stranded.retry();
        }
        defer.drainIdle();
    }

    boolean hasDeferredWork() {
        return defer.hasWork() || !stranded.isEmpty();
    }

    /** The defer batches (tests). */
    DeferBatches deferBatches() {
        return defer;
    }

    // ------------------------------------------------------------------ barrier, close, stats

    /** {@link CallbackBarrier#barrier}. */
    boolean barrier(long deadline) {
        return barrier.barrier(deadline);
    }

    /** Runs everything pending and stops every worker. Called by the domain's close after it stopped accepting. */
    void close() {
        barrier.close();
    }

    /** Called by the domain's close right after it is CLOSED: runs what was stranded since {@link #close()}. */
    void closed() {
        stranded.runAll();
    }

    RcuStats stats(long gracePeriods, long meanGp, long maxGp, long stallReports) {
        return budget.stats(gracePeriods, meanGp, maxGp, stallReports, defer.size() + stranded.weight());
    }

    // ------------------------------------------------------------------ CallbackWorkers: the registry's

    @Override
    public CallbackWorker defaultWorker() {
        return registry.defaultWorker();
    }

    @Override
    public CallbackWorker newWorker(WorkerOptions options) {
        return registry.newWorker(options);
    }

    @Override
    public void setThreadWorker(CallbackWorker worker) {
        registry.setThreadWorker(worker);
    }

    @Override
    public CallbackWorker threadWorker() {
        return registry.threadWorker();
    }

    @Override
    public boolean setCpuWorker(int cpu, CallbackWorker worker) {
        return registry.setCpuWorker(cpu, worker);
    }

    @Override
    public CallbackWorker cpuWorker(int cpu) {
        return registry.cpuWorker(cpu);
    }

    @Override
    public void createAllCpuWorkers(WorkerOptions options) {
        registry.createAllCpuWorkers(options);
    }

    /** {@link #createAllCpuWorkers(WorkerOptions)} for the CPUs {@code allowed} (tests pass their own). */
    void createAllCpuWorkers(WorkerOptions options, int[] allowed) {
        registry.createAllCpuWorkers(options, allowed);
    }

    @Override
    public void freeAllCpuWorkers() {
        registry.freeAllCpuWorkers();
    }

    @Override
    public CallbackWorker currentWorker() {
        return registry.currentWorker();
    }

    // ------------------------------------------------------------------ callback kinds

    static final class RunnableCallback extends RcuCallback {
        private final Runnable task;

        RunnableCallback(Runnable task) {
            this.task = Objects.requireNonNull(task, "callback");
        }

        @Override
        protected void invoke() {
            task.run();
        }

        @Override
        public String toString() {
            return "callback " + task;
        }
    }

    private static final class RetireCallback<T> extends RcuCallback {
        private final T object;
        private final Consumer<? super T> reclaimer;

        RetireCallback(T object, Consumer<? super T> reclaimer) {
            this.object = object;
            this.reclaimer = Objects.requireNonNull(reclaimer, "reclaimer");
        }

        @Override
        protected void invoke() {
            reclaimer.accept(object);
        }
    }

    private static final class CloseCallback extends RcuCallback {
        private final AutoCloseable resource;

        CloseCallback(AutoCloseable resource) {
            this.resource = Objects.requireNonNull(resource, "resource");
        }

        @Override
        protected void invoke() {
            try {
                resource.close();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new UncheckedIOException(e instanceof IOException io ? io
                        : new IOException("close() of " + resource + " failed", e));
            }
        }
    }

    /** What {@link Rcu#workers()} shows: the registry's domain, worker count and pending callbacks. */
    @Override
    public String toString() {
        return registry.toString();
    }
}
