package io.jrcu;

/**
 * What {@link Rcu#call(Runnable)} and its relatives do once the domain holds more pending callbacks than its
 * budget ({@code callbackBudget}). Above the budget the domain first expedites its workers (no batching delay, grace
 * periods back to back), then applies the policy. A caller inside a read section of the domain, one holding a
 * {@link BulletProofRcu#readLockToken() token section} it opened (see {@link BulletProofRcu}), or a callback running
 * on a worker, is never blocked (that could deadlock): its callback is queued anyway and the overshoot is counted in
 * {@link RcuStats#overshoots()}.
 *
 * <pre>{@code
 * QsbrRcu rcu = QsbrRcu.builder().callbackBudget(1_000).backpressure(Backpressure.THROW).build();
 * try {
 *     rcu.retire(old, Buffer::free);
 * } catch (RejectedExecutionException overBudget) {
 *     rcu.synchronize();                   // reclaim it ourselves
 *     old.free();
 * }
 * }</pre>
 */
public enum Backpressure {
    /**
     * The caller waits for a grace period itself and runs its own callback (liburcu-reclaim's behaviour; the
     * default). Such callbacks are the one exception to per-worker FIFO order.
     */
    CALLER_RUNS,
    /** The caller blocks until the domain is below budget, then queues its callback. */
    BLOCK,
    /** The caller gets {@link java.util.concurrent.RejectedExecutionException}; nothing is queued. */
    THROW
}
