package io.jrcu;

/**
 * A domain's callback helper threads and how callbacks are routed to them (liburcu's {@code call_rcu_data}
 * family): a callback goes to the calling thread's worker if it has one, else to the worker of the CPU the thread
 * runs on, else to the default worker. Closed workers are skipped by routing. All methods are thread-safe.
 */
public interface CallbackWorkers {

    /** {@code get_default_call_rcu_data}: the default worker, created on first use. */
    CallbackWorker defaultWorker();

    /** {@code create_call_rcu_data}: a new worker with its own thread. */
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
