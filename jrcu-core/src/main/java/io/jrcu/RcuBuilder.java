package io.jrcu;

import io.jrcu.internal.NativeCpu;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Settings every flavor's builder shares ({@link MembRcu#builder()}, {@link QsbrRcu#builder()},
 * {@link BulletProofRcu#builder()}). Builders are not thread-safe; a built domain keeps a copy of the settings.
 *
 * <pre>{@code
 * MembRcu rcu = MembRcu.builder()
 *         .name("cache")
 *         .callbackBudget(10_000)                  // pending callbacks above this: expedite, then backpressure
 *         .backpressure(Backpressure.BLOCK)
 *         .stallTimeout(Duration.ofSeconds(5))    // log the readers a grace period waits for after this
 *         .build();
 * }</pre>
 *
 * @param <B> the concrete builder, returned by each setter for chaining
 */
public abstract sealed class RcuBuilder<B extends RcuBuilder<B>>
        permits MembRcu.Builder, QsbrRcu.Builder, BulletProofRcu.Builder {

    /** System property that turns debug checks on by default for every domain built afterwards. */
    public static final String DEBUG_CHECKS_PROPERTY = "jrcu.debugChecks";

    /** Linux's RCU stall timeout, the default here too. */
    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(21);

    String name = "";
    boolean debugChecks = Boolean.getBoolean(DEBUG_CHECKS_PROPERTY);
    Duration stallTimeout = DEFAULT_STALL_TIMEOUT;
    Consumer<Throwable> errorHandler;
    long callbackBudget = DEFAULT_CALLBACK_BUDGET;
    Backpressure backpressure = Backpressure.CALLER_RUNS;
    WorkerOptions defaultWorkerOptions = WorkerOptions.defaults();

    /** Default {@link #callbackBudget(long)}. */
    public static final long DEFAULT_CALLBACK_BUDGET = 1_000_000;

    RcuBuilder() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /**
     * A name used in thread names, stall reports and exception messages. Default: the flavor and a number.
     *
     * @param name the domain's name; {@code ""} means the default
     * @return this builder
     * @throws NullPointerException if {@code name} is null
     */
    public B name(String name) {
        this.name = Objects.requireNonNull(name, "name");
        return self();
    }

    /**
     * Turns on the checks that cost more than a compare on the thread's own record: {@link RcuReference#get()}
     * outside a section (memb, bulletProof) or on a thread that is not online (QSBR), and tracking of the owners of
     * {@link BulletProofRcu#readLockToken()} sections. The get() check sees only sections of domains that have debug
     * checks on, so turn them on for every domain of a process (the system property {@value #DEBUG_CHECKS_PROPERTY}
     * does that). Default: the system property, else off.
     *
     * @param on whether the domain runs the debug checks
     * @return this builder
     */
    public B debugChecks(boolean on) {
        this.debugChecks = on;
        return self();
    }

    /**
     * How long a grace period may wait before the domain logs a stall report naming the readers it waits for
     * (repeated with backoff). A thread that died inside a section is released at the latest then. Default 21 s.
     *
     * @param timeout how long a grace period waits before the first stall report
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     * @throws NullPointerException     if {@code timeout} is null
     */
    public B stallTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("stallTimeout must be positive: " + timeout);
        }
        this.stallTimeout = timeout;
        return self();
    }

    /**
     * Receives failures the domain cannot throw to a caller (an exception on a domain thread; later, a throwing
     * callback). Default: logs at ERROR with the stack trace through {@link System.Logger} {@code io.jrcu}.
     *
     * @param handler receives each such failure on the thread that caught it (a domain thread, a callback worker)
     * @return this builder
     * @throws NullPointerException if {@code handler} is null
     */
    public B errorHandler(Consumer<Throwable> handler) {
        this.errorHandler = Objects.requireNonNull(handler, "handler");
        return self();
    }

    /**
     * The most callbacks that may be pending (queued, not yet run) before {@link #backpressure(Backpressure)}
     * applies; above it the domain first expedites its workers. Pending stays within the budget plus one callback
     * (or one full {@code defer} batch) per producing thread, plus the overshoots of callers inside read sections,
     * holding bulletProof token sections they opened, or in callbacks. Default {@value #DEFAULT_CALLBACK_BUDGET}.
     *
     * @param budget the most pending callbacks, in callbacks (a {@code defer} batch counts each callback it holds)
     * @return this builder
     * @throws IllegalArgumentException if {@code budget} is less than 1
     */
    public B callbackBudget(long budget) {
        if (budget < 1) {
            throw new IllegalArgumentException("callbackBudget must be at least 1: " + budget);
        }
        this.callbackBudget = budget;
        return self();
    }

    /**
     * What a caller over the callback budget does. Default {@link Backpressure#CALLER_RUNS}.
     *
     * @param policy the policy for callers over the budget
     * @return this builder
     * @throws NullPointerException if {@code policy} is null
     */
    public B backpressure(Backpressure policy) {
        this.backpressure = Objects.requireNonNull(policy, "policy");
        return self();
    }

    /**
     * Options of the default callback worker. Default {@link WorkerOptions#defaults()}. The worker is made when it is
     * first needed; if its thread cannot start then, the {@code call} that needed it fails (see
     * {@link CallbackWorkers#defaultWorker()}).
     *
     * @param options the default worker's options
     * @return this builder
     * @throws IllegalArgumentException if {@code options.cpuAffinity()} is not a CPU of this machine
     * @throws NullPointerException     if {@code options} is null
     */
    public B defaultWorkerOptions(WorkerOptions options) {
        Objects.requireNonNull(options, "options");
        NativeCpu.checkCpu(options.cpuAffinity());
        this.defaultWorkerOptions = options;
        return self();
    }
}
