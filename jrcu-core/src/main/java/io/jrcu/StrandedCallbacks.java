package io.jrcu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Accepted callbacks that no thread could be started for: kept here until a barrier, the close, or the domain
 * thread's idle pass finds a thread to run them. Accepted work is never dropped.
 */
final class StrandedCallbacks {
    /*
     * Overview.
     *
     * Threads that cannot start (a thread factory that fails, OutOfMemoryError "unable to create native thread"):
     * an accepted callback (a defer batch, a terminated worker's queue) that no worker takes goes to a rescue thread,
     * and without any thread to `stranded`. Barrier and close run them on their own thread (runAll); the domain
     * thread's idle pass routes them again (retry), which may strand them again.
     *
     * Taken under `lock`, so that a barrier finds each either here or already queued on a worker; Worker.strandQueue
     * takes `lock`, then its consumer lock, the order retry takes them in (retry routes, and a route can strand a
     * terminated worker's queue).
     *
     * What is stranded once the domain is closed runs at once on the thread that stranded it or on the closer,
     * whichever comes later (a Dekker pair: the add, then the load of lifecycle  <->  the closer's store of CLOSED,
     * then its runAll); the close's final grace period covers it. The domain thread's retry pass does not run them
     * itself (it holds `lock`; the closer's runAll waits for it and runs them).
     */

    private final Callbacks callbacks;
    private final AbstractRcu<?> domain;
    /** Not counted against the budget. */
    private final ConcurrentLinkedQueue<RcuCallback> stranded = new ConcurrentLinkedQueue<>();
    /** Taken to move callbacks out of a queue into this one or out of this one (see the overview). */
    final Object lock = new Object();
    /** The thread in retry() now, or {@code null}; written under lock, read by that thread itself. */
    private Thread retryingThread;

    StrandedCallbacks(Callbacks callbacks) {
        this.callbacks = callbacks;
        this.domain = callbacks.domain;
    }

    boolean isEmpty() {
        return stranded.isEmpty();
    }

    /** Keeps an accepted callback that no thread could be started for. */
    void strand(RcuCallback cb) {
        add(cb);
        added();
    }

    /** Adds to the stranded callbacks; the caller then calls {@link #added()} outside its locks. */
    void add(RcuCallback cb) {
        stranded.add(cb);   // volatile CAS; then the load of lifecycle in added() (Dekker with the close)
    }

    /**
     * After callbacks were stranded: on a closed domain runs them now (see the overview), unless the caller is the
     * domain thread's retry pass; else wakes the domain thread, whose idle pass hands them on to a worker.
     */
    void added() {
        if (domain.isClosed()) {   // volatile load of lifecycle; partner: the closer's store of CLOSED
            if (retryingThread != Thread.currentThread()) {   // this thread's own write, if it is the retrying one
                runAll();
            }
            return;
        }
        try {
            domain.wakeForDeferredWork();
        } catch (RuntimeException | Error noThread) {
            // no domain thread either: barrier and close still run them
        }
    }

    /** The domain thread's idle pass: every stranded callback is routed again (and may be stranded again). */
    void retry() {
        synchronized (lock) {
            retryingThread = Thread.currentThread();
            try {
                for (int n = stranded.size(); n > 0; n--) {
                    RcuCallback cb = stranded.poll();
                    if (cb == null) {
                        break;
                    }
                    callbacks.route(cb);
                }
            } finally {
                retryingThread = null;
            }
        }
    }

    /**
     * Runs the stranded callbacks on the calling thread (barrier, close: it may block) after a grace period, or at
     * once on a closed domain (its close's final grace period covered every section, and none opens after it);
     * returns whether there were any.
     */
    boolean runAll() {
        if (stranded.isEmpty()) {
            return false;
        }
        List<RcuCallback> taken = new ArrayList<>();
        synchronized (lock) {
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
        CallbackThreads threads = callbacks.threads;
        threads.enterCallbackContext(me);  // they run here: barrier()/close() from them must throw
        try {
            for (RcuCallback cb : taken) {
                cb.unclaim();  // release; it may be queued again from here on
                callbacks.budget.afterBatch(cb.weight(), callbacks.budget.invoke(cb));
            }
        } finally {
            threads.exitCallbackContext(me);
        }
        return true;
    }

    /** How many user callbacks are stranded now (racy; for statistics). */
    long weight() {
        long n = 0;
        for (RcuCallback cb : stranded) {
            n += cb.weight();
        }
        return n;
    }
}
