package io.jrcu;

import io.jrcu.internal.NativeCpu;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A domain's callback workers and the routing of callbacks to them: {@link CallbackWorkers}' implementation.
 */
final class WorkerRegistry implements CallbackWorkers {
    /*
     * Overview.
     *
     * Routing (liburcu get_call_rcu_data): thread's worker, else the current CPU's, else the default worker; closed
     * workers are skipped. The thread-local and the CPU lookup are skipped until a thread or CPU worker has ever
     * been set (two volatile flags), so the common case costs one load.
     *
     * Registration: `workers` lists every live worker (the default included once made); it is replaced, never
     * changed in place, under workersLock, so routing and the budget read it without a lock. A worker is registered
     * (in `workers`, and its thread counted by CallbackThreads) only after its task began on a thread (Worker.start's
     * handshake), so a failed start, or a thread that ends without running the task, leaves nothing behind and
     * nothing was queued on it; newWorker, and a call() that had to make the default worker, fail with the cause.
     * Every registered worker therefore runs, and ends once it closes: its task deregisters it (workerTerminated),
     * and awaiting that never waits for a worker that cannot end.
     *
     * Pairing: cpuWorkers (volatile) is stored before cpuWorkersUsed (volatile), and routing reads the flag first.
     */

    private final Callbacks callbacks;
    private final GracePeriodEngine<?> domain;
    private final Object workersLock = new Object();
    /** Every live worker (default included once created); replaced under workersLock. */
    private volatile Worker[] workers = new Worker[0];
    private volatile Worker defaultWorker;
    private final ThreadLocal<Worker> threadWorkers = new ThreadLocal<>();
    private volatile boolean threadWorkersUsed;
    /** Per-CPU workers, indexed by CPU id; made on first use (sizing it needs NativeCpu's native calls). */
    private volatile AtomicReferenceArray<Worker> cpuWorkers;
    private volatile boolean cpuWorkersUsed;
    /** How many workers got a generated name (a worker whose start failed takes no number); under workersLock. */
    private int workerNumbers;

    WorkerRegistry(Callbacks callbacks) {
        this.callbacks = callbacks;
        this.domain = callbacks.domain;
    }

    /** The registered workers now (an array never changed in place). */
    Worker[] workers() {
        return workers;
    }

    /** The domain, how many workers are registered, whether the default one exists, and the callbacks pending. */
    @Override
    public String toString() {
        return "CallbackWorkers[" + domain.name + ", " + workers.length + " registered"
                + (defaultWorker != null ? " (default running)" : "") + ", " + pending() + " pending]";
    }

    /** The pending callbacks of every registered worker. */
    long pending() {
        long sum = 0;
        for (Worker w : workers) {
            sum += w.pending.get();
        }
        return sum;
    }

    /** Ends every worker's wait for a fuller batch (the domain went over budget). */
    void expediteAll() {
        for (Worker w : workers) {
            w.expedite();
        }
    }

    // ------------------------------------------------------------------ routing

    /**
     * Queues {@code cb} on the calling thread's worker, else its CPU's, else the default worker; {@code false} if
     * none takes callbacks any more (the domain closed).
     *
     * @throws IllegalStateException if the default worker had to be made and its thread could not start
     */
    boolean enqueueRouted(RcuCallback cb) {
        Worker w = currentWorkerInternal();
        if (w != null && w.enqueue(cb)) {
            return true;
        }
        Worker fallback = defaultWorkerInternal();
        return fallback != null && fallback.enqueue(cb);
    }

    @Override
    public CallbackWorker currentWorker() {
        return currentWorkerInternal();
    }

    private Worker currentWorkerInternal() {
        if (threadWorkersUsed) {
            Worker w = threadWorkers.get();
            if (w != null && w.isOpen()) {
                return w;
            }
        }
        if (cpuWorkersUsed) {
            AtomicReferenceArray<Worker> a = cpuWorkers;  // volatile; set before cpuWorkersUsed
            int cpu = NativeCpu.currentCpu();
            Worker w = cpu >= 0 && cpu < a.length() ? a.get(cpu) : null;
            if (w != null && w.isOpen()) {
                return w;
            }
        }
        return defaultWorkerInternal();
    }

    // ------------------------------------------------------------------ registration

    @Override
    public CallbackWorker defaultWorker() {
        Worker w = defaultWorker;
        if (w == null) {
            domain.checkOpen("defaultWorker()");
        }
        return defaultWorkerInternal();
    }

    /**
     * The default worker, created on first use; also while the domain closes (its close flushes through it), but
     * never once it is closed ({@code null} then: no thread may outlive the domain).
     *
     * @throws IllegalStateException if it had to be made and its thread could not be made or started (nothing of
     *                               it remains; the next call tries again)
     */
    Worker defaultWorkerInternal() {
        Worker w = defaultWorker;
        if (w != null) {
            return w;
        }
        synchronized (workersLock) {
            if (defaultWorker == null && !domain.isClosed()) {
                defaultWorker = addWorker(callbacks.defaultWorkerOptions, true);
            }
            return defaultWorker;
        }
    }

    @Override
    public CallbackWorker newWorker(WorkerOptions options) {
        Objects.requireNonNull(options, "options");
        synchronized (workersLock) {
            domain.checkOpen("newWorker()");
            return addWorker(options, false);
        }
    }

    /**
     * Makes a worker, starts its thread, then registers it (called under workersLock). A worker whose thread cannot
     * be made or started is never registered, so nothing was queued on it.
     *
     * @throws IllegalArgumentException if the options' CPU is not one of this machine's
     * @throws IllegalStateException    if the thread could not be made or started (the cause)
     */
    private Worker addWorker(WorkerOptions options, boolean isDefault) {
        NativeCpu.checkCpu(options.cpuAffinity());
        boolean numbered = options.threadName().isEmpty();
        String name = numbered ? "jrcu-callbacks-" + domain.name + "-" + (workerNumbers + 1) : options.threadName();
        Worker w = new Worker(callbacks, options, name, isDefault);
        w.start();
        if (numbered) {
            workerNumbers++;   // only now: a worker that failed to start leaves no gap in the names
        }
        callbacks.threads.consumerStarted(w.thread());  // before anything can be queued on it: it runs nothing yet
        Worker[] a = Arrays.copyOf(workers, workers.length + 1);
        a[a.length - 1] = w;
        workers = a;
        return w;
    }

    /** Deregisters {@code w} (once: a worker that was never registered, or was already, is left alone). */
    void workerTerminated(Worker w) {
        synchronized (workersLock) {
            Worker[] a = workers;
            int i = Arrays.asList(a).indexOf(w);
            if (i < 0) {
                return;
            }
            Worker[] b = new Worker[a.length - 1];
            System.arraycopy(a, 0, b, 0, i);
            System.arraycopy(a, i + 1, b, i, a.length - i - 1);
            workers = b;
        }
        callbacks.threads.consumerEnded(w.thread());
    }

    boolean isRegistered(Worker w) {
        synchronized (workersLock) {
            return Arrays.asList(workers).contains(w);
        }
    }

    private Worker asWorker(CallbackWorker w) {
        if (w == null) {
            return null;
        }
        if (!(w instanceof Worker worker) || worker.callbacks != callbacks) {
            throw new IllegalArgumentException(w + " is not a callback worker of " + domain.name);
        }
        return worker;
    }

    // ------------------------------------------------------------------ thread and CPU workers

    @Override
    public void setThreadWorker(CallbackWorker worker) {
        Worker w = asWorker(worker);
        if (w == null) {
            threadWorkers.remove();
        } else {
            threadWorkersUsed = true;
            threadWorkers.set(w);
        }
    }

    @Override
    public CallbackWorker threadWorker() {
        return threadWorkersUsed ? threadWorkers.get() : null;
    }

    @Override
    public boolean setCpuWorker(int cpu, CallbackWorker worker) {
        Worker w = asWorker(worker);
        if (cpu < 0 || cpu >= NativeCpu.cpuIdLimit()) {
            return false;
        }
        AtomicReferenceArray<Worker> a = cpuWorkers;
        if (a == null) {
            synchronized (workersLock) {
                a = cpuWorkers;
                if (a == null) {
                    a = new AtomicReferenceArray<>(NativeCpu.cpuIdLimit());
                    cpuWorkers = a;  // volatile; read by routing after cpuWorkersUsed, which is set after this
                }
            }
        }
        if (w != null) {
            cpuWorkersUsed = true;
        }
        a.set(cpu, w);
        return true;
    }

    @Override
    public CallbackWorker cpuWorker(int cpu) {
        AtomicReferenceArray<Worker> a = cpuWorkers;
        return a == null || cpu < 0 || cpu >= a.length() ? null : a.get(cpu);
    }

    @Override
    public void createAllCpuWorkers(WorkerOptions options) {
        createAllCpuWorkers(options, NativeCpu.allowedCpus());
    }

    /** {@link #createAllCpuWorkers(WorkerOptions)} for the CPUs {@code allowed} (tests pass their own). */
    void createAllCpuWorkers(WorkerOptions options, int[] allowed) {
        Objects.requireNonNull(options, "options");
        // a CPU id at or beyond cpuIdLimit() (hotplugged after the limit was read) is not one addWorker accepts
        int[] cpus = Arrays.stream(allowed).filter(cpu -> cpu < NativeCpu.cpuIdLimit()).toArray();
        Worker[] made = new Worker[cpus.length];
        int count = 0;
        try {
            for (int cpu : cpus) {
                made[count] = (Worker) newWorker(new WorkerOptions(options.realTime(), cpu, options.minBatch(),
                        options.maxDelay(), options.threadName().isEmpty() ? "" : options.threadName() + "-cpu" + cpu,
                        options.threadFactory()));
                count++;
            }
        } catch (RuntimeException | Error e) {
            for (int i = 0; i < count; i++) {
                made[i].beginClose();  // never routed to: they hold nothing and end by themselves
            }
            throw e;
        }
        for (int i = 0; i < cpus.length; i++) {
            setCpuWorker(cpus[i], made[i]);
        }
    }

    @Override
    public void freeAllCpuWorkers() {
        callbacks.checkNotFromCallback("freeAllCpuWorkers()");
        domain.checkCanBlock("freeAllCpuWorkers()");  // before anything is detached: a refused call changes nothing
        AtomicReferenceArray<Worker> a = cpuWorkers;
        if (a == null) {
            return;
        }
        Worker[] old = new Worker[a.length()];
        for (int cpu = 0; cpu < old.length; cpu++) {
            old[cpu] = a.getAndSet(cpu, null);
        }
        for (Worker w : old) {
            if (w != null && !w.isDefault) {
                w.closeWorker();
            }
        }
    }
}
