package io.jrcu;

/**
 * A domain's callback helper threads and how callbacks are routed to them (liburcu's {@code call_rcu_data}
 * family): a callback goes to the calling thread's worker if it has one, else to the worker of the CPU the thread
 * runs on, else to the default worker. Closed workers are skipped by routing. All methods are thread-safe.
 *
 * <pre>{@code
 * CallbackWorkers workers = rcu.workers();
 * workers.createAllCpuWorkers(WorkerOptions.defaults());   // one worker per CPU the process may run on
 * rcu.call(() -> pool.put(slot));          // goes to the worker of the CPU this thread runs on
 * workers.freeAllCpuWorkers();
 * }</pre>
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
     * @return the domain's default worker, the same one for the life of the domain
     * @throws IllegalStateException if the domain is closed, or the worker had to be made and its thread could not
     *                               be made or started (the cause: what the thread factory or
     *                               {@code Thread.start()} threw, e.g. {@code OutOfMemoryError})
     */
    CallbackWorker defaultWorker();

    /**
     * {@code create_call_rcu_data}: a new worker with its own thread, made by the options' thread factory (which must
     * return a new, unstarted thread that runs the task it is given). Returns once the task has begun (blocking
     * while a started thread has not begun it); the thread that runs the task is the worker's {@code thread()}. If
     * the thread cannot be made or started, or ends without running the task, nothing of the worker remains and
     * nothing was queued on it.
     *
     * @param options how the worker behaves and which thread factory makes its thread
     * @return the new worker, running; routing does not use it until it is attached ({@link #setThreadWorker},
     *         {@link #setCpuWorker}); the caller closes it
     * @throws IllegalArgumentException if {@code options.cpuAffinity()} is not a CPU of this machine (see
     *                                  {@link #createAllCpuWorkers})
     * @throws IllegalStateException    if the domain is closed, or the thread factory threw or returned
     *                                  {@code null}, or {@code Thread.start()} threw (e.g. {@code OutOfMemoryError:
     *                                  unable to create native thread}), or the thread ended (or was never
     *                                  started) without running the task; the cause is the failure
     * @throws NullPointerException     if {@code options} is null
     */
    CallbackWorker newWorker(WorkerOptions options);

    /**
     * {@code set_thread_call_rcu_data}: the calling thread's worker; {@code null} detaches.
     *
     * @param worker the worker for callbacks the calling thread queues, or {@code null} for none
     * @throws IllegalArgumentException if {@code worker} is not a worker of this domain
     */
    void setThreadWorker(CallbackWorker worker);

    /**
     * {@code get_thread_call_rcu_data}: the calling thread's worker, or {@code null}.
     *
     * @return the worker set by the calling thread's last {@link #setThreadWorker}, or {@code null} if none
     */
    CallbackWorker threadWorker();

    /**
     * {@code set_cpu_call_rcu_data}: the worker for callbacks queued from {@code cpu}; {@code null} detaches. CPU ids
     * are the kernel's, {@code 0} up to the machine's highest (with a restricted CPU set, some of them are not
     * allowed to the process and never current).
     *
     * @param cpu    the kernel's CPU id
     * @param worker the worker for callbacks queued from {@code cpu}, or {@code null} for none
     * @return {@code false} if {@code cpu} is not a CPU id of this machine (nothing changes)
     * @throws IllegalArgumentException if {@code worker} is not a worker of this domain
     */
    boolean setCpuWorker(int cpu, CallbackWorker worker);

    /**
     * {@code get_cpu_call_rcu_data}: the worker of {@code cpu}, or {@code null} (also for an unknown CPU).
     *
     * @param cpu the kernel's CPU id
     * @return the worker attached to {@code cpu}, or {@code null}
     */
    CallbackWorker cpuWorker(int cpu);

    /**
     * {@code create_all_cpu_call_rcu_data}: one worker for each CPU the calling thread may run on (Linux
     * {@code sched_getaffinity}: what taskset, a cpuset cgroup or a container allows; elsewhere CPUs
     * {@code 0 .. availableProcessors() - 1}), each pinned to its CPU where supported, then attached to it; a CPU
     * with an id beyond the machine's CPU ids as jrcu first read them (one added later) gets none. If one cannot be
     * made, none is attached and those already made are closed; the failure propagates (as from
     * {@link #newWorker}).
     *
     * @param options the options of every worker; each is pinned to its own CPU whatever {@code cpuAffinity()}
     *                says, and a non-empty thread name gets the suffix {@code -cpu<id>}
     * @throws NullPointerException if {@code options} is null
     */
    void createAllCpuWorkers(WorkerOptions options);

    /**
     * {@code free_all_cpu_call_rcu_data}: detaches and closes every per-CPU worker (pending callbacks still run),
     * waiting until they ended.
     *
     * @throws IllegalStateException inside a read section of this domain, while holding a bulletProof token section
     *                               the caller opened, or from a callback (it would wait for itself); nothing is
     *                               detached or closed then
     */
    void freeAllCpuWorkers();

    /**
     * {@code get_call_rcu_data}: the calling thread's worker, else its CPU's, else the default worker.
     *
     * @return the open worker a callback queued now by the calling thread would go to
     * @throws IllegalStateException as {@link #defaultWorker()}, when the default worker is needed and cannot be made
     */
    CallbackWorker currentWorker();
}
