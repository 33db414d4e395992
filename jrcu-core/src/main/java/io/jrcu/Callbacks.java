package io.jrcu;

import io.jrcu.internal.NativeCpu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A domain's callback machinery, written once for every flavor: routing to workers, the garbage budget and
 * backpressure, barrier, defer batches, statistics, and closing. {@link CallbackWorkers} is its public face.
 */
final class Callbacks implements CallbackWorkers {
    /*
     * Overview.
     *
     * Routing (liburcu get_call_rcu_data): thread's worker, else the current CPU's, else the default worker; closed
     * workers are skipped. The thread-local and the CPU lookup are skipped until a thread or CPU worker has ever
     * been set (two volatile flags), so the common case costs one load.
     *
     * Budget: pending = the sum of the workers' pending counters (each an AtomicLong the producers of that worker add
     * to and the worker subtracts whole batches from). A call that finds pending >= budget expedites every worker and
     * applies the policy; callers that must not block (inside a read section of this domain or holding a bulletProof
     * token they opened, or running on a domain thread) overshoot instead, counted. Slack: each producer can be past
     * the check with one callback (or one defer batch) in flight, plus the overshoots.
     *
     * Barrier: flush the defer batches, run the stranded callbacks, post one marker to every worker and wait for all;
     * a worker that is closing is awaited instead (its close runs everything queued before). Markers are internal
     * callbacks: not counted.
     *
     * Close (called by the domain after it stopped accepting outside work): flush defer batches, close every worker
     * at once and join them. Callbacks running during the close may still queue more (their threads are domain
     * threads); queueing onto a terminated worker starts a short-lived rescue thread. The close waits until no
     * worker or rescue thread is alive.
     *
     * Threads that cannot start (a thread factory that fails, OutOfMemoryError "unable to create native thread"):
     * a worker is registered (in `workers`, counted in liveConsumers, its thread in domainThreads) only after its
     * task began on a thread (Worker.start's handshake), so a failed start, or a thread that ends without running the
     * task, leaves nothing behind and nothing was queued on it; newWorker, and a call() that had to make the default
     * worker, fail with the cause. Every registered worker therefore runs, and ends once it closes: awaiting its end
     * (its task deregisters it) never waits for a worker that cannot end, and close never goes round one again and
     * again. Accepted work (defer batches, a terminated worker's queue) is never dropped: without a worker it goes to
     * a rescue thread, and without any thread to `stranded`, which barrier and close run on their own thread and the
     * domain thread hands on to a worker later. What is stranded once the domain is closed runs at once on the thread
     * that stranded it or on the closer, whichever comes later (a Dekker pair: the add, then the load of lifecycle
     * <-> the closer's store of CLOSED, then its runStranded); the close's final grace period covers it.
     */

    final AbstractRcu<?> domain;
    final long budget;
    final Backpressure backpressure;
    private final DeferBatches defer;

    private final Object workersLock = new Object();
    /** Every live worker (default included once created); replaced under workersLock. */
    private volatile Worker[] workers = new Worker[0];
    private volatile Worker defaultWorker;
    private final ThreadLocal<Worker> threadWorkers = new ThreadLocal<>();
    private volatile boolean threadWorkersUsed;
    /** Per-CPU workers, indexed by CPU id; made on first use (sizing it needs NativeCpu's native calls). */
    private volatile AtomicReferenceArray<Worker> cpuWorkers;
    private volatile boolean cpuWorkersUsed;
    /** How many workers got a generated name (a worker whose start failed takes no number); under workersLock. */
    private int workerNumbers;

    /** Worker and rescue threads: callbacks run on them. */
    private final Set<Thread> domainThreads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger liveConsumers = new AtomicInteger();
    private final ReentrantLock waitLock = new ReentrantLock();
    private final Condition changed = waitLock.newCondition();
    private volatile int blockedProducers;

    private final AtomicLong invoked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final LongAdder backpressureEvents = new LongAdder();
    private final LongAdder overshoots = new LongAdder();
    private volatile long peakPending;
    /** Full defer batches their filler is running (barrier waits for them); under waitLock for waiting. */
    private final AtomicInteger callerBatches = new AtomicInteger();
    /** Rescue threads running callbacks that missed a closing worker (barrier waits for them). */
    private final AtomicInteger liveRescues = new AtomicInteger();
    /** Set at the end of close(): a defer() that sees it flushes its own callback (to a rescue thread). */
    private volatile boolean deferClosed;
    /**
     * Accepted callbacks that no thread could be started for (see the overview). Taken under strandedLock, so that a
     * barrier finds each either here or already queued on a worker. Not counted against the budget.
     */
    private final ConcurrentLinkedQueue<RcuCallback> stranded = new ConcurrentLinkedQueue<>();
    final Object strandedLock = new Object();
    /** Makes rescue threads; tests replace it (before the domain is used) to make their start fail. */
    ThreadFactory rescueThreads = Thread.ofPlatform().daemon().factory();

    Callbacks(AbstractRcu<?> domain, long budget, Backpressure backpressure) {
        this.domain = domain;
        this.budget = budget;
        this.backpressure = backpressure;
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
        if (deferClosed) {   // volatile; Dekker with close(): its last flush or this one sees the callback
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
        long pending = pending();
        if (pending >= budget && !overBudget(cb)) {
            return;  // ran by the caller
        }
        if (pending + 1 > peakPending) {
            peakPending = pending + 1;  // racy maximum: a statistic
        }
        if (target != null && target.enqueue(cb)) {
            return;
        }
        try {
            if (!enqueueRouted(cb)) {
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
     * domain closed) it runs on a rescue thread, and if no thread can start at all it is stranded (see the overview).
     */
    void route(RcuCallback cb) {
        boolean queued;
        try {
            queued = enqueueRouted(cb);
        } catch (IllegalStateException noDefaultWorker) {
            queued = false;  // its thread could not start (nothing of it remains): run the callback elsewhere
        }
        if (!queued) {
            try {
                startLateCall(cb);
            } catch (RuntimeException | Error noThread) {
                strand(cb);
            }
        }
    }

    /**
     * Queues {@code cb} on the calling thread's worker, else its CPU's, else the default worker; {@code false} if
     * none takes callbacks any more (the domain closed).
     *
     * @throws IllegalStateException if the default worker had to be made and its thread could not start
     */
    private boolean enqueueRouted(RcuCallback cb) {
        Worker w = currentWorkerInternal();
        if (w != null && w.enqueue(cb)) {
            return true;
        }
        Worker fallback = defaultWorkerInternal();
        return fallback != null && fallback.enqueue(cb);
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
            afterBatch(cb.weight(), invoke(cb));
        }, "late-call");
    }

    /** Keeps an accepted callback that no thread could be started for (see the overview). */
    void strand(RcuCallback cb) {
        addStranded(cb);
        strandsAdded();
    }

    /** Adds to the stranded callbacks; the caller then calls {@link #strandsAdded()} outside its locks. */
    void addStranded(RcuCallback cb) {
        stranded.add(cb);   // volatile CAS; then the load of lifecycle in strandsAdded (Dekker with closed())
    }

    /**
     * After callbacks were stranded: on a closed domain runs them now (see the overview), unless the caller is the
     * domain thread's retryStranded (it holds strandedLock; the closer's runStranded waits for it and runs them);
     * else wakes the domain thread, whose idle pass hands them on to a worker.
     */
    void strandsAdded() {
        if (domain.isClosed()) {   // volatile load of lifecycle; partner: the closer's store of CLOSED
            if (!Thread.holdsLock(strandedLock)) {
                runStranded();
            }
            return;
        }
        try {
            domain.wakeForDeferredWork();
        } catch (RuntimeException | Error noThread) {
            // no domain thread either: barrier and close still run them
        }
    }

    /** Called by the domain's close right after it is CLOSED: runs what was stranded since {@link #close()}. */
    void closed() {
        runStranded();
    }

    /** The domain thread's idle pass: every stranded callback is routed again (and may be stranded again). */
    private void retryStranded() {
        synchronized (strandedLock) {
            for (int n = stranded.size(); n > 0; n--) {
                RcuCallback cb = stranded.poll();
                if (cb == null) {
                    break;
                }
                route(cb);
            }
        }
    }

    /**
     * Runs the stranded callbacks on the calling thread (barrier, close: it may block) after a grace period, or at
     * once on a closed domain (its close's final grace period covered every section, and none opens after it);
     * returns whether there were any.
     */
    private boolean runStranded() {
        if (stranded.isEmpty()) {
            return false;
        }
        List<RcuCallback> taken = new ArrayList<>();
        synchronized (strandedLock) {
            for (RcuCallback cb = stranded.poll(); cb != null; cb = stranded.poll()) {
                taken.add(cb);
            }
        }
        if (taken.isEmpty()) {
            return false;
        }
        if (!domain.isClosed()) {
            domain.awaitGracePeriodInternal();
        }
        Thread me = Thread.currentThread();
        enterCallbackContext(me);  // they run here: barrier()/close() from them must throw
        try {
            for (RcuCallback cb : taken) {
                cb.unclaim();  // release; it may be queued again from here on
                afterBatch(cb.weight(), invoke(cb));
            }
        } finally {
            exitCallbackContext(me);
        }
        return true;
    }

    /** Whether the domain holds more pending callbacks than its budget. */
    boolean overBudget() {
        return pending() >= budget;
    }

    long pending() {
        long sum = 0;
        for (Worker w : workers) {
            sum += w.pending.get();
        }
        return sum;
    }

    /** Applies backpressure; returns {@code false} if the callback was consumed (run by the caller). */
    private boolean overBudget(RcuCallback cb) {
        backpressureEvents.increment();
        for (Worker w : workers) {
            w.expedite();
        }
        if (isDomainThread(Thread.currentThread()) || domain.callerHoldsSection()) {  // the cheap check first
            overshoots.increment();  // never block a reader (deadlock) or a worker (it is the one draining)
            return true;
        }
        switch (backpressure) {
            case CALLER_RUNS -> {
                domain.awaitGracePeriodInternal();  // for QSBR a quiescent state of the caller
                cb.unclaim();
                int f = invoke(cb);
                invoked.incrementAndGet();
                if (f != 0) {
                    failed.incrementAndGet();
                }
                return false;
            }
            case BLOCK -> {
                awaitBelowBudget();
                return true;
            }
            default -> {
                cb.unclaim();
                throw new RejectedExecutionException("callback refused by " + domain.name + ": "
                        + pending() + " callbacks pending, budget " + budget + " (Backpressure.THROW)");
            }
        }
    }

    private void awaitBelowBudget() {
        boolean token = domain.beforeBlocking();
        waitLock.lock();
        try {
            blockedProducers++;
            while (pending() >= budget && domain.isOpen()) {
                changed.awaitUninterruptibly();
            }
        } finally {
            blockedProducers--;
            waitLock.unlock();
            domain.afterBlocking(token);
        }
    }

    /** Runs one callback (outside any lock); returns 1 if it threw. */
    int invoke(RcuCallback cb) {
        if (cb instanceof DeferBatches.Batch batch) {
            return batch.runAll(this);
        }
        try {
            cb.invoke();
            return 0;
        } catch (Throwable t) {
            return failed(t);
        }
    }

    /** Runs one deferred callback (outside any lock); returns 1 if it threw. */
    int run(Runnable task) {
        try {
            task.run();
            return 0;
        } catch (Throwable t) {
            return failed(t);
        }
    }

    /** Hands a callback's failure to the error handler; returns 1 (one callback failed). */
    private int failed(Throwable t) {
        try {
            domain.errorHandler.accept(t);
        } catch (Throwable ignored) {
            // a failing error handler must not kill the worker
        }
        return 1;
    }

    /** Called by a worker after each batch: {@code weight} user callbacks ran, {@code failures} threw. */
    void afterBatch(int weight, int failures) {
        if (weight > 0) {
            invoked.addAndGet(weight);
        }
        if (failures > 0) {
            failed.addAndGet(failures);
        }
        if (blockedProducers > 0) {
            waitLock.lock();
            try {
                changed.signalAll();
            } finally {
                waitLock.unlock();
            }
        }
    }

    // ------------------------------------------------------------------ workers

    @Override
    public CallbackWorker defaultWorker() {
        Worker w = defaultWorker;
        if (w == null) {
            domain.checkOpen("defaultWorker()");
        }
        return defaultWorkerInternal();
    }

    /**
     * The default worker, created on first use; also while the domain closes (its close flushes through it), but
     * never once it is closed ({@code null} then: no thread may outlive the domain).
     *
     * @throws IllegalStateException if it had to be made and its thread could not be made or started (nothing of
     *                               it remains; the next call tries again)
     */
    Worker defaultWorkerInternal() {
        Worker w = defaultWorker;
        if (w != null) {
            return w;
        }
        synchronized (workersLock) {
            if (defaultWorker == null && !domain.isClosed()) {
                defaultWorker = addWorker(domain.defaultWorkerOptions, true);
            }
            return defaultWorker;
        }
    }

    @Override
    public CallbackWorker newWorker(WorkerOptions options) {
        Objects.requireNonNull(options, "options");
        synchronized (workersLock) {
            domain.checkOpen("newWorker()");
            return addWorker(options, false);
        }
    }

    /**
     * Makes a worker, starts its thread, then registers it (called under workersLock). A worker whose thread cannot
     * be made or started is never registered, so nothing was queued on it.
     *
     * @throws IllegalArgumentException if the options' CPU is not one of this machine's
     * @throws IllegalStateException    if the thread could not be made or started (the cause)
     */
    private Worker addWorker(WorkerOptions options, boolean isDefault) {
        NativeCpu.checkCpu(options.cpuAffinity());
        boolean numbered = options.threadName().isEmpty();
        String name = numbered ? "jrcu-callbacks-" + domain.name + "-" + (workerNumbers + 1) : options.threadName();
        Worker w = new Worker(this, options, name, isDefault);
        w.start();
        if (numbered) {
            workerNumbers++;   // only now: a worker that failed to start leaves no gap in the names
        }
        domainThreads.add(w.thread());  // before anything can be queued on it: it runs nothing until then
        liveConsumers.incrementAndGet();
        Worker[] a = Arrays.copyOf(workers, workers.length + 1);
        a[a.length - 1] = w;
        workers = a;
        return w;
    }

    /** Deregisters {@code w} (once: a worker that was never registered, or was already, is left alone). */
    void workerTerminated(Worker w) {
        synchronized (workersLock) {
            Worker[] a = workers;
            int i = Arrays.asList(a).indexOf(w);
            if (i < 0) {
                return;
            }
            Worker[] b = new Worker[a.length - 1];
            System.arraycopy(a, 0, b, 0, i);
            System.arraycopy(a, i + 1, b, i, a.length - i - 1);
            workers = b;
        }
        consumerEnded(w.thread());
    }

    private boolean isRegistered(Worker w) {
        synchronized (workersLock) {
            return Arrays.asList(workers).contains(w);
        }
    }

    /**
     * Starts a short-lived domain thread that runs {@code body} (draining a terminated worker's queue). If the
     * thread cannot be made or started, this throws what failed, and nothing of the thread remains.
     */
    void startRescue(Runnable body, String what) {
        Thread t = rescueThreads.newThread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                domain.errorHandler.accept(e);
            } finally {
                liveRescues.decrementAndGet();
                consumerEnded(Thread.currentThread());
            }
        });
        t.setName("jrcu-rescue-" + domain.name + "-" + what);
        liveConsumers.incrementAndGet();
        liveRescues.incrementAndGet();
        domainThreads.add(t);
        try {
            t.start();
        } catch (RuntimeException | Error e) {
            liveRescues.decrementAndGet();
            consumerEnded(t);
            throw e;
        }
    }

    private void consumerEnded(Thread t) {
        domainThreads.remove(t);
        liveConsumers.decrementAndGet();
        waitLock.lock();
        try {
            changed.signalAll();
        } finally {
            waitLock.unlock();
        }
    }

    private Worker asWorker(CallbackWorker w) {
        if (w == null) {
            return null;
        }
        if (!(w instanceof Worker worker) || worker.callbacks != this) {
            throw new IllegalArgumentException(w + " is not a callback worker of " + domain.name);
        }
        return worker;
    }

    @Override
    public void setThreadWorker(CallbackWorker worker) {
        Worker w = asWorker(worker);
        if (w == null) {
            threadWorkers.remove();
        } else {
            threadWorkersUsed = true;
            threadWorkers.set(w);
        }
    }

    @Override
    public CallbackWorker threadWorker() {
        return threadWorkersUsed ? threadWorkers.get() : null;
    }

    @Override
    public boolean setCpuWorker(int cpu, CallbackWorker worker) {
        Worker w = asWorker(worker);
        if (cpu < 0 || cpu >= NativeCpu.cpuIdLimit()) {
            return false;
        }
        AtomicReferenceArray<Worker> a = cpuWorkers;
        if (a == null) {
            synchronized (workersLock) {
                a = cpuWorkers;
                if (a == null) {
                    a = new AtomicReferenceArray<>(NativeCpu.cpuIdLimit());
                    cpuWorkers = a;  // volatile; read by routing after cpuWorkersUsed, which is set after this
                }
            }
        }
        if (w != null) {
            cpuWorkersUsed = true;
        }
        a.set(cpu, w);
        return true;
    }

    @Override
    public CallbackWorker cpuWorker(int cpu) {
        AtomicReferenceArray<Worker> a = cpuWorkers;
        return a == null || cpu < 0 || cpu >= a.length() ? null : a.get(cpu);
    }

    @Override
    public void createAllCpuWorkers(WorkerOptions options) {
        createAllCpuWorkers(options, NativeCpu.allowedCpus());
    }

    /** {@link #createAllCpuWorkers(WorkerOptions)} for the CPUs {@code allowed} (tests pass their own). */
    void createAllCpuWorkers(WorkerOptions options, int[] allowed) {
        Objects.requireNonNull(options, "options");
        // a CPU id at or beyond cpuIdLimit() (hotplugged after the limit was read) is not one addWorker accepts
        int[] cpus = Arrays.stream(allowed).filter(cpu -> cpu < NativeCpu.cpuIdLimit()).toArray();
        Worker[] made = new Worker[cpus.length];
        int count = 0;
        try {
            for (int cpu : cpus) {
                made[count] = (Worker) newWorker(new WorkerOptions(options.realTime(), cpu, options.minBatch(),
                        options.maxDelay(), options.threadName().isEmpty() ? "" : options.threadName() + "-cpu" + cpu,
                        options.threadFactory()));
                count++;
            }
        } catch (RuntimeException | Error e) {
            for (int i = 0; i < count; i++) {
                made[i].beginClose();  // never routed to: they hold nothing and end by themselves
            }
            throw e;
        }
        for (int i = 0; i < cpus.length; i++) {
            setCpuWorker(cpus[i], made[i]);
        }
    }

    @Override
    public void freeAllCpuWorkers() {
        checkNotFromCallback("freeAllCpuWorkers()");
        domain.checkCanBlock("freeAllCpuWorkers()");  // before anything is detached: a refused call changes nothing
        AtomicReferenceArray<Worker> a = cpuWorkers;
        if (a == null) {
            return;
        }
        Worker[] old = new Worker[a.length()];
        for (int cpu = 0; cpu < old.length; cpu++) {
            old[cpu] = a.getAndSet(cpu, null);
        }
        for (Worker w : old) {
            if (w != null && !w.isDefault) {
                w.closeWorker();
            }
        }
    }

    @Override
    public CallbackWorker currentWorker() {
        return currentWorkerInternal();
    }

    private Worker currentWorkerInternal() {
        if (threadWorkersUsed) {
            Worker w = threadWorkers.get();
            if (w != null && w.isOpen()) {
                return w;
            }
        }
        if (cpuWorkersUsed) {
            AtomicReferenceArray<Worker> a = cpuWorkers;  // volatile; set before cpuWorkersUsed
            int cpu = NativeCpu.currentCpu();
            Worker w = cpu >= 0 && cpu < a.length() ? a.get(cpu) : null;
            if (w != null && w.isOpen()) {
                return w;
            }
        }
        return defaultWorkerInternal();
    }

    boolean isDomainThread(Thread t) {
        return domainThreads.contains(t) || domain.isGracePeriodThread(t) || defer.runsOwnBatch(t);
    }

    void checkNotFromCallback(String operation) {
        Thread t = Thread.currentThread();
        if (isDomainThread(t)) {
            throw new IllegalStateException(operation + " from '" + t.getName() + "', a thread of " + domain.name
                    + " that runs callbacks: it would wait for itself");
        }
    }

    // ------------------------------------------------------------------ barrier

    boolean barrier(long deadline) {
        checkNotFromCallback("barrier()");
        domain.checkCanBlock("barrier()");
        boolean token = domain.beforeBlocking();  // QSBR: a quiescent state of the caller
        try {
            defer.flushAll();
            runStranded();  // before the markers: what the domain thread hands on from there is queued before them
            Worker[] ws = workers;
            CountDownLatch latch = new CountDownLatch(ws.length);
            for (Worker w : ws) {
                // closing: its close runs everything queued before; wait for its end instead
                if (!w.enqueueBarrier(new BarrierMarker(latch, w))) {
                    if (!awaitEnd(w, deadline)) {
                        return false;
                    }
                    latch.countDown();
                }
            }
            return awaitUntil(latch, deadline) && awaitCallerBatches(deadline);
        } finally {
            domain.afterBlocking(token);
        }
    }

    /** A full defer batch was detached for its filler to run (called while its slot is still claimed). */
    void callerBatchStarted() {
        callerBatches.incrementAndGet();
    }

    /** The filler ran its batch: it stops counting as a thread that runs callbacks. */
    void callerBatchEnded() {
        callerBatches.decrementAndGet();
        waitLock.lock();
        try {
            changed.signalAll();
        } finally {
            waitLock.unlock();
        }
    }

    /** Marks the calling thread as running callbacks (barrier/close from them throw, budget never blocks them). */
    void enterCallbackContext(Thread t) {
        domainThreads.add(t);
    }

    void exitCallbackContext(Thread t) {
        domainThreads.remove(t);
    }

    /**
     * Waits until no full defer batch is still being run by its filler and no rescue thread runs callbacks (those
     * accepted before the barrier among them). Under a sustained flood of full batches this can wait for later ones
     * too; each ends after one grace period.
     */
    private boolean awaitCallerBatches(long deadline) {
        return awaitChange(() -> callerBatches.get() == 0 && liveRescues.get() == 0, deadline);
    }

    /**
     * Waits on {@code changed} until {@code done} holds or the deadline passes ({@code false}); keeps waiting
     * through interrupts and re-asserts the interrupt at the end. Whoever makes {@code done} true signals
     * {@code changed} under {@code waitLock}.
     */
    private boolean awaitChange(BooleanSupplier done, long deadline) {
        boolean interrupted = false;
        waitLock.lock();
        try {
            while (!done.getAsBoolean()) {
                if (deadline == AbstractRcu.NO_DEADLINE) {
                    changed.awaitUninterruptibly();
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    changed.awaitNanos(left);
                } catch (InterruptedException e) {
                    interrupted = true;  // keep waiting; re-asserted below
                }
            }
            return true;
        } finally {
            waitLock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static boolean awaitUntil(CountDownLatch latch, long deadline) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (deadline == AbstractRcu.NO_DEADLINE) {
                        latch.await();
                        return true;
                    }
                    return latch.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;  // keep waiting; re-asserted below
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static boolean joinUntil(Thread t, long deadline) {
        boolean interrupted = false;
        try {
            while (t.isAlive()) {
                try {
                    if (deadline == AbstractRcu.NO_DEADLINE) {
                        t.join();
                    } else {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            return false;
                        }
                        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            return true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Waits until {@code w} (which was asked to close) has ended: its task deregistered it (a registered worker's
     * task runs: see the overview), and its thread, where the factory's thread runs it, has ended; {@code false} if
     * the deadline passed first. Keeps waiting through interrupts (re-asserted at the end).
     */
    boolean awaitEnd(Worker w, long deadline) {
        // deregistered before consumerEnded signals `changed`
        if (!awaitChange(() -> !isRegistered(w), deadline)) {
            return false;
        }
        // its task has returned, or is about to: the thread ends with it (another thread that ran it is not ours)
        return !w.runsOnItsOwnThread() || joinUntil(w.thread(), deadline);
    }

    // ------------------------------------------------------------------ defer drain, close, stats

    /** Called by the domain's grace-period thread about every 100 ms: hands on batches left idle. */
    void drainIdleDeferBatches() {
        if (!stranded.isEmpty()) {
            retryStranded();
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

    /** Runs everything pending and stops every worker. Called by the domain's close after it stopped accepting. */
    void close() {
        // Callbacks running meanwhile may queue or defer more (or even make workers): repeat until nothing is
        // left, then close defer itself (a late defer() flushes its own callback to a rescue thread).
        // Each round ends every worker it saw (each registered worker runs, so each ends), so a round repeats only
        // for work queued meanwhile. What is stranded after the last round runs in closed().
        do {
            defer.flushAll();
            for (Worker[] ws = workers; ws.length > 0; ws = workers) {
                for (Worker w : ws) {
                    w.beginClose();
                }
                for (Worker w : ws) {
                    awaitEnd(w, AbstractRcu.NO_DEADLINE);
                }
            }
            awaitNoConsumers();
        } while (runStranded() || defer.size() > 0 || workers.length > 0);
        deferClosed = true;   // volatile; then the last flush (Dekker with defer())
        do {
            defer.flushAll();
            awaitNoConsumers();
        } while (runStranded());
    }

    private void awaitNoConsumers() {
        waitLock.lock();
        try {
            while (liveConsumers.get() > 0 || callerBatches.get() > 0) {
                changed.awaitUninterruptibly();
            }
        } finally {
            waitLock.unlock();
        }
    }

    RcuStats stats(long gracePeriods, long meanGp, long maxGp, long stallReports) {
        long pendingNow = pending() + defer.size() + strandedWeight();
        long ran = invoked.get();
        // accepted = ran + pending: no per-call counter on the hot path (refused callbacks were never accepted)
        return new RcuStats(gracePeriods, meanGp, maxGp, ran + pendingNow, ran, failed.get(), pendingNow,
                Math.max(peakPending, pendingNow), stallReports, backpressureEvents.sum(), overshoots.sum());
    }

    private long strandedWeight() {
        long n = 0;
        for (RcuCallback cb : stranded) {
            n += cb.weight();
        }
        return n;
    }

    void countOvershoot() {
        overshoots.increment();
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

    private static final class BarrierMarker extends RcuCallback {
        private final CountDownLatch latch;
        private final Worker worker;

        BarrierMarker(CountDownLatch latch, Worker worker) {
            this.latch = latch;
            this.worker = worker;
        }

        @Override
        protected void invoke() {
            worker.barrierMarkerRan();
            latch.countDown();
        }

        @Override
        boolean internal() {
            return true;
        }

        @Override
        int weight() {
            return 0;
        }
    }
}
