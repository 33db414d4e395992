package io.jrcu;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * How a {@link CallbackWorker} behaves ({@code create_call_rcu_data}'s flags and CPU affinity, plus QEMU-style
 * batching). Immutable.
 *
 * <pre>{@code
 * WorkerOptions options = WorkerOptions.builder()
 *         .threadName("rt-reclaim")
 *         .realTime(true)                          // polls instead of sleeping: producers never pay a wake-up
 *         .cpuAffinity(3)
 *         .build();
 * CallbackWorker worker = rcu.workers().newWorker(options);
 * }</pre>
 *
 * @param realTime    {@code URCU_CALL_RCU_RT}: the worker polls its queue instead of sleeping, so producers never pay
 *                    a wake-up
 * @param cpuAffinity the CPU to pin the worker thread to, or -1 for none (Linux {@code sched_setaffinity} through
 *                    {@code java.lang.foreign}; elsewhere, or if the CPU is not allowed to the process, the worker
 *                    runs unpinned, with one logged notice). A CPU id the machine does not have is refused with an
 *                    {@code IllegalArgumentException} when the worker is created (or, for the default worker, by
 *                    {@link RcuBuilder#defaultWorkerOptions})
 * @param minBatch    a worker that finds fewer callbacks waits up to {@code maxDelay} for more (skipped when the
 *                    domain is over budget or a barrier waits)
 * @param maxDelay    the longest such wait; zero disables batching delays
 * @param threadName  the worker thread's name ({@code ""}: the domain's name and a number)
 * @param threadFactory makes the worker thread ({@code null}: a daemon platform thread); it must return a new,
 *                    unstarted thread that runs the task it is given (see {@link CallbackWorkers#newWorker})
 */
public record WorkerOptions(boolean realTime, int cpuAffinity, int minBatch, Duration maxDelay, String threadName,
                            ThreadFactory threadFactory) {

    private static final WorkerOptions DEFAULTS = new WorkerOptions(false, -1, 64, Duration.ofMillis(10), "", null);

    /** Checks the values. */
    public WorkerOptions {
        if (cpuAffinity < -1) {
            throw new IllegalArgumentException("cpuAffinity must be -1 (none) or a CPU number: " + cpuAffinity);
        }
        if (minBatch < 1) {
            throw new IllegalArgumentException("minBatch must be at least 1: " + minBatch);
        }
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (maxDelay.isNegative()) {
            throw new IllegalArgumentException("maxDelay must not be negative: " + maxDelay);
        }
        Objects.requireNonNull(threadName, "threadName");
    }

    /**
     * Not real-time, no affinity, batches of 64 or 10 ms, a daemon platform thread.
     *
     * @return the default options, the same instance on every call
     */
    public static WorkerOptions defaults() {
        return DEFAULTS;
    }

    /**
     * A builder starting from {@link #defaults()}.
     *
     * @return a new builder holding the default options
     */
    public static Builder builder() {
        return new Builder(DEFAULTS);
    }

    /** Builder for {@link WorkerOptions}. */
    public static final class Builder {
        private boolean realTime;
        private int cpuAffinity;
        private int minBatch;
        private Duration maxDelay;
        private String threadName;
        private ThreadFactory threadFactory;

        private Builder(WorkerOptions from) {
            realTime = from.realTime;
            cpuAffinity = from.cpuAffinity;
            minBatch = from.minBatch;
            maxDelay = from.maxDelay;
            threadName = from.threadName;
            threadFactory = from.threadFactory;
        }

        /**
         * See {@link WorkerOptions#realTime()}.
         *
         * @param on whether the worker polls its queue instead of sleeping
         * @return this builder
         */
        public Builder realTime(boolean on) {
            this.realTime = on;
            return this;
        }

        /**
         * See {@link WorkerOptions#cpuAffinity()}. Checked by {@link #build()} and when the worker is created.
         *
         * @param cpu the CPU to pin the worker thread to, or -1 for none
         * @return this builder
         */
        public Builder cpuAffinity(int cpu) {
            this.cpuAffinity = cpu;
            return this;
        }

        /**
         * See {@link WorkerOptions#minBatch()} and {@link WorkerOptions#maxDelay()}. Checked by {@link #build()}.
         *
         * @param minBatch the number of callbacks below which the worker waits for more, at least 1
         * @param maxDelay the longest such wait, not negative; zero disables batching delays
         * @return this builder
         */
        public Builder batching(int minBatch, Duration maxDelay) {
            this.minBatch = minBatch;
            this.maxDelay = maxDelay;
            return this;
        }

        /**
         * See {@link WorkerOptions#threadName()}.
         *
         * @param name the worker thread's name, or {@code ""} for the domain's name and a number
         * @return this builder
         */
        public Builder threadName(String name) {
            this.threadName = name;
            return this;
        }

        /**
         * See {@link WorkerOptions#threadFactory()}.
         *
         * @param factory makes the worker thread, or {@code null} for a daemon platform thread
         * @return this builder
         */
        public Builder threadFactory(ThreadFactory factory) {
            this.threadFactory = factory;
            return this;
        }

        /**
         * The options.
         *
         * @return new options with this builder's values
         * @throws IllegalArgumentException if {@code cpuAffinity} is below -1, {@code minBatch} below 1 or
         *                                  {@code maxDelay} negative
         * @throws NullPointerException     if {@code maxDelay} or the thread name is null
         */
        public WorkerOptions build() {
            return new WorkerOptions(realTime, cpuAffinity, minBatch, maxDelay, threadName, threadFactory);
        }
    }
}
