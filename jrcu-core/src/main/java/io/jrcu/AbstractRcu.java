package io.jrcu;

import io.jrcu.internal.Bridge;
import io.jrcu.internal.Faults;
import io.jrcu.internal.LibraryFlavor;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * A domain as its user sees it: the {@link GracePeriodEngine} below, and the callback machinery on top of it
 * ({@code call}, {@code retire}, {@code defer}, {@code barrier}, the workers and the stats), as liburcu's
 * {@code urcu-call-rcu-impl.h} sits on top of {@code urcu.c}. The flavors extend it. It also hands out what libraries
 * built on the domain see of it ({@link LibraryFlavor}, through {@link Bridge}).
 */
abstract class AbstractRcu<R extends AbstractReader> extends GracePeriodEngine<R> {
    /*
     * The facade plugs the callback machinery (Callbacks) into the engine through the engine's upper-layer hooks:
     *   the domain thread's periodic work  ->  Callbacks.hasDeferredWork / drainIdleDeferBatches, every
     *                                          DeferBatches.IDLE_NANOS
     *   close(), CLOSING                   ->  Callbacks.close(): every pending callback runs, the workers stop
     *   close(), CLOSED                    ->  Callbacks.closed(): the stranded callbacks
     *   isDomainThread                     ->  Callbacks.isDomainThread: the workers and batch runners
     * Callbacks reaches the engine through this object (grace periods, lifecycle, misuse checks). No state of the
     * facade is read on the read path.
     */

    /** The callback machinery (call, retire, defer, barrier, workers). */
    final Callbacks callbacks;
    /** What libraries built on this domain see of it; handed out by {@link Bridge#flavorOf}. */
    final LibraryFlavor libraryView = new LibraryView();

    static {
        Bridge.register(new Bridge.Access() {
            @Override
            public LibraryFlavor flavorOf(Rcu rcu) {
                return ((AbstractRcu<?>) rcu).libraryView;   // Rcu is sealed: every domain is an AbstractRcu
            }

            @Override
            public void inject(Rcu rcu, Faults.Fault fault, boolean on) {
                ((AbstractRcu<?>) rcu).injectFault(fault, on);
            }
        });
    }

    AbstractRcu(RcuBuilder<?> builder, String flavor, boolean processDefault) {
        super(builder.name, flavor, builder.debugChecks, builder.stallTimeout, builder.errorHandler, processDefault);
        this.callbacks = new Callbacks(this, builder.defaultWorkerOptions, builder.callbackBudget,
                builder.backpressure);
    }

    // ------------------------------------------------------------------ the engine's hooks

    @Override
    final boolean periodicWorkPending() {
        return callbacks.hasDeferredWork();
    }

    @Override
    final void runPeriodicWork() {
        callbacks.drainIdleDeferBatches();
    }

    @Override
    final long periodicWorkIntervalNanos() {
        return DeferBatches.IDLE_NANOS;
    }

    @Override
    final void closeUpperLayers() {
        callbacks.close();  // runs every pending callback (and those they queue), stops the workers
    }

    @Override
    final void upperLayersClosed() {
        callbacks.closed();
    }

    @Override
    final boolean isUpperLayerThread(Thread t) {
        return callbacks.isDomainThread(t);
    }

    // ------------------------------------------------------------------ callbacks

    /**
     * {@code call_rcu}: runs {@code callback} once, on a callback worker, after a grace period; see
     * {@link Rcu#call(Runnable)} for the budget and what it throws.
     *
     * @param callback runs once, after a grace period; what it throws goes to the domain's error handler
     */
    public final void call(Runnable callback) {
        callbacks.call(callback);
    }

    /**
     * The intrusive, allocation-free form of {@link #call(Runnable)}; see {@link Rcu#call(RcuCallback)}.
     *
     * @param callback runs once, after a grace period; it may be queued again once it has started running
     */
    public final void call(RcuCallback callback) {
        callbacks.call(callback);
    }

    /**
     * {@code reclaimer.accept(object)} after a grace period; see {@link Rcu#retire(Object, Consumer)}.
     *
     * @param <T>       the type of the object
     * @param object    what readers may still see (unlinked already), handed to the reclaimer; may be {@code null}
     * @param reclaimer frees or recycles {@code object}; what it throws goes to the domain's error handler
     */
    public final <T> void retire(T object, Consumer<? super T> reclaimer) {
        callbacks.retire(object, reclaimer);
    }

    /**
     * {@code resource.close()} after a grace period; see {@link Rcu#retire(AutoCloseable)}.
     *
     * @param resource what readers may still use (unlinked already); closed once, on a callback worker
     */
    public final void retire(AutoCloseable resource) {
        callbacks.retire(resource);
    }

    /**
     * {@code rcu_barrier}: returns once every callback queued before it, by any thread, has run. Blocking; keeps
     * waiting through interrupts; see {@link Rcu#barrier()}.
     *
     * @throws IllegalStateException inside a read section of this domain, while holding a bulletProof token section
     *                               the caller opened, or from a callback (it would wait for itself)
     */
    public final void barrier() {
        callbacks.barrier(NO_DEADLINE);
    }

    /**
     * Like {@link #barrier()} but gives up after {@code timeout}; see {@link Rcu#barrier(Duration)}.
     *
     * @param timeout how long to wait at most, not null; zero or negative: only report whether all has run
     * @return {@code false} if not everything ran in time
     */
    public final boolean barrier(Duration timeout) {
        return callbacks.barrier(deadlineAfter(timeout));
    }

    /**
     * {@code defer_rcu}: appends {@code callback} to a batch that runs after a grace period; a caller that fills the
     * batch waits for the grace period and runs it. See {@link Rcu#defer(Runnable)}.
     *
     * @param callback runs once, after a grace period, on the thread that runs its batch; what it throws goes to the
     *                 domain's error handler
     */
    public final void defer(Runnable callback) {
        callbacks.defer(callback);
    }

    /**
     * The domain's callback helper threads and their routing; see {@link Rcu#workers()}.
     *
     * @return the domain's workers, the same object for the life of the domain
     */
    public final CallbackWorkers workers() {
        return callbacks;
    }

    /**
     * The domain's counters now; see {@link Rcu#stats()}.
     *
     * @return a new record of the counters, read one by one while the domain keeps running
     */
    public final RcuStats stats() {
        return callbacks.stats(gracePeriodsCounted(), meanGracePeriodNanos(), maxGracePeriodNanos(), stallReports());
    }

    /** The domain as {@link LibraryFlavor} sees it: delegates to the engine, adds no state. */
    private final class LibraryView implements LibraryFlavor {

        @Override
        public Rcu rcu() {
            return (Rcu) AbstractRcu.this;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean owns(RcuReader reader) {
            return reader instanceof AbstractReader r && r.domain == AbstractRcu.this;
        }

        @Override
        public long deferCookie() {
            return AbstractRcu.this.deferCookie();
        }

        @Override
        public boolean hasPassed(long cookie) {
            return isCompleted(cookie);
        }

        @Override
        public boolean hasStarted(long cookie) {
            return AbstractRcu.this.hasStarted(cookie);
        }

        @Override
        public boolean tryAdvance(long cookie, boolean mayStart) {
            return AbstractRcu.this.tryAdvance(cookie, mayStart);
        }

        @Override
        public void request(long cookie) {
            AbstractRcu.this.request(cookie);
        }

        @Override
        public boolean gracePeriodStartIsCheap() {
            return AbstractRcu.this.gracePeriodStartIsCheap();
        }

        @Override
        public void awaitGracePeriodOrClose() {
            AbstractRcu.this.awaitGracePeriodOrClose();
        }

        @Override
        public void checkCanBlock(String operation) {
            AbstractRcu.this.checkCanBlock(operation);
        }

        @Override
        public void reportError(Throwable error) {
            errorHandler.accept(error);
        }

        @Override
        public boolean isOpen() {
            return AbstractRcu.this.isOpen();
        }

        @Override
        public boolean isClosed() {
            return AbstractRcu.this.isClosed();
        }

        @Override
        public boolean isDomainThread(Thread thread) {
            return AbstractRcu.this.isDomainThread(thread);
        }

        @Override
        public String toString() {
            return "LibraryFlavor[" + AbstractRcu.this + "]";
        }
    }
}
