package io.jrcu;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A domain's garbage budget and its backpressure, and the counts of callbacks run: every callback runs through
 * {@link #invoke} or {@link #run}, which hand its failure to the domain's error handler.
 */
final class CallbackBudget {
    /*
     * Overview.
     *
     * Budget: pending = the sum of the registered workers' pending counters (each an AtomicLong the producers of
     * that worker add to and the worker subtracts whole batches from). A call that finds pending >= budget expedites
     * every worker and applies the policy; callers that must not block (inside a read section of this domain or
     * holding a bulletProof token they opened, or running on a domain thread) overshoot instead, counted. Slack: each
     * producer can be past the check with one callback (or one defer batch) in flight, plus the overshoots.
     *
     * BLOCK waits on CallbackThreads' condition until pending < budget or the domain no longer accepts work. Pending
     * falls when a worker settles a batch (afterBatch then signals, if a producer waits) or when a worker ends (its
     * deregistration signals).
     *
     * Pairing: a blocked producer's increment of blockedProducers (volatile RMW), then its loads of the pending
     * counters under the wait lock  <->  the worker's subtraction from its pending counter (volatile RMW), then its
     * load of blockedProducers in afterBatch, then the signal under the wait lock.
     */

    private final Callbacks callbacks;
    private final AbstractRcu<?> domain;
    final long budget;
    final Backpressure backpressure;

    private final AtomicInteger blockedProducers = new AtomicInteger();
    private final AtomicLong invoked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final LongAdder backpressureEvents = new LongAdder();
    private final LongAdder overshoots = new LongAdder();
    private volatile long peakPending;

    CallbackBudget(Callbacks callbacks, long budget, Backpressure backpressure) {
        this.callbacks = callbacks;
        this.domain = callbacks.domain;
        this.budget = budget;
        this.backpressure = backpressure;
    }

    /**
     * Admits a claimed callback against the budget, applying backpressure above it.
     *
     * @return {@code false} if the callback was consumed (run by the caller); {@code true} if it is to be queued
     * @throws RejectedExecutionException for {@link Backpressure#THROW} above the budget (the callback unclaimed)
     */
    boolean admit(RcuCallback cb) {
        long pending = pending();
        if (pending >= budget && !overBudget(cb)) {
            return false;  // ran by the caller
        }
        if (pending + 1 > peakPending) {
            peakPending = pending + 1;  // racy maximum: a statistic
        }
        return true;
    }

    /** Whether the domain holds more pending callbacks than its budget. */
    boolean overBudget() {
        return pending() >= budget;
    }

    long pending() {
        return callbacks.registry.pending();
    }

    /** Applies backpressure; returns {@code false} if the callback was consumed (run by the caller). */
    private boolean overBudget(RcuCallback cb) {
        backpressureEvents.increment();
        callbacks.registry.expediteAll();
        if (callbacks.isDomainThread(Thread.currentThread()) || domain.callerHoldsSection()) {  // cheap check first
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
        blockedProducers.incrementAndGet();   // volatile RMW; then the loads of pending (see the pairing)
        try {
            callbacks.threads.await(() -> pending() < budget || !domain.isOpen(), AbstractRcu.NO_DEADLINE);
        } finally {
            blockedProducers.decrementAndGet();
            domain.afterBlocking(token);
        }
    }

    /** Runs one callback (outside any lock); returns 1 if it threw (a defer batch: how many of its callbacks did). */
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

    /** Called after each batch: {@code weight} user callbacks ran, {@code failures} threw. */
    void afterBatch(int weight, int failures) {
        if (weight > 0) {
            invoked.addAndGet(weight);
        }
        if (failures > 0) {
            failed.addAndGet(failures);
        }
        if (blockedProducers.get() > 0) {   // volatile; see the pairing
            callbacks.threads.signalAll();
        }
    }

    void countOvershoot() {
        overshoots.increment();
    }

    /** The domain's statistics; {@code pendingElsewhere}: callbacks accepted and not in a worker's queue. */
    RcuStats stats(long gracePeriods, long meanGp, long maxGp, long stallReports, long pendingElsewhere) {
        long pendingNow = pending() + pendingElsewhere;
        long ran = invoked.get();
        // accepted = ran + pending: no per-call counter on the hot path (refused callbacks were never accepted)
        return new RcuStats(gracePeriods, meanGp, maxGp, ran + pendingNow, ran, failed.get(), pendingNow,
                Math.max(peakPending, pendingNow), stallReports, backpressureEvents.sum(), overshoots.sum());
    }
}
