package io.jrcu;

import io.jrcu.internal.JfrEvents;
import io.jrcu.internal.NativeCpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A callback helper thread: {@link CallbackWorker}'s implementation.
 */
final class Worker implements CallbackWorker {
    /*
     * Overview (liburcu call_rcu_thread; QEMU's batching).
     *
     *   loop:  batch = queue.takeAll()
     *          empty:   real-time: poll (spin, yield, short park); else sleeping = true, re-check, park
     *          small:   wait up to maxDelay for minBatch (unless expedited), taking more
     *          cookie = domain's next grace period; wait for it (shared with concurrent synchronize callers)
     *          run the batch in FIFO order, each callback outside any lock; failures to the error handler
     *          pending -= batch
     *
     * Closing (nothing lost, nothing run twice, including producers racing the close):
     *   state OPEN -> CLOSING (new callbacks refused; the thread drains until the queue is empty)
     *         -> TERMINATED (set by the thread, which then drains once more).
     *   A producer enqueues, then reads the state; if it reads TERMINATED, a short-lived rescue thread drains the
     *   queue (the producer itself may be inside a read section and must not wait). The producer's exchange and the
     *   thread's TERMINATED store are both volatile, and each then reads the other's variable, so at least one of
     *   them sees the callback; takeAll runs under `consumerLock`, so at most one of them takes it. Only takeAll is
     *   under that lock: grace-period waits and callbacks run outside every lock.
     *
     * Starting: Callbacks registers a worker only after its thread started, so nothing can be queued on a worker
     * whose start fails. `launch` decides once whether the task runs: the task's CAS PENDING -> RUNNING, or the
     * failed start's CAS PENDING -> REFUSED (a task that runs after that returns at once). A start() that threw after
     * the task began (a thread subclass) closes the worker instead; it holds nothing and ends by itself. A thread
     * that ends without running the task leaves its worker registered after the join: endOrphaned ends it then.
     *
     * Pairing table:
     *   producer XCHG (enqueue), then volatile load of `sleeping`  <->  worker volatile store sleeping=true, then
     *                                                                  volatile load of the tail (isEmpty)
     *   producer XCHG, then volatile load of `state`  <->  worker volatile store TERMINATED, then takeAll
     *   task's CAS of `launch`  <->  the failed start's (or endOrphaned's) CAS of `launch`: one of them wins
     *   `pending` is an AtomicLong: producers add, the worker subtracts a whole batch.
     */

    static final int OPEN = 0, CLOSING = 1, TERMINATED = 2;
    private static final int LAUNCH_PENDING = 0, LAUNCH_RUNNING = 1, LAUNCH_REFUSED = 2;
    private static final long RT_POLL_NANOS = 100_000;

    private static final VarHandle QUEUED;
    private static final VarHandle STATE;
    private static final VarHandle LAUNCH;

    static {
        try {
            QUEUED = MethodHandles.lookup().findVarHandle(RcuCallback.class, "queued", int.class);
            STATE = MethodHandles.lookup().findVarHandle(Worker.class, "state", int.class);
            LAUNCH = MethodHandles.lookup().findVarHandle(Worker.class, "launch", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Callbacks callbacks;
    final AbstractRcu<?> domain;
    final WorkerOptions options;
    final boolean isDefault;
    private final CallbackQueue queue = new CallbackQueue();
    private final Thread thread;
    private final Object consumerLock = new Object();
    private final RcuCallback[] lastOut = new RcuCallback[1];
    final AtomicLong pending = new AtomicLong();

    private volatile int state = OPEN;
    /** Whether the task runs: LAUNCH_PENDING until the task or a failed start claims it (see the overview). */
    @SuppressWarnings("unused") // through LAUNCH
    private volatile int launch = LAUNCH_PENDING;
    private volatile boolean sleeping;
    /** Barriers whose marker has not run yet: while any is pending, batches do not wait to grow. */
    private final AtomicInteger barriersWaiting = new AtomicInteger();
    /** True while the worker parks waiting for a fuller batch; only then does expedite() need to wake it. */
    private volatile boolean batching;

    /**
     * A worker with its thread made but not started; {@code name} is the thread's name.
     *
     * @throws IllegalStateException if the options' thread factory throws or returns {@code null} (the cause)
     */
    Worker(Callbacks callbacks, WorkerOptions options, String name, boolean isDefault) {
        this.callbacks = callbacks;
        this.domain = callbacks.domain;
        this.options = options;
        this.isDefault = isDefault;
        Runnable body = this::run;
        Thread t;
        try {
            t = options.threadFactory() != null ? options.threadFactory().newThread(body)
                    : Thread.ofPlatform().daemon().unstarted(body);
            if (t == null) {
                throw new NullPointerException("thread factory " + options.threadFactory() + " returned null");
            }
            t.setName(name);
        } catch (RuntimeException | Error e) {
            throw notStarted(name, e);
        }
        this.thread = t;
    }

    /**
     * Starts the thread. If {@code Thread.start()} throws, or the thread is not alive after it (a thread that does
     * not run its task), the worker never runs: its task returns at once should it run later, or, if it already runs,
     * the worker closes (nothing can be queued on it yet) and its thread ends by itself.
     *
     * @throws IllegalStateException if the thread did not start; the cause is the failure
     */
    void start() {
        Throwable failure;
        try {
            thread.start();
            if (thread.isAlive()) {
                return;
            }
            failure = new IllegalStateException("its thread " + thread + " is not alive after start()");
        } catch (RuntimeException | Error e) {  // OutOfMemoryError "unable to create native thread" among them
            failure = e;
        }
        if (!LAUNCH.compareAndSet(this, LAUNCH_PENDING, LAUNCH_REFUSED)) {  // volatile; partner: run()'s CAS
            beginClose();  // the task runs although start() threw: it ends at once, holding nothing
        }
        throw notStarted(thread.getName(), failure);
    }

    private IllegalStateException notStarted(String name, Throwable cause) {
        return new IllegalStateException("the thread of callback worker '" + name + "' of " + domain.name
                + " could not be made or started (" + cause + "); no worker was created", cause);
    }

    @Override
    public Thread thread() {
        return thread;
    }

    @Override
    public long pending() {
        return pending.get();
    }

    boolean isOpen() {
        return state == OPEN;
    }

    @Override
    public void call(Runnable callback) {
        call(new Callbacks.RunnableCallback(callback));
    }

    @Override
    public void call(RcuCallback callback) {
        java.util.Objects.requireNonNull(callback, "callback");
        if (state != OPEN) {
            throw new IllegalStateException("call() on callback worker '" + thread.getName() + "' of "
                    + domain.name + ", which is closed");
        }
        callbacks.accept(callback, this);
    }

    /** Claims {@code cb} for queueing; throws if it is queued already. */
    static void claim(RcuCallback cb) {
        if (!QUEUED.compareAndSet(cb, 0, 1)) {  // volatile CAS; reset by the worker just before invoke
            throw new IllegalStateException("RcuCallback " + cb + " is already queued");
        }
    }

    /** Undoes {@link #claim} for a callback that was refused. */
    static void unclaim(RcuCallback cb) {
        QUEUED.setRelease(cb, 0);
    }

    /**
     * Queues a claimed callback (pending already counted by the caller). Returns {@code false}, queueing nothing, if
     * this worker no longer takes callbacks; the caller routes elsewhere.
     */
    boolean enqueue(RcuCallback cb) {
        if (state != OPEN && !callbacks.isDomainThread(Thread.currentThread())) {
            return false;  // closing: external producers are routed elsewhere; callbacks may still chain
        }
        pending.getAndAdd(cb.weight());
        queue.enqueue(cb);      // volatile XCHG; then the volatile loads below (see the pairing table)
        if (state == TERMINATED) {
            rescue();
        } else if (!options.realTime() && sleeping) {
            LockSupport.unpark(thread);
        }
        return true;
    }

    /** Ends a wait for a fuller batch (the domain went over budget; the wait re-checks the budget). */
    void expedite() {
        if (batching) {        // volatile; Dekker with awaitFullerBatch (it sets batching, then re-checks)
            LockSupport.unpark(thread);
        }
    }

    /**
     * Queues a barrier marker: until it has run, batches do not wait to grow. The count is raised before the marker
     * is queued, so the batch that takes the marker sees it; the marker lowers it when it runs.
     *
     * @return {@code false} if this worker no longer takes callbacks
     */
    boolean enqueueBarrier(RcuCallback marker) {
        barriersWaiting.incrementAndGet();
        if (!enqueue(marker)) {
            barriersWaiting.decrementAndGet();
            return false;
        }
        expedite();
        return true;
    }

    void barrierMarkerRan() {
        barriersWaiting.decrementAndGet();
    }

    // ------------------------------------------------------------------ the thread

    private void run() {
        if (!LAUNCH.compareAndSet(this, LAUNCH_PENDING, LAUNCH_RUNNING)) {  // volatile; partner: start()'s CAS
            return;   // the start failed (or the worker was ended without its thread): this task never runs
        }
        if (options.cpuAffinity() >= 0) {
            NativeCpu.pinCurrentThread(options.cpuAffinity());
        }
        try {
            while (true) {
                try {
                    if (!drainOnce()) {
                        if (state != OPEN) {
                            break;
                        }
                        idle();
                    }
                } catch (Throwable t) {
                    domain.errorHandler.accept(t);  // callbacks' own failures are caught per callback; this is
                                                    // anything else (an Error in a wait): keep the worker alive
                }
            }
            state = TERMINATED;   // volatile; then the final drain (partner: producers' load of state)
            while (drainOnce()) {
                // callbacks queued by producers that raced the close
            }
        } finally {
            callbacks.workerTerminated(this);
        }
    }

    private void idle() {
        if (options.realTime()) {
            for (int i = 0; i < 64 && queue.isEmpty(); i++) {
                Thread.onSpinWait();
            }
            if (queue.isEmpty() && state == OPEN) {
                LockSupport.parkNanos(this, RT_POLL_NANOS);
            }
        } else {
            sleeping = true;  // volatile; then the volatile load of the tail (Dekker with enqueue)
            if (queue.isEmpty() && state == OPEN) {
                LockSupport.park(this);
            }
            sleeping = false;
        }
        Thread.interrupted(); // interrupts do not stop a worker; close() does
    }

    /**
     * Takes a batch (waiting for more if it is small), waits for a grace period, runs it. Only taking the batch is
     * under consumerLock (takeAll must be exclusive); the wait and the callbacks run outside any lock.
     */
    private boolean drainOnce() {
        RcuCallback first;
        RcuCallback last;
        synchronized (consumerLock) {
            first = queue.takeAll(lastOut);
            if (first == null) {
                return false;
            }
            last = lastOut[0];
            if (Thread.currentThread() == thread) {
                last = awaitFullerBatch(first, last);
            }
        }
        runBatch(first, last);
        return true;
    }

    /** QEMU-style batching: a small batch waits up to maxDelay for minBatch callbacks, unless expedited. */
    private RcuCallback awaitFullerBatch(RcuCallback first, RcuCallback last) {
        int count = count(first, last, options.minBatch());
        long delayNanos = AbstractRcu.saturatedNanos(options.maxDelay());
        if (count < options.minBatch() && delayNanos > 0 && state == OPEN) {
            long deadline = System.nanoTime() + delayNanos;
            batching = true;   // volatile, then the loads in the loop condition (Dekker with expedite())
            while (count < options.minBatch() && barriersWaiting.get() == 0 && !callbacks.overBudget()
                    && state == OPEN) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                LockSupport.parkNanos(this, Math.min(left, 1_000_000));
                RcuCallback more = queue.takeAll(lastOut);
                if (more != null) {
                    setNext(last, more);
                    count += count(more, lastOut[0], options.minBatch());
                    last = lastOut[0];
                }
            }
            batching = false;
            RcuCallback more = queue.takeAll(lastOut);  // what the request that ended the wait queued (a marker)
            if (more != null) {
                setNext(last, more);
                last = lastOut[0];
            }
        }
        return last;
    }

    private void runBatch(RcuCallback first, RcuCallback last) {
        long start = System.nanoTime();
        domain.awaitGracePeriodInternal();
        int ran = 0;
        int failedTotal = 0;
        int failed = 0;
        int weight = 0;
        for (RcuCallback n = first; n != null; ) {
            RcuCallback next = CallbackQueue.next(n, last);  // read before invoke: the callback may re-queue itself
            if (n.internal()) {
                settle(weight, failed);  // a barrier marker: what ran before it is accounted before it releases
                weight = 0;
                failed = 0;
            } else {
                weight += n.weight();
                ran += n.weight();  // a defer batch stands for its callbacks
            }
            QUEUED.setRelease(n, 0);  // release; the callback may be queued again from here on
            int f = callbacks.invoke(n);
            failed += f;
            failedTotal += f;
            n = next;
        }
        settle(weight, failed);
        JfrEvents.callbackBatch(domain.name, thread.getName(), ran, failedTotal, start);
    }

    private void settle(int weight, int failed) {
        if (weight != 0 || failed != 0) {
            pending.getAndAdd(-weight);
            callbacks.afterBatch(weight, failed);
        }
    }

    private static void setNext(RcuCallback n, RcuCallback next) {
        n.next = next;  // consumer-owned node: no producer writes it any more
    }

    /** Counts a taken chain, stopping at {@code limit} (only "is the batch big enough yet" matters). */
    private static int count(RcuCallback first, RcuCallback last, int limit) {
        int c = 1;
        for (RcuCallback n = first; n != last && c < limit; n = CallbackQueue.next(n, last)) {
            c++;
        }
        return c;
    }

    /**
     * A producer saw TERMINATED after its enqueue. The producer may be inside a read section, so it must not wait
     * for a grace period itself: a short-lived domain thread drains the queue instead (exclusive with the final
     * drain through consumerLock; a rescue that finds the queue empty does nothing).
     */
    private void rescue() {
        try {
            callbacks.startRescue(() -> {
                while (drainOnce()) {
                    // run what the terminated worker can no longer take
                }
            }, thread.getName());
        } catch (RuntimeException | Error noThread) {
            strandQueue();  // no thread could start: Callbacks keeps the callbacks for someone who can run them
        }
    }

    /** Hands everything queued to {@link Callbacks#strand} (exclusive with the drains through consumerLock). */
    private void strandQueue() {
        RcuCallback first;
        RcuCallback last;
        synchronized (consumerLock) {
            first = queue.takeAll(lastOut);
            last = lastOut[0];
        }
        for (RcuCallback n = first; n != null; ) {
            RcuCallback next = CallbackQueue.next(n, last);  // read first: once stranded, n may run and be re-queued
            pending.getAndAdd(-n.weight());
            callbacks.strand(n);
            n = next;
        }
    }

    /**
     * Ends a worker whose thread ended without running it to its end (a thread factory's thread that did not run
     * the task it was given): the task, should it still run somewhere, returns at once; producers from now on find
     * the worker terminated (and rescue what they queue); the calling thread, which may block, runs what is queued.
     * Called after the thread was joined, with the worker still registered.
     */
    void endOrphaned() {
        LAUNCH.compareAndSet(this, LAUNCH_PENDING, LAUNCH_REFUSED);  // volatile; partner: run()'s CAS
        state = TERMINATED;   // volatile; then the drain below (partner: producers' load of state in enqueue)
        callbacks.workerTerminated(this);
        Thread me = Thread.currentThread();
        callbacks.enterCallbackContext(me);  // its callbacks run here: barrier()/close() from them must throw
        try {
            while (drainOnce()) {
                // the orphaned queue, after a grace period per batch
            }
        } finally {
            callbacks.exitCallbackContext(me);
        }
    }

    // ------------------------------------------------------------------ closing

    @Override
    public void close() {
        if (isDefault) {
            throw new IllegalStateException("close() of the default callback worker of " + domain.name
                    + ": it lives as long as the domain (close the domain instead)");
        }
        closeWorker();
    }

    void closeWorker() {
        callbacks.checkNotFromCallback("CallbackWorker.close()");
        domain.checkCanBlock("CallbackWorker.close()");  // its grace periods would wait for the caller's section
        beginClose();
        LockSupport.unpark(thread);
        boolean token = domain.beforeBlocking();            // QSBR: a quiescent state of the caller
        try {
            callbacks.awaitEnd(this, AbstractRcu.NO_DEADLINE);
        } finally {
            domain.afterBlocking(token);
        }
    }

    /** Starts closing without waiting (the domain closes all workers at once, then joins them). */
    void beginClose() {
        STATE.compareAndSet(this, OPEN, CLOSING);  // volatile; a terminated worker stays terminated
        LockSupport.unpark(thread);
    }

    @Override
    public String toString() {
        return "CallbackWorker[" + thread.getName() + ", pending " + pending.get()
                + (state == OPEN ? "" : state == CLOSING ? ", closing" : ", closed") + "]";
    }
}
