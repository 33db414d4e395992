package io.jrcu;

import io.jrcu.internal.Uninterruptibly;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A domain's callback barrier ({@code rcu_barrier}) and the close of its callback machinery: both wait until what
 * was accepted before them has run.
 */
final class CallbackBarrier {
    /*
     * Overview.
     *
     * Barrier: flush the defer batches, run the stranded callbacks, post one marker to every worker and wait for all;
     * a worker that is closing is awaited instead (its close runs everything queued before). Then wait until no full
     * defer batch is run by its filler and no rescue thread runs callbacks. Markers are internal callbacks: not
     * counted.
     *
     * Close (called by the domain after it stopped accepting outside work): flush defer batches, close every worker
     * at once and join them. Callbacks running during the close may still queue more (their threads are domain
     * threads); queueing onto a terminated worker starts a short-lived rescue thread. The close waits until no
     * worker or rescue thread is alive, and repeats while work was queued meanwhile. Each round ends every worker it
     * saw (each registered worker runs, so each ends). Then defer is closed: `deferClosed` is set, and a defer()
     * that sees it flushes its own callback (a Dekker pair: defer's add, then its load of deferClosed  <->  the
     * close's store of deferClosed, then its last flush; one of them hands the callback on).
     */

    private final Callbacks callbacks;
    private final AbstractRcu<?> domain;
    /** Set at the end of close(): a defer() that sees it flushes its own callback (to a rescue thread). */
    private volatile boolean deferClosed;

    CallbackBarrier(Callbacks callbacks) {
        this.callbacks = callbacks;
        this.domain = callbacks.domain;
    }

    /** Whether the close has ended defer's batching (volatile; see the overview). */
    boolean deferClosed() {
        return deferClosed;
    }

    /**
     * Waits until every callback accepted before the call has run; {@code false} if the deadline passed first.
     * Keeps waiting through interrupts (re-asserted at the end).
     */
    boolean barrier(long deadline) {
        callbacks.checkNotFromCallback("barrier()");
        domain.checkCanBlock("barrier()");
        boolean token = domain.beforeBlocking();  // QSBR: a quiescent state of the caller
        try {
            callbacks.defer.flushAll();
            callbacks.stranded.runAll();  // before the markers: what the domain thread hands on is queued before
            Worker[] ws = callbacks.registry.workers();
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
            return Uninterruptibly.await(() -> latch.getCount() == 0,
                    nanos -> latch.await(nanos, TimeUnit.NANOSECONDS), deadline)
                    && callbacks.threads.awaitCallerBatchesAndRescues(deadline);
        } finally {
            domain.afterBlocking(token);
        }
    }

    /**
     * Waits until {@code w} (which was asked to close) has ended: its task deregistered it (a registered worker's
     * task runs: see WorkerRegistry), and its thread, where the factory's thread runs it, has ended; {@code false} if
     * the deadline passed first. Keeps waiting through interrupts (re-asserted at the end).
     */
    boolean awaitEnd(Worker w, long deadline) {
        // deregistered before consumerEnded signals
        if (!callbacks.threads.await(() -> !callbacks.registry.isRegistered(w), deadline)) {
            return false;
        }
        // its task has returned, or is about to: the thread ends with it (another thread that ran it is not ours)
        return !w.runsOnItsOwnThread() || Uninterruptibly.join(w.thread(), deadline);
    }

    /** Runs everything pending and stops every worker. Called by the domain's close after it stopped accepting. */
    void close() {
        DeferBatches defer = callbacks.defer;
        StrandedCallbacks stranded = callbacks.stranded;
        WorkerRegistry registry = callbacks.registry;
        // What is stranded after the last round runs in the domain's closed().
        do {
            defer.flushAll();
            for (Worker[] ws = registry.workers(); ws.length > 0; ws = registry.workers()) {
                for (Worker w : ws) {
                    w.beginClose();
                }
                for (Worker w : ws) {
                    awaitEnd(w, AbstractRcu.NO_DEADLINE);
                }
            }
            callbacks.threads.awaitNoConsumers();
        } while (stranded.runAll() || defer.size() > 0 || registry.workers().length > 0);
        deferClosed = true;   // volatile; then the last flush (Dekker with defer())
        do {
            defer.flushAll();
            callbacks.threads.awaitNoConsumers();
        } while (stranded.runAll());
    }

    /** A worker's barrier marker: counts the barrier's latch down once everything queued before it ran. */
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
