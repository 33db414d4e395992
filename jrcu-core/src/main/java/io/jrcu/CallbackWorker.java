package io.jrcu;

/**
 * One callback helper thread of a domain ({@code struct call_rcu_data}). It owns a lock-free queue; it takes the
 * whole queue, waits for one grace period for the batch, then runs the callbacks in FIFO order.
 *
 * <pre>{@code
 * CallbackWorker worker = rcu.workers().newWorker(WorkerOptions.builder().threadName("reclaim").build());
 * rcu.workers().setThreadWorker(worker);   // this thread's callbacks go to it
 * rcu.retire(old, Buffer::free);
 * rcu.barrier();                           // every callback queued before has run
 * rcu.workers().setThreadWorker(null);
 * worker.close();
 * }</pre>
 */
public interface CallbackWorker extends AutoCloseable {

    /**
     * The worker's thread ({@code get_call_rcu_thread}).
     *
     * @return the thread that runs this worker's callbacks; the same after the worker is closed
     */
    Thread thread();

    /**
     * Queues {@code callback} on this worker to run after a grace period. Lock-free.
     *
     * @param callback runs once, on this worker's thread; what it throws goes to the domain's error handler
     * @throws IllegalStateException if this worker or its domain is closed
     * @throws NullPointerException  if {@code callback} is null
     */
    void call(Runnable callback);

    /**
     * Queues an intrusive callback on this worker. Lock-free; allocates nothing.
     *
     * @param callback runs once, on this worker's thread; it may be queued again once it has started running
     * @throws IllegalStateException if the callback is already queued, or this worker or its domain is closed
     * @throws NullPointerException  if {@code callback} is null
     */
    void call(RcuCallback callback);

    /**
     * Callbacks queued on this worker and not yet run.
     *
     * @return the number of such callbacks (a {@code defer} batch counts as the callbacks it holds)
     */
    long pending();

    /**
     * {@code call_rcu_data_free}: refuses new callbacks, waits until everything already queued has run after its
     * grace period, and stops the thread. Nothing pending is lost or run twice. A second call is a no-op.
     *
     * @throws IllegalStateException for the domain's default worker (it lives as long as the domain), when called
     *                               from a callback, or inside a read section of the domain or (bulletProof) while
     *                               holding a token section of it the caller opened (it would wait for itself)
     */
    @Override
    void close();
}
