package io.jrcu;

import io.jrcu.internal.BackoffIdle;
import io.jrcu.internal.JfrEvents;
import io.jrcu.internal.NativeCpu;
import io.jrcu.internal.Uninterruptibly;
import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
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
     * Starting (a handshake): WorkerRegistry registers a worker only after start() saw its task begin, so nothing
     * can be queued on a worker that does not run. `launch` decides once whether the task runs: the task's CAS
     * PENDING -> RUNNING (it then publishes `runner`, the thread it runs on, and unparks the starter), or the failed
     * start's CAS PENDING -> REFUSED (a task that runs after that returns at once). start() waits until `runner` is
     * set, or until the thread is dead (ended, or never started by a start() that returned) with the task not begun:
     * then it refuses. A start() that threw after the task began (a thread subclass) closes the worker instead; it
     * holds nothing and ends by itself. `runner` is the worker's thread from then on (wake-ups, joins): a factory
     * that handed the task to another thread gets a worker that runs there.
     *
     * Pairing table:
     *   producer XCHG (enqueue), then volatile load of `sleeping`  <->  worker volatile store sleeping=true, then
     *                                                                  volatile load of the tail (isEmpty)
     *   producer XCHG, then volatile load of `state`  <->  worker volatile store TERMINATED, then takeAll
     *   task's CAS of `launch`  <->  the failed start's CAS of `launch`: one of them wins
     *   task's volatile store of `runner`, then unpark(starter)  <->  start()'s volatile load of `runner`, then park
     *   `pending` is an AtomicLong: producers add, the worker subtracts a whole batch.
     */

    static final int OPEN = 0, CLOSING = 1, TERMINATED = 2;
    private static final int LAUNCH_PENDING = 0, LAUNCH_RUNNING = 1, LAUNCH_REFUSED = 2;
    /** A real-time worker's poll of an empty queue: 64 spins, then one park of 100 us, per idle(). */
    private static final BackoffIdle REAL_TIME_POLL = new BackoffIdle(64, 0, 100_000, 100_000);
    /** How often start() looks whether a thread that has not begun the task yet is still alive. */
    private static final long LAUNCH_POLL_NANOS = 100_000;

    final Callbacks callbacks;
    final AbstractRcu<?> domain;
    final WorkerOptions options;
    final boolean isDefault;
    private final CallbackQueue queue = new CallbackQueue();
    /**
     * The thread the factory made, named after the worker; it names the worker. Usually also its runner, but a
     * factory may hand the task to another thread (see the overview).
     */
    private final Thread factoryThread;
    /** The thread that runs the task, once it began (the handshake; see the overview); {@code null} before. */
    private volatile Thread runner;
    /** The thread that made the worker: it waits in start() until the task begins, and the task unparks it. */
    private volatile Thread starter;
    private final Object consumerLock = new Object();
    private final RcuCallback[] lastOut = new RcuCallback[1];
    final AtomicLong pending = new AtomicLong();

    private static final VarHandle STATE = VarHandles.field(MethodHandles.lookup(), "state", int.class);
    private static final VarHandle LAUNCH = VarHandles.field(MethodHandles.lookup(), "launch", int.class);
    @SuppressWarnings("unused") // through STATE
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
        this.starter = Thread.currentThread();   // volatile; before the task can exist (read by run())
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
        this.factoryThread = t;
    }

    /**
     * Starts the thread and waits until it has begun the worker's task (the handshake; see the overview), so that
     * the worker is registered only with a thread that runs it. Keeps waiting through interrupts (re-asserted at the
     * end); a thread that stays alive without beginning its task keeps it waiting (the factory's contract is a
     * thread that runs its task). If {@code Thread.start()} throws, or the thread ends (or was not started) without
     * beginning the task, the worker never runs: its task returns at once should it run later, or, if it already
     * runs, the worker closes (nothing can be queued on it yet) and ends by itself.
     *
     * @throws IllegalStateException if the thread did not start, or ended without running its task (the cause)
     */
    void start() {
        try {
            factoryThread.start();
        } catch (RuntimeException | Error e) {  // OutOfMemoryError "unable to create native thread" among them
            if (!casLaunch(LAUNCH_PENDING, LAUNCH_REFUSED)) {  // volatile; partner: run()'s CAS
                beginClose();  // the task runs although start() threw: it ends at once, holding nothing
            }
            throw notStarted(factoryThread.getName(), e);
        }
        if (!awaitLaunch()) {
            throw notStarted(factoryThread.getName(), new IllegalStateException("its thread " + factoryThread
                    + " ended without running the worker's task"));
        }
    }

    /**
     * The handshake: waits until the task has begun ({@code true}), or refuses it once the thread is dead without
     * having begun it ({@code false}). Never judges by a live thread: only the task's own CAS says that it runs.
     */
    private boolean awaitLaunch() {
        // run() unparks; the timeout notices a death
        Uninterruptibly.await(this::launchDecided, nanos -> LockSupport.parkNanos(this, LAUNCH_POLL_NANOS),
                Uninterruptibly.NO_DEADLINE);
        return runner != null;   // volatile; null only when launchDecided refused the task
    }

    /** Whether the task began ({@code runner} set), or was refused here because its thread is dead. */
    private boolean launchDecided() {
        if (runner != null) {   // volatile; partner: run()'s store, then its unpark of starter
            return true;
        }
        // isAlive() false after start() returned is final: the thread ended, or start() did not start it.
        // volatile CAS; partner: run()'s CAS. Lost: the task runs (runner follows)
        return !factoryThread.isAlive() && casLaunch(LAUNCH_PENDING, LAUNCH_REFUSED);
    }

    private boolean casLaunch(int expected, int value) {
        return LAUNCH.compareAndSet(this, expected, value);
    }

    private int lvState() {
        return (int) STATE.getVolatile(this);
    }

    private void svState(int value) {
        STATE.setVolatile(this, value);
    }

    private boolean casState(int expected, int value) {
        return STATE.compareAndSet(this, expected, value);
    }

    private IllegalStateException notStarted(String name, Throwable cause) {
        return new IllegalStateException("the thread of callback worker '" + name + "' of " + domain.name
                + " could not be made or started (" + cause + "); no worker was created", cause);
    }

    /** The thread that runs the worker (see the overview); the factory's thread before the task began. */
    @Override
    public Thread thread() {
        Thread t = runner;   // volatile; partner: run()'s store
        return t != null ? t : factoryThread;
    }

    /** Whether the factory's thread itself runs the task (a thread that ends when the worker ends). */
    boolean runsOnItsOwnThread() {
        return runner == factoryThread;
    }

    @Override
    public long pending() {
        return pending.get();
    }

    boolean isOpen() {
        return lvState() == OPEN;
    }

    @Override
    public void call(Runnable callback) {
        call(new Callbacks.RunnableCallback(callback));
    }

    @Override
    public void call(RcuCallback callback) {
        Objects.requireNonNull(callback, "callback");
        if (lvState() != OPEN) {
            throw new IllegalStateException("call() on callback worker '" + factoryThread.getName() + "' of "
                    + domain.name + ", which is closed");
        }
        callbacks.accept(callback, this);
    }

    /**
     * Queues a claimed callback (pending already counted by the caller). Returns {@code false}, queueing nothing, if
     * this worker no longer takes callbacks; the caller routes elsewhere.
     */
    boolean enqueue(RcuCallback cb) {
        if (lvState() != OPEN && !callbacks.isDomainThread(Thread.currentThread())) {
            return false;  // closing: external producers are routed elsewhere; callbacks may still chain
        }
        pending.getAndAdd(cb.weight());
        queue.enqueue(cb);      // volatile XCHG; then the volatile loads below (see the pairing table)
        if (lvState() == TERMINATED) {
            rescue();
        } else if (!options.realTime() && sleeping) {
            LockSupport.unpark(runner);
        }
        return true;
    }

    /** Ends a wait for a fuller batch (the domain went over budget; the wait re-checks the budget). */
    void expedite() {
        if (batching) {        // volatile; Dekker with awaitFullerBatch (it sets batching, then re-checks)
            LockSupport.unpark(runner);
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
        if (!casLaunch(LAUNCH_PENDING, LAUNCH_RUNNING)) {  // volatile; partner: start()'s CAS
            return;   // the start failed: this task never runs
        }
        runner = Thread.currentThread();   // volatile; partner: the load in awaitLaunch
        LockSupport.unpark(starter);       // the handshake: start() waits for the store above
        if (options.cpuAffinity() >= 0) {
            NativeCpu.pinCurrentThread(options.cpuAffinity());
        }
        try {
            while (true) {
                try {
                    if (!drainOnce()) {
                        if (lvState() != OPEN) {
                            break;
                        }
                        idle();
                    }
                } catch (Throwable t) {
                    domain.errorHandler.accept(t);  // callbacks' own failures are caught per callback; this is
                                                    // anything else (an Error in a wait): keep the worker alive
                }
            }
            svState(TERMINATED);   // volatile; then the final drain (partner: producers' load of state)
            while (drainOnce()) {
                // callbacks queued by producers that raced the close
            }
        } finally {
            callbacks.registry.workerTerminated(this);
        }
    }

    private void idle() {
        if (options.realTime()) {
            // polls: spins, then one park; the run loop then looks at the queue and the state again
            for (int step = 0; queue.isEmpty() && lvState() == OPEN; ) {
                boolean parked = REAL_TIME_POLL.parksAt(step);
                step = REAL_TIME_POLL.idle(this, step);
                if (parked) {
                    break;
                }
            }
        } else {
            sleeping = true;  // volatile; then the volatile load of the tail (Dekker with enqueue)
            if (queue.isEmpty() && lvState() == OPEN) {
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
            if (Thread.currentThread() == runner) {
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
        if (count < options.minBatch() && delayNanos > 0 && lvState() == OPEN) {
            long deadline = System.nanoTime() + delayNanos;
            batching = true;   // volatile, then the loads in the loop condition (Dekker with expedite())
            while (count < options.minBatch() && barriersWaiting.get() == 0 && !callbacks.budget.overBudget()
                    && lvState() == OPEN) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                LockSupport.parkNanos(this, Math.min(left, 1_000_000));
                RcuCallback more = queue.takeAll(lastOut);
                if (more != null) {
                    CallbackQueue.splice(last, more);
                    count += count(more, lastOut[0], options.minBatch());
                    last = lastOut[0];
                }
            }
            batching = false;
            RcuCallback more = queue.takeAll(lastOut);  // what the request that ended the wait queued (a marker)
            if (more != null) {
                CallbackQueue.splice(last, more);
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
            n.unclaim();  // release; the callback may be queued again from here on
            int f = callbacks.budget.invoke(n);
            failed += f;
            failedTotal += f;
            n = next;
        }
        settle(weight, failed);
        JfrEvents.callbackBatch(domain.name, factoryThread.getName(), ran, failedTotal, start);
    }

    private void settle(int weight, int failed) {
        if (weight != 0 || failed != 0) {
            pending.getAndAdd(-weight);
            callbacks.budget.afterBatch(weight, failed);
        }
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
            }, factoryThread.getName());
        } catch (RuntimeException | Error noThread) {
            strandQueue();  // no thread could start: kept for someone who can run them
        }
    }

    /**
     * Hands everything queued to {@link StrandedCallbacks}: the take and the hand-over under its lock, then
     * consumerLock (the order its retry takes them in), so that a producer whose callback another producer's take
     * carried off finds it stranded by the time its own strandQueue returns, and a barrier's runAll finds it there.
     * Exclusive with the drains through consumerLock.
     */
    private void strandQueue() {
        synchronized (callbacks.stranded.lock) {
            synchronized (consumerLock) {
                RcuCallback first = queue.takeAll(lastOut);
                RcuCallback last = lastOut[0];
                for (RcuCallback n = first; n != null; ) {
                    RcuCallback next = CallbackQueue.next(n, last);  // read first: the stranded n may be re-queued
                    pending.getAndAdd(-n.weight());
                    callbacks.stranded.add(n);
                    n = next;
                }
            }
        }
        callbacks.stranded.added();   // outside the locks: it may wake the domain thread, or run them (closed domain)
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
        boolean token = domain.beforeBlocking();            // QSBR: a quiescent state of the caller
        try {
            callbacks.barrier.awaitEnd(this, AbstractRcu.NO_DEADLINE);
        } finally {
            domain.afterBlocking(token);
        }
    }

    /** Starts closing without waiting (the domain closes all workers at once, then joins them). */
    void beginClose() {
        casState(OPEN, CLOSING);  // volatile; a terminated worker stays terminated
        LockSupport.unpark(runner);  // volatile load; Dekker with run() (it stores runner, then reads state): it
                                     // sees CLOSING or is woken here (null, a task not begun: nothing to wake)
    }

    @Override
    public String toString() {
        return "CallbackWorker[" + factoryThread.getName() + ", pending " + pending.get()
                + (lvState() == OPEN ? "" : lvState() == CLOSING ? ", closing" : ", closed") + "]";
    }
}
