package io.jrcu;

import java.time.Duration;

/**
 * A grace-period domain: readers enter cheap read-side sections, writers publish a new version and wait (or poll)
 * for a grace period, after which no reader can still hold the old version. This is liburcu's "flavor" and DPDK's
 * QS variable.
 *
 * <pre>{@code
 * Rcu rcu = Rcu.memb();
 * RcuReference<Config> current = new RcuReference<>(initial);
 * try (ReadSection s = rcu.read()) {       // reader: wait-free, allocation-free
 *     use(current.get());                 // valid until the section ends
 * }
 * Config old = current.getAndSet(next);    // writer: publish the new version
 * rcu.retire(old, Config::close);          // closed by a worker after a grace period
 * // or: rcu.synchronize(); old.close();
 * }</pre>
 *
 * <p><b>The RCU guarantee.</b> If any part of a read section precedes the start of a grace period, the whole section
 * completes before that grace period ends. {@link #synchronize()} returns only after every section that began
 * before the call has ended; {@link #poll(long)} reports {@code true} only after a full grace period has elapsed
 * since its cookie was taken.
 *
 * <p><b>Memory consistency effects.</b> Actions of a reader inside a section <i>happen-before</i> the return of any
 * {@code synchronize}, {@code await} or successful {@code poll} whose grace period had to wait for that section;
 * actions of a thread before it calls {@code synchronize}, {@code snapshot}, {@code startPoll} or {@code await}
 * are visible to every read section that begins after that grace period could no longer wait for it.
 *
 * <p><b>Flavors.</b> {@link MembRcu} (registered readers, a store and a fence per outermost section),
 * {@link QsbrRcu} (zero-cost readers that report quiescent states), {@link BulletProofRcu} (no registration, safe
 * for millions of virtual threads). Each is one final class; everything else is shared.
 *
 * <p><b>Cookies.</b> One space of monotonically increasing 64-bit values per domain. {@link #COMPLETED} is always
 * complete. A cookie greater than any this domain has handed out is rejected with {@link IllegalArgumentException}.
 *
 * <p><b>Blocking.</b> Blocking calls keep waiting through interrupts and re-assert the interrupt status before they
 * return; the timed forms are the way out of a wait. Every blocking call throws {@link IllegalStateException} when
 * the caller is inside a read section of this domain (it would wait for itself), and for {@link BulletProofRcu} also
 * while the caller holds a token section it opened: a token counts against the thread that opened it until any
 * thread closes it.
 *
 * <p><b>Closing.</b> {@link #close()} works as {@link java.util.concurrent.ExecutorService#close()}: new read
 * sections and new grace-period requests throw {@link IllegalStateException}; sections opened before can still be
 * closed; it waits for the grace periods already requested and one final grace period that covers every section
 * opened before the close, then returns. After it, {@code poll} is {@code true} for every cookie issued before.
 * It also runs every pending callback and stops the callback workers; callbacks running meanwhile may still queue
 * more, and those run too.
 *
 * <p><b>Callbacks at JVM exit.</b> Workers are daemon threads: callbacks still pending when the JVM exits without a
 * {@code close()} (or {@link #barrier()}) do not run. Close the domain, or call {@code barrier()}, in a shutdown
 * path if they must.
 */
public sealed interface Rcu extends AutoCloseable permits MembRcu, QsbrRcu, BulletProofRcu {

    /** A cookie that {@link #poll(long)} always reports complete. */
    long COMPLETED = 0L;

    /**
     * A new memb domain with default settings; see {@link MembRcu#builder()}.
     *
     * @return a new open domain, owned by the caller, who closes it
     */
    static MembRcu memb() {
        return MembRcu.builder().build();
    }

    /**
     * A new QSBR domain with default settings; see {@link QsbrRcu#builder()}.
     *
     * @return a new open domain, owned by the caller, who closes it
     */
    static QsbrRcu qsbr() {
        return QsbrRcu.builder().build();
    }

    /**
     * A new bullet-proof domain with default settings; see {@link BulletProofRcu#builder()}.
     *
     * @return a new open domain, owned by the caller, who closes it
     */
    static BulletProofRcu bulletProof() {
        return BulletProofRcu.builder().build();
    }

    /**
     * The process-wide memb domain. Like {@link java.util.concurrent.ForkJoinPool#commonPool()}, {@code close()} on
     * it is a no-op and it stays usable for the life of the JVM.
     *
     * @return the process-wide memb domain, the same instance on every call
     */
    static Rcu defaultDomain() {
        return MembRcu.DefaultDomainHolder.DEFAULT;
    }

    /**
     * The version of this jrcu library, such as {@code 0.1.0}; the same on the class path and the module path.
     *
     * @return the library's version, or {@code "unknown"} if its build left no version record
     */
    static String version() {
        return LibraryVersion.VERSION;
    }

    /**
     * The calling thread's reader handle. Hot loops keep it and skip the lookup of the thread's record. memb
     * registers the thread on first use; QSBR never registers implicitly and throws {@link IllegalStateException} for
     * an unregistered thread; bulletProof needs no registration. The handle may only be used by its thread.
     *
     * @return the calling thread's reader handle for this domain
     */
    RcuReader reader();

    /**
     * Enters a read-side section; equivalent to {@code reader().read()}. Sections nest (at least 65,535 deep) and
     * must be closed in reverse order by the same thread. Wait-free; allocates nothing.
     *
     * @return the open section; its {@link ReadSection#close()} (try-with-resources) ends it
     * @throws IllegalStateException if the domain is closed, the thread may not read (QSBR: unregistered or
     *                               offline), or the nesting limit is reached
     */
    ReadSection read();

    /** liburcu's {@code rcu_read_lock}: opens a section without a handle object. Same rules as {@link #read()}. */
    void readLock();

    /**
     * liburcu's {@code rcu_read_unlock}: closes the innermost section of the calling thread.
     *
     * @throws IllegalStateException if the calling thread has no open section in this domain
     */
    void readUnlock();

    /**
     * Whether the calling thread is inside a read section of this domain (its nesting depth is above zero).
     *
     * @return {@code true} if the calling thread has a section of this domain open
     */
    boolean inReadSection();

    /**
     * {@code rcu_register_thread}: makes the calling thread a reader ahead of its first section. Idempotent.
     * QSBR: also brings the thread online (a registered thread that is offline stays offline). bulletProof: no-op.
     *
     * @throws IllegalStateException if the domain is closed
     */
    void registerThread();

    /**
     * {@code rcu_unregister_thread}: the calling thread stops being a reader. Idempotent. bulletProof: no-op.
     *
     * @throws IllegalStateException if the calling thread is inside a read section of this domain
     */
    void unregisterThread();

    /**
     * {@code synchronize_rcu}: waits until every read section that began before the call has ended. Concurrent
     * callers share grace periods. Blocking; keeps waiting through interrupts (the interrupt status is re-asserted).
     * For QSBR the call is a quiescent state of the calling thread, which must hold no protected reference across
     * it. For bulletProof a token section ({@link BulletProofRcu#readLockToken()}) counts against the thread that
     * opened it until any thread closes it: the opener may not call this meanwhile; another thread that holds the
     * token waits for it like for any open section.
     *
     * @throws IllegalStateException inside a read section of this domain, while holding a bulletProof token section
     *                               the caller opened, or when the domain is closed
     */
    void synchronize();

    /**
     * Like {@link #synchronize()} but gives up after {@code timeout}. A grace period that was started keeps going:
     * a later {@code synchronize} or {@code poll} finds it further along. To retry, prefer
     * {@code c = startPoll()} once and then {@link #await(long, Duration) await(c, timeout)} in the loop: each call
     * of this method asks for a newer grace period.
     *
     * @param timeout how long to wait at most, not null; zero or negative: only report whether it has ended
     * @return {@code false} if the grace period did not end in time
     */
    boolean synchronize(Duration timeout);

    /**
     * {@code get_state_synchronize_rcu}: a cookie that {@link #poll(long)} reports complete once a full grace period
     * has elapsed after this call. Starts no grace period. Wait-free apart from one full fence.
     *
     * @return a cookie for {@link #poll(long)} and {@link #await(long)}, never {@link #COMPLETED}
     * @throws IllegalStateException when the domain is closed
     */
    long snapshot();

    /**
     * {@code start_poll_synchronize_rcu}: like {@link #snapshot()}, and guarantees that the grace period the cookie
     * names will run without further calls (a domain thread drives it). O(1), never blocks, merges with any grace
     * period already requested. If the domain thread is not running and cannot be started, this throws what
     * starting it threw (e.g. {@code OutOfMemoryError: unable to create native thread}); the request is kept, and
     * the next call that requests a grace period starts the thread.
     *
     * @return a cookie as from {@link #snapshot()}, whose grace period is now requested
     * @throws IllegalStateException when the domain is closed
     */
    long startPoll();

    /**
     * {@code poll_state_synchronize_rcu}: whether a full grace period has elapsed since {@code cookie} was taken.
     * Never blocks. After {@link #close()} it is {@code true} for every cookie issued before the close; once it is
     * {@code true}, {@link #await(long)} of the cookie returns at once. memb and bulletProof read one counter
     * (wait-free), because only a grace period can end theirs (memb's issues the membarrier that orders the readers'
     * entries, bulletProof's flips the readers' phase). QSBR answers a cookie whose grace period has started but not
     * completed by one scan of the readers (DPDK's {@code rte_rcu_qsbr_check}: see {@link QsbrRcu#check}), O(readers),
     * and records what it saw (a CAS, or a store under the grace-period lock when it is free: it never waits for it).
     *
     * @param cookie a cookie of this domain ({@link #snapshot()}, {@link #startPoll()}, a QSBR token) or
     *               {@link #COMPLETED}
     * @return {@code true} if a full grace period has elapsed since {@code cookie} was taken; it stays {@code true}
     * @throws IllegalArgumentException if this domain never issued {@code cookie}
     */
    boolean poll(long cookie);

    /**
     * {@code cond_synchronize_rcu}: blocks until {@link #poll(long) poll(cookie)}, starting the grace period if
     * nobody has. Same blocking rules as {@link #synchronize()} (for QSBR, a quiescent state of the caller).
     *
     * @param cookie a cookie of this domain, as for {@link #poll(long)}
     * @throws IllegalArgumentException if this domain never issued {@code cookie}
     * @throws IllegalStateException    inside a read section of this domain, or (bulletProof) while holding a token
     *                                  section the caller opened, when the cookie's grace period has not ended (it
     *                                  would wait for itself)
     */
    void await(long cookie);

    /**
     * Like {@link #await(long)} but gives up after {@code timeout}.
     *
     * @param cookie  a cookie of this domain, as for {@link #poll(long)}
     * @param timeout how long to wait at most, not null; zero or negative: only report whether it has ended
     * @return {@code false} if the cookie's grace period did not end in time
     */
    boolean await(long cookie, Duration timeout);

    // ------------------------------------------------------------------ callbacks (call_rcu)

    /**
     * {@code call_rcu}: runs {@code callback} once, on a callback worker, after a grace period. Lock-free; the
     * writer does not wait for readers unless the domain is over its callback budget (then the builder's
     * {@link Backpressure} applies; a caller inside a read section, or holding a bulletProof token section it opened,
     * is never blocked: its callback is queued anyway, counted as an overshoot). Routed to the calling thread's
     * worker, else its CPU's, else the default worker (see {@link #workers()}).
     *
     * <p>Memory consistency effects: actions before {@code call} happen-before the callback runs; every read section
     * that could have seen what the caller unlinked before the call has ended before it runs.
     *
     * @param callback runs once, after a grace period; what it throws goes to the domain's error handler
     * @throws IllegalStateException              when the domain is closed, or when the default worker had to be
     *                                            made and its thread could not start (the callback is refused, see
     *                                            {@link CallbackWorkers#defaultWorker()})
     * @throws java.util.concurrent.RejectedExecutionException over budget with {@link Backpressure#THROW}
     * @throws NullPointerException               if {@code callback} is {@code null}
     */
    void call(Runnable callback);

    /**
     * The intrusive, allocation-free form of {@link #call(Runnable)} ({@code struct rcu_head}).
     *
     * @param callback runs once, after a grace period; it may be queued again once it has started running
     * @throws IllegalStateException if {@code callback} is already queued, or the domain is closed, or the default
     *                               worker's thread could not start (the callback is refused and may be queued
     *                               again)
     * @throws NullPointerException  if {@code callback} is {@code null}
     */
    void call(RcuCallback callback);

    /**
     * folly {@code rcu_retire} / QEMU {@code g_free_rcu}: {@code reclaimer.accept(object)} after a grace period.
     * Otherwise as {@link #call(Runnable)}.
     *
     * @param <T>       the type of the object
     * @param object    what readers may still see (unlinked already), handed to the reclaimer; may be {@code null}
     * @param reclaimer frees or recycles {@code object}; what it throws goes to the domain's error handler
     * @throws NullPointerException if {@code reclaimer} is null
     */
    <T> void retire(T object, java.util.function.Consumer<? super T> reclaimer);

    /**
     * {@code resource.close()} after a grace period; a failure goes to the error handler. Otherwise as
     * {@link #call(Runnable)}.
     *
     * @param resource what readers may still use (unlinked already); closed once, on a callback worker
     * @throws NullPointerException if {@code resource} is null
     */
    void retire(AutoCloseable resource);

    /**
     * {@code rcu_barrier}: returns once every callback queued before it, by any thread (including {@link #defer}
     * batches), has run. Blocking; keeps waiting through interrupts. For QSBR a quiescent state of the caller.
     * Deferred callbacks that no thread of the domain could be started for run on the caller's thread, after a grace
     * period.
     *
     * @throws IllegalStateException inside a read section of this domain, while holding a bulletProof token section
     *                               the caller opened, or from a callback (it would wait for itself)
     */
    void barrier();

    /**
     * Like {@link #barrier()} but gives up after {@code timeout}.
     *
     * @param timeout how long to wait at most, not null; zero or negative: only report whether all has run
     * @return {@code false} if not everything ran in time
     */
    boolean barrier(java.time.Duration timeout);

    /**
     * {@code defer_rcu}: appends {@code callback} to a batch, wait-free unless the batch is full; then the caller
     * waits for a grace period and runs the batch itself (a caller inside a read section, one holding a bulletProof
     * token section it opened, or a callback, hands the full batch to a worker instead, counted as an overshoot).
     * Batches left idle for about 100 ms, and those of threads that ended, are run by the domain's threads;
     * {@link #barrier()} and {@link #close()} cover every thread's batch, full or not.
     *
     * <p>A platform thread has a batch of its own: a full one holds only that thread's callbacks, and after the
     * thread's first full batch appending allocates nothing (the callback object is the caller's). Virtual threads
     * share a bounded set of batches, so they cost nothing each; a full shared batch may hold other threads'
     * callbacks, and its filler runs them all.
     *
     * <p>Memory consistency effects: as {@link #call(Runnable)}.
     *
     * @param callback runs once, after a grace period, on the thread that runs its batch; what it throws goes to the
     *                 domain's error handler
     * @throws NullPointerException  if {@code callback} is null
     * @throws IllegalStateException when the domain is closed
     */
    void defer(Runnable callback);

    /**
     * The domain's callback helper threads and their routing (liburcu {@code call_rcu_data}).
     *
     * @return the domain's workers, the same object for the life of the domain
     */
    CallbackWorkers workers();

    /**
     * The domain's counters now.
     *
     * @return a new record of the counters, read one by one while the domain keeps running
     */
    RcuStats stats();

    /**
     * Closes the domain (see the class documentation). A second call is a no-op; on {@link #defaultDomain()} the
     * call does nothing.
     *
     * @throws IllegalStateException if the caller is inside one of its own read sections of this domain, holds a
     *                               bulletProof token section it opened, or is a thread this domain runs
     */
    @Override
    void close();
}
