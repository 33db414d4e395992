package io.jrcu;

import io.jrcu.internal.Uninterruptibly;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The threads that run a domain's callbacks (workers, rescue threads, callers running stranded callbacks or a full
 * defer batch), how many of them are alive, and the one condition the callback machinery's waits park on.
 */
final class CallbackThreads {
    /*
     * Overview.
     *
     * A thread runs callbacks while it is in `domainThreads`: a worker from its registration until its task ended,
     * a rescue thread for its life, a caller while it runs stranded callbacks or a shared slot's full defer batch
     * (enter/exitCallbackContext). A thread running its own slot's full defer batch is not listed (DeferBatches
     * answers for it without allocating). Such threads must not wait for the machinery: barrier and close from them
     * throw, the budget never blocks them.
     *
     * Counts: liveConsumers = registered workers + rescue threads; liveRescues = rescue threads; callerBatches = full
     * defer batches their fillers are running. Each is raised before the thread or batch can run anything.
     *
     * Waiting: every change a waiter may wait for (a consumer ended, a caller's batch ended, a batch ran while
     * producers wait for the budget) signals `changed` under `waitLock`, and every wait re-checks its state under
     * that lock before it parks, so no signal is lost. Waits keep going through interrupts (re-asserted at the end).
     */

    private final AbstractRcu<?> domain;
    /** Worker, rescue and caller threads that run callbacks now. */
    private final Set<Thread> domainThreads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger liveConsumers = new AtomicInteger();
    /** Rescue threads running callbacks that missed a closing worker (barrier waits for them). */
    private final AtomicInteger liveRescues = new AtomicInteger();
    /** Full defer batches their filler is running (barrier and close wait for them). */
    private final AtomicInteger callerBatches = new AtomicInteger();
    private final ReentrantLock waitLock = new ReentrantLock();
    private final Condition changed = waitLock.newCondition();

    CallbackThreads(AbstractRcu<?> domain) {
        this.domain = domain;
    }

    /** Whether {@code t} is listed as running callbacks (a worker, a rescue thread, a caller running them). */
    boolean runsCallbacks(Thread t) {
        return domainThreads.contains(t);
    }

    /** A worker's thread, at its registration: it runs callbacks until {@link #consumerEnded}. */
    void consumerStarted(Thread t) {
        domainThreads.add(t);
        liveConsumers.incrementAndGet();
    }

    /** A worker (deregistered) or rescue thread has ended: it no longer counts; wakes the waits. */
    void consumerEnded(Thread t) {
        domainThreads.remove(t);
        liveConsumers.decrementAndGet();
        signalAll();
    }

    /**
     * Starts a short-lived domain thread from {@code factory} that runs {@code body} (what it throws goes to the
     * domain's error handler). If the thread cannot be made or started, this throws what failed, and nothing of the
     * thread remains.
     */
    void startRescue(ThreadFactory factory, Runnable body, String what) {
        Thread t = factory.newThread(() -> {
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
        liveRescues.incrementAndGet();
        consumerStarted(t);
        try {
            t.start();
        } catch (RuntimeException | Error e) {
            liveRescues.decrementAndGet();
            consumerEnded(t);
            throw e;
        }
    }

    /** Marks the calling thread as running callbacks (barrier/close from them throw, budget never blocks them). */
    void enterCallbackContext(Thread t) {
        domainThreads.add(t);
    }

    void exitCallbackContext(Thread t) {
        domainThreads.remove(t);
    }

    /** A full defer batch was detached for its filler to run (called while its slot is still claimed). */
    void callerBatchStarted() {
        callerBatches.incrementAndGet();
    }

    /** The filler ran its batch: it stops counting as a thread that runs callbacks. */
    void callerBatchEnded() {
        callerBatches.decrementAndGet();
        signalAll();
    }

    /**
     * Waits until no full defer batch is still being run by its filler and no rescue thread runs callbacks; {@code
     * false} if the deadline passed first. Under a sustained flood of full batches this can wait for later ones too;
     * each ends after one grace period.
     */
    boolean awaitCallerBatchesAndRescues(long deadline) {
        return await(() -> callerBatches.get() == 0 && liveRescues.get() == 0, deadline);
    }

    /** Waits until no worker or rescue thread is alive and no filler runs its full defer batch (close). */
    void awaitNoConsumers() {
        await(() -> liveConsumers.get() == 0 && callerBatches.get() == 0, AbstractRcu.NO_DEADLINE);
    }

    /**
     * Waits on {@code changed} until {@code done} holds or the deadline passes ({@code false}); keeps waiting through
     * interrupts and re-asserts the interrupt at the end. Whoever makes {@code done} true calls {@link #signalAll}.
     */
    boolean await(BooleanSupplier done, long deadline) {
        waitLock.lock();
        try {
            return Uninterruptibly.await(done, changed::awaitNanos, deadline);
        } finally {
            waitLock.unlock();
        }
    }

    /** Wakes every wait, which then re-checks its state. */
    void signalAll() {
        waitLock.lock();
        try {
            changed.signalAll();
        } finally {
            waitLock.unlock();
        }
    }
}
