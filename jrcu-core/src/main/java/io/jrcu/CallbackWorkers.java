package io.jrcu;

/**
 * A domain's callback helper threads and how callbacks are routed to them (liburcu's {@code call_rcu_data}
 * family): a callback goes to the calling thread's worker if it has one, else to the worker of the CPU the thread
 * runs on, else to the default worker. Closed workers are skipped by routing. All methods are thread-safe.
 */
public interface CallbackWorkers {

    /**
     * {@code get_default_call_rcu_data}: the default worker, created on first use (by this method, or by the first
     * callback routed to it). If its thread cannot be made or started, nothing of it remains and the call that needed
     * it fails: this method, or {@code call}/{@code retire} with the callback refused (not queued; an
     * {@link RcuCallback} can be queued again). Callbacks accepted earlier (defer batches) are never lost to it: they
     * run on a short-lived thread of the domain, or, if no thread can start at all, at the next {@code barrier()} or
     * {@code close()} or once a thread can start again. The next use tries to make the worker again.
     *
     * @throws IllegalStateException if the domain is closed, or the worker had to be made and its thread could not
     *                               be made or started (the cause: what the thread factory or
     *                               {@code Thread.start()} threw, e.g. {@code OutOfMemoryError})
     */
    CallbackWorker defaultWorker();

    /**
     * {@code create_call_rcu_data}: a new worker with its own thread, made by the options' thread factory (which must
     * return a new, unstarted thread that runs the task it is given). If the thread cannot be made or started,
     * nothing of the worker remains and nothing was queued on it.
     *
     * @throws IllegalStateException if the domain is closed, or the thread factory threw or returned {@code null},
     *                               or {@code Thread.start()} threw (e.g. {@code OutOfMemoryError: unable to create
     *                               native thread}), or the thread was not alive after it; the cause is the failure
     */
    CallbackWorker newWorker(WorkerOptions options);

    /** {@code set_thread_call_rcu_data}: the calling thread's worker; {@code null} detaches. */
    void setThreadWorker(CallbackWorker worker);

    /** {@code get_thread_call_rcu_data}: the calling thread's worker, or {@code null}. */
    CallbackWorker threadWorker();

    /**
     * {@code set_cpu_call_rcu_data}: the worker for callbacks queued from {@code cpu}; {@code null} detaches.
     *
     * @return {@code false} if {@code cpu} is out of range
     */
    boolean setCpuWorker(int cpu, CallbackWorker worker);

    /** {@code get_cpu_call_rcu_data}: the worker of {@code cpu}, or {@code null}. */
    CallbackWorker cpuWorker(int cpu);

    /** {@code create_all_cpu_call_rcu_data}: one worker per CPU, each pinned to its CPU where supported. */
    void createAllCpuWorkers(WorkerOptions options);

    /** {@code free_all_cpu_call_rcu_data}: detaches and closes every per-CPU worker (pending callbacks still run). */
    void freeAllCpuWorkers();

    /** {@code get_call_rcu_data}: the calling thread's worker, else its CPU's, else the default worker. */
    CallbackWorker currentWorker();
}
