package io.jrcu;

import io.jrcu.internal.BackoffIdle;
import io.jrcu.internal.Faults;
import io.jrcu.internal.Uninterruptibly;
import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The grace-period engine every flavor shares: what callers ask of grace periods — cookies, polls, the waits,
 * requests to the {@link DomainThread}, misuse checks and closing — on top of {@link GracePeriodSequence}, which runs
 * the grace periods themselves. A flavor supplies only its read side and {@link #awaitReaders}. The engine knows no
 * callback, defer or arena type: {@link AbstractRcu} builds the callback machinery on top of it and plugs in through
 * the upper-layer hooks (the domain thread's periodic work, what close() runs first, the upper layers' threads), as
 * liburcu's {@code urcu-call-rcu-impl.h} sits on top of {@code urcu.c}.
 */
abstract class GracePeriodEngine<R extends AbstractReader> extends GracePeriodSequence<R> {
    /*
     * Overview.
     *
     * A cookie is the number of a grace period that starts after the cookie was taken: snapshot() issues a full
     * fence, then returns started + 1. Grace period started+1 has not started when started is read, so it begins
     * after the caller's earlier writes. poll, isCompleted, await and tryAdvance all ask whether it has passed
     * (passed(c), see GracePeriodSequence). COMPLETED (0) is always complete. maxIssued (a CAS maximum, written about
     * once per grace period) rejects cookies never handed out.
     *
     * A caller of synchronize()/await() takes gpLock and runs grace periods itself (lowest latency: no handoff to
     * another thread). Callers that find gpLock held share the work: they park until the holder completes a grace
     * period or lets the lock go, then find completed >= their cookie and return at once, so concurrent
     * synchronize() callers share grace periods as in liburcu >= 0.8. A waiter that cannot take gpLock in a flavor
     * whose poll looks at the readers (QSBR) takes that look before each park, and parks with a bounded timeout
     * while it looks (readers wake only the holder of gpLock): a true poll(c) is never followed by an await(c) that
     * waits, or a DeferQueue entry of c that stays ineligible.
     *
     * startPoll() and requestLazily() (DeferQueue) hand the grace period to the domain thread (DomainThread: the
     * requests, the lazy tick, its parking and loop). Every holder of gpLock that runs grace periods, after
     * unlocking, hands a request it did not serve to the domain thread (unlockAndHandOff). tryAdvance()
     * (DeferQueue.reclaim) runs a grace-period step without waiting: with gpLock free, it starts (if allowed: memb's
     * membarrier makes starting costly, see gracePeriodStartIsCheap) or resumes the grace period and looks at the
     * readers once (deadline NO_WAIT).
     *
     * Memory-ordering plan (partners; runUntil, completed and the look: see GracePeriodSequence):
     *   snapshot: fullFence, then volatile load of started  <->  the volatile CAS of started in runUntil
     *   token:    volatile increment of started (its release half orders the unlinks before it)  <->  readers'
     *             acquire load of started; the scan's store->load order is runUntil's fence
     *   lifecycle: volatile, read after started (snapshot, token)  <->  close's CAS to CLOSING, then the volatile
     *             store of state.closing that readers check after their own fence
     *   requests / the domain thread's park: see DomainThread.
     *
     * Closing: state OPEN -> CLOSING (state.closing is set; new sections and requests throw) -> the upper layers
     * close (closeUpperLayers: pending callbacks run) -> a final grace period started after that, which therefore
     * covers every section opened before the close and every cookie issued before it -> CLOSED -> the upper layers
     * are told (upperLayersClosed) -> the domain thread stops.
     */

    /** Deepest supported nesting of read sections. */
    static final int MAX_NESTING = 65_535;

    private static final int OPEN = 0, CLOSING = 1, CLOSED = 2;
    /** How awaitUntil parks between its looks at the readers: from the first step, doubling to the maximum. */
    private static final BackoffIdle LOOKS = new BackoffIdle(0, 0, GracePeriodWait.MIN_PARK_NANOS,
            GracePeriodWait.MAX_PARK_NANOS);
    private static final AtomicInteger DOMAIN_NUMBERS = new AtomicInteger();

    private static final VarHandle MAX_ISSUED = VarHandles.field(MethodHandles.lookup(), "maxIssued", long.class);
    private static final VarHandle STATE = VarHandles.field(MethodHandles.lookup(), "lifecycle", int.class);

    private final boolean processDefault;

    /** Highest cookie handed out by snapshot()/startPoll(); raised by CAS, about once per grace period. */
    @SuppressWarnings("unused") // through MAX_ISSUED
    private volatile long maxIssued;
    @SuppressWarnings("unused") // through STATE
    private volatile int lifecycle = OPEN;
    private final CountDownLatch closed = new CountDownLatch(1);

    /** Drives requested and lazily requested grace periods, and the upper layers' periodic work. */
    private final DomainThread domainThread = new DomainThread(this);

    /** Volatile load; partner: the CAS in snapshot(). */
    private long lvMaxIssued() {
        return (long) MAX_ISSUED.getVolatile(this);
    }

    /** Volatile CAS; read by checkIssued. */
    private boolean casMaxIssued(long expected, long value) {
        return MAX_ISSUED.compareAndSet(this, expected, value);
    }

    /** Volatile load; partners: the CAS to CLOSING and the store of CLOSED in close(). */
    private int lvLifecycle() {
        return (int) STATE.getVolatile(this);
    }

    private boolean casLifecycle(int expected, int value) {
        return STATE.compareAndSet(this, expected, value);
    }

    private void svLifecycle(int value) {
        STATE.setVolatile(this, value);
    }

    /**
     * @param name           the domain's name; {@code ""}: the flavor's name and a number
     * @param flavor         the flavor's name
     * @param debugChecks    whether sections are counted for the debug checks
     * @param stallTimeout   how long a grace period waits before its first stall report
     * @param errorHandler   receives failures nobody can be thrown to; {@code null}: they are logged
     * @param processDefault whether this is the process's default domain (close() does nothing)
     */
    GracePeriodEngine(String name, String flavor, boolean debugChecks, Duration stallTimeout,
                      Consumer<Throwable> errorHandler, boolean processDefault) {
        super(name.isEmpty() ? flavor + "-" + DOMAIN_NUMBERS.incrementAndGet() : name, stallTimeout, errorHandler);
        this.processDefault = processDefault;
        if (debugChecks) {
            DebugProtection.enable();
        }
    }

    static long deadlineAfter(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        long nanos = saturatedNanos(timeout);
        long now = System.nanoTime();
        if (nanos <= 0) {
            return now;
        }
        long deadline = now + nanos;
        return deadline < now || deadline == NO_DEADLINE ? NO_DEADLINE - 1 : deadline;
    }

    // ------------------------------------------------------------------ flavor hooks

    /** The calling thread's reader record if it has one (never creates one). */
    abstract R currentReaderOrNull();

    /**
     * Called before the calling thread blocks for a grace period. QSBR marks an online caller offline (a quiescent
     * state); other flavors do nothing. Returns a value for {@link #afterBlocking}.
     */
    boolean beforeBlocking() {
        return false;
    }

    void afterBlocking(boolean token) {
    }

    // ------------------------------------------------------------------ cookies

    /**
     * {@code get_state_synchronize_rcu}: a cookie that {@link #poll(long)} reports complete once a full grace period
     * has elapsed after this call; see {@link Rcu#snapshot()}.
     *
     * @return a cookie of this domain, never {@link Rcu#COMPLETED}
     * @throws IllegalStateException when the domain is closed
     */
    public final long snapshot() {
        VarHandle.fullFence(); // orders the caller's earlier writes (unlinks) before reading started; partner: the
                               // volatile store of started that begins the grace period this cookie names
        long cookie = state.lvStarted() + 1;
        if (lvLifecycle() != OPEN) {   // read after started: a cookie >= the final grace period sees CLOSING
            checkOpen("snapshot()");
        }
        for (long issued = lvMaxIssued(); cookie > issued; issued = lvMaxIssued()) {
            if (casMaxIssued(issued, cookie)) {  // volatile CAS; read by checkIssued
                break;
            }
        }
        return cookie;
    }

    /**
     * {@code start_poll_synchronize_rcu}: a cookie as from {@link #snapshot()}, and its grace period will run without
     * further calls; see {@link Rcu#startPoll()}.
     *
     * @return a cookie of this domain whose grace period is now requested
     * @throws IllegalStateException when the domain is closed
     */
    public final long startPoll() {
        long cookie = snapshot();
        request(cookie);
        return cookie;
    }

    /**
     * A DPDK-style token (QSBR): starts a new grace period at once by raising {@code started}, so that any quiescent
     * state reported after this call covers it, and returns its number. Never blocks; one atomic increment. On a
     * closing or closed domain (except on its own threads) it throws and leaves {@code started} as it was, unless a
     * close begins during the call.
     */
    final long token() {
        if (lvLifecycle() != OPEN) {   // volatile; refuse before changing anything
            checkOpen("start()");
        }
        // volatile increment, no fence before it: its release half orders the caller's earlier writes (unlinks)
        // before the new number (partner: the readers' acquire load of started when they report); the scan's
        // store->load order is runUntil's fence. (snapshot() needs its fence because it only loads.)
        long t = state.incStarted();
        if (lvLifecycle() != OPEN) {   // read again after the increment, as in snapshot(): a close that began during
            checkOpen("start()");  // the call may have read started before it, so its final grace period may not
        }                          // cover this token
        return t;
    }

    /**
     * The cookie DeferQueue stamps an entry with, with the grace period requested lazily (no wake-up per grace
     * period). QSBR overrides it with a token.
     */
    long deferCookie() {
        long cookie = snapshot();
        requestLazily(cookie);
        return cookie;
    }

    /**
     * Makes the domain thread drive grace periods until {@code cookie} is complete; see {@link DomainThread#request}.
     * O(1); never blocks; throws what starting the domain thread threw.
     */
    final void request(long cookie) {
        domainThread.request(cookie);
    }

    /**
     * Makes sure grace periods advance to {@code cookie} within about DomainThread.LAZY_NANOS even if nobody polls;
     * see {@link DomainThread#requestLazily}. O(1); never blocks.
     */
    final void requestLazily(long cookie) {
        domainThread.requestLazily(cookie);
    }

    /**
     * Whether a grace period started and not completed is itself a lazy request (QSBR, whose DeferQueue cookies are
     * tokens: each starts its grace period at once, so {@code started} is always the newest cookie and needs no
     * CAS of {@code lazyRequested} per enqueue; see {@link #tokenTakenLazily()}).
     */
    boolean startedIsLazyRequest() {
        return false;
    }

    /** requestLazily for a token just taken; see {@link DomainThread#tokenTakenLazily}. O(1), no CAS. */
    final void tokenTakenLazily() {
        domainThread.tokenTakenLazily();
    }

    /**
     * Whether starting a grace period is cheap enough for non-blocking paths (tryAdvance) to do it whenever they
     * need one. memb with membarrier says no (a system call and an IPI per CPU): its grace periods for lazy requests
     * start on the domain thread's tick, and tryAdvance only completes them.
     */
    boolean gracePeriodStartIsCheap() {
        return true;
    }

    /** Whether the grace period {@code cookie} names has started (volatile load of started). */
    final boolean hasStarted(long cookie) {
        return state.lvStarted() >= cookie;
    }

    /**
     * Advances grace periods toward {@code cookie} without waiting: if no other thread runs one, starts or resumes
     * the grace period and looks at the readers once (DPDK's non-blocking {@code rte_rcu_qsbr_check}). Safe inside a
     * read section (the caller's own section simply keeps the grace period open).
     *
     * @param mayStart whether it may start a grace period (else it only completes one already started)
     * @return whether {@code cookie}'s grace period is complete
     */
    final boolean tryAdvance(long cookie, boolean mayStart) {
        if (passed(cookie)) {
            return true;
        }
        if (!mayStart && state.lvStarted() < cookie) {
            return false;   // its grace period has not started and the caller may not start it (a lazy tick will)
        }
        if (manualGracePeriods || lvLifecycle() != OPEN || !gpLock.tryLock()) {
            return false;   // closing: the closer's final grace period covers it; another holder is working on it
        }
        try {
            return runUntil(cookie, NO_WAIT);
        } finally {
            unlockAndHandOff();
        }
    }

    /**
     * Whether grace period {@code cookie} has passed: {@link #poll} without QSBR's look at the readers, for
     * machinery that looks at them through {@link #tryAdvance} itself (DeferQueue's reclaim). True once a poll of
     * {@code cookie} was. O(1).
     */
    final boolean isCompleted(long cookie) {
        return passed(cookie);
    }

    /**
     * {@code poll_state_synchronize_rcu}: whether a full grace period has elapsed since {@code cookie} was taken.
     * Never blocks; see {@link Rcu#poll(long)}.
     *
     * @param cookie a cookie of this domain, or {@link Rcu#COMPLETED}
     * @return {@code true} if that grace period has ended; it stays {@code true}
     * @throws IllegalArgumentException if this domain never issued {@code cookie}
     */
    public final boolean poll(long cookie) {
        checkIssued(cookie);
        if (lvCompleted() >= cookie) {   // volatile; pairs with the volatile store in complete()
            return true;
        }
        // QSBR: readersPassed answers from seenComplete too, and lets completed catch up with it
        return pollLooksAtReaders() ? readersPassed(cookie) : passed(cookie);
    }

    private void checkIssued(long cookie) {
        if (cookie < 0 || (cookie > lvMaxIssued() && cookie > state.lvStarted())) { // tokens are <= started
            throw new IllegalArgumentException("cookie " + cookie + " was never issued by " + name
                    + " (newest cookie issued: " + lvMaxIssued() + ", grace periods completed: " + lvCompleted() + ")");
        }
    }

    // ------------------------------------------------------------------ blocking waits

    /**
     * {@code synchronize_rcu}: waits until every read section that began before the call has ended. Blocking; keeps
     * waiting through interrupts; see {@link Rcu#synchronize()}.
     *
     * @throws IllegalStateException inside a read section of this domain, while holding a bulletProof token section
     *                               the caller opened, or when the domain is closed
     */
    public final void synchronize() {
        checkCanBlock("synchronize()");
        checkOpen("synchronize()");
        awaitUninterruptibly(snapshot());
    }

    /**
     * Like {@link #synchronize()} but gives up after {@code timeout}; see {@link Rcu#synchronize(Duration)}.
     *
     * @param timeout how long to wait at most, not null; zero or negative: only report whether it has ended
     * @return {@code false} if the grace period did not end in time
     */
    public final boolean synchronize(Duration timeout) {
        long deadline = deadlineAfter(timeout);
        checkCanBlock("synchronize(Duration)");
        checkOpen("synchronize(Duration)");
        long cookie = snapshot();
        request(cookie);
        return awaitUntil(cookie, deadline);
    }

    /**
     * {@code cond_synchronize_rcu}: blocks until {@link #poll(long) poll(cookie)}, starting the grace period if
     * nobody has; see {@link Rcu#await(long)}.
     *
     * @param cookie a cookie of this domain, or {@link Rcu#COMPLETED}
     * @throws IllegalArgumentException if this domain never issued {@code cookie}
     * @throws IllegalStateException    when it would wait for the caller's own section (see {@link Rcu#await(long)})
     */
    public final void await(long cookie) {
        checkIssued(cookie);
        if (passed(cookie)) {
            return;
        }
        checkCanBlock("await(long)");
        awaitUninterruptibly(cookie);
    }

    /**
     * Like {@link #await(long)} but gives up after {@code timeout}; see {@link Rcu#await(long, Duration)}.
     *
     * @param cookie  a cookie of this domain, or {@link Rcu#COMPLETED}
     * @param timeout how long to wait at most, not null; zero or negative: only report whether it has ended
     * @return {@code false} if the cookie's grace period did not end in time
     * @throws IllegalArgumentException if this domain never issued {@code cookie}
     */
    public final boolean await(long cookie, Duration timeout) {
        long deadline = deadlineAfter(timeout);
        checkIssued(cookie);
        if (passed(cookie)) {
            return true;
        }
        checkCanBlock("await(long, Duration)");
        request(cookie);
        return awaitUntil(cookie, deadline);
    }

    /**
     * A grace period for the domain's own machinery: a callback worker, or a caller that has been checked to hold no
     * section (defer's full batch, CALLER_RUNS). No open/closed or section checks; for QSBR a quiescent state of an
     * online caller.
     */
    final void awaitGracePeriodInternal() {
        awaitUninterruptibly(cookieNow());
    }

    /**
     * A grace period for machinery that may run while or after the domain closes (RcuArena.close(), a callback
     * handed to a rescue thread): one that starts after this call, or, once the domain is closing, the end of its
     * close — whose final grace period covers every section, none opening after it — so that it never runs a grace
     * period of a closed domain (for QSBR that one would wait for threads that stayed online). A domain thread, which
     * the close may be waiting for, runs the grace period itself while the domain is closing, and waits for nothing
     * once it is closed. No section checks; for QSBR a quiescent state of an online caller.
     */
    final void awaitGracePeriodOrClose() {
        long cookie = cookieNow();
        // lifecycle read after started, as in snapshot(): if it is OPEN the final grace period covers the cookie
        int now = lvLifecycle();
        if (now == CLOSED) {
            return;
        }
        if (now == OPEN || isDomainThread(Thread.currentThread())) {
            awaitUninterruptibly(cookie);
            return;
        }
        boolean token = beforeBlocking();   // QSBR: the final grace period must not wait for the caller
        try {
            awaitClosed();
        } finally {
            afterBlocking(token);
        }
    }

    /** snapshot() without the closed check, for the domain's own machinery. */
    private long cookieNow() {
        VarHandle.fullFence(); // as in snapshot(): the caller's earlier writes before reading started
        return state.lvStarted() + 1;
    }

    private void awaitUninterruptibly(long cookie) {
        awaitUntil(cookie, NO_DEADLINE);
    }

    /**
     * Waits until grace period {@code cookie} has passed: runs the grace periods itself when it can take gpLock,
     * else parks until the holder completes a grace period or lets the lock go. It never queues behind the holder.
     * Where {@link #pollLooksAtReaders()}, it looks at the readers itself before each park and parks at most
     * GracePeriodWait.MAX_PARK_NANOS at a time, so it does not wait for grace periods later than its own that the
     * holder waits for. Keeps waiting through interrupts (re-asserted at the end).
     *
     * @return {@code false} if the deadline passed first
     */
    private boolean awaitUntil(long cookie, long deadline) {
        boolean token = beforeBlocking();
        boolean interrupted = false;
        boolean queued = false;
        boolean looks = pollLooksAtReaders();
        int lookStep = 0;   // LOOKS' step: parks that double between looks at the readers
        Thread me = Thread.currentThread();
        try {
            while (!passed(cookie)) {
                if (gpLock.tryLock()) {
                    try {
                        return runUntil(cookie, deadline);
                    } finally {
                        unlockAndHandOff();
                    }
                }
                if (!queued) {
                    gpWaiters.add(me);  // then re-check: a signal after this add is not lost (park permit)
                    queued = true;
                    continue;
                }
                if (looks && readersPassed(cookie)) {
                    break;   // the holder waits for a later grace period's readers; this one has passed
                }
                long remaining = deadline == NO_DEADLINE ? Long.MAX_VALUE : deadline - System.nanoTime();
                if (remaining <= 0) {
                    return false;
                }
                if (looks) {
                    lookStep = LOOKS.idle(this, lookStep, remaining);
                } else if (deadline == NO_DEADLINE) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, remaining);
                }
                if (Thread.interrupted()) {
                    interrupted = true;  // keep waiting; re-asserted below
                }
            }
            return true;
        } finally {
            if (queued) {
                gpWaiters.remove(me);
            }
            Uninterruptibly.restoreInterrupt(interrupted);
            afterBlocking(token);
        }
    }

    private void unlockAndHandOff() {
        unlockGracePeriods();
        if (domainThread.lvRequested() > lvCompleted()) {  // volatile loads: a request this holder did not
            domainThread.handOff();                         // serve goes to the domain thread
        }
    }

    // ------------------------------------------------------------------ the upper layers' hooks

    /**
     * Whether the upper layers have periodic work for the domain thread now (the callback facade: idle defer
     * batches, stranded callbacks). Asked on every turn of the domain thread's loop; a volatile load or two.
     */
    boolean periodicWorkPending() {
        return false;
    }

    /** Runs the upper layers' periodic work on the domain thread, about every {@link #periodicWorkIntervalNanos}. */
    void runPeriodicWork() {
    }

    /** How often the domain thread runs {@link #runPeriodicWork} while {@link #periodicWorkPending}. */
    long periodicWorkIntervalNanos() {
        return Long.MAX_VALUE / 4;
    }

    /**
     * Called by close() once the domain is CLOSING, before its final grace period: the upper layers finish what
     * they hold (the callback facade runs every pending callback and stops its workers).
     */
    void closeUpperLayers() {
    }

    /** Called by close() once the domain is CLOSED, before the domain thread stops. */
    void upperLayersClosed() {
    }

    /** Whether {@code t} is a thread the upper layers run for this domain (a callback worker). */
    boolean isUpperLayerThread(Thread t) {
        return false;
    }

    // ------------------------------------------------------------------ the domain thread

    /** Whether the domain thread is parked (or about to park) with no lazy tick: it waits for a wake-up. Tests. */
    final boolean domainThreadParkedWithoutTick() {
        return domainThread.parkedWithoutTick();
    }

    /** The grace-period thread, or a thread the upper layers run (callback workers). */
    final boolean isDomainThread(Thread t) {
        return domainThread.isThread(t) || isUpperLayerThread(t);
    }

    final boolean isGracePeriodThread(Thread t) {
        return domainThread.isThread(t);
    }

    /**
     * Called when the upper layers' periodic work appears (defer() is first used, Callbacks strands a callback): the
     * domain thread (started if needed) switches from an untimed park to parks of the work's interval. The caller
     * has made the work visible before (a volatile store), so a thread that parks after this unpark sees it.
     */
    final void wakeForDeferredWork() {
        domainThread.wakeForPeriodicWork();
    }

    // ------------------------------------------------------------------ misuse checks

    /**
     * Whether a grace period would wait for the calling thread: it is inside a read section of this domain, or (for
     * bulletProof) holds a token section it opened that no thread has closed. Asked only on paths about to wait for
     * a grace period: bulletProof's answer scans its token table.
     */
    boolean callerHoldsSection() {
        R reader = currentReaderOrNull();
        return reader != null && reader.depth() > 0;
    }

    /** What {@link #callerHoldsSection()} found, for a misuse message (called only when it found something). */
    String describeCallerSection() {
        R reader = currentReaderOrNull();
        return "inside a read section of " + name + " (thread '" + Thread.currentThread().getName()
                + "', nesting depth " + (reader == null ? 0 : reader.depth()) + ")";
    }

    final void checkCanBlock(String operation) {
        if (callerHoldsSection()) {
            throw new IllegalStateException(operation + " " + describeCallerSection()
                    + ": the grace period would wait for the caller itself");
        }
    }

    /** Throws once the domain is closing, except on the domain's own threads (callbacks may go on working). */
    final void checkOpen(String operation) {
        if (lvLifecycle() != OPEN && !isDomainThread(Thread.currentThread())) {
            throw closedException(operation);
        }
    }

    final IllegalStateException closedException(String operation) {
        return new IllegalStateException(operation + " on " + name + ", which is "
                + (lvLifecycle() == CLOSED ? "closed" : "closing"));
    }

    final boolean isOpen() {
        return lvLifecycle() == OPEN;
    }

    final boolean isClosed() {
        return lvLifecycle() == CLOSED;
    }

    // ------------------------------------------------------------------ closing

    /**
     * Closes the domain: refuses new sections and grace-period requests, waits for a final grace period and runs
     * every pending callback; see {@link Rcu#close()}. A second call is a no-op, as is closing
     * {@link Rcu#defaultDomain()}.
     *
     * @throws IllegalStateException if the caller is inside one of its own read sections of this domain, holds a
     *                               bulletProof token section it opened, or is a thread this domain runs
     */
    public final void close() {
        if (processDefault) {
            return;
        }
        Thread me = Thread.currentThread();
        if (callerHoldsSection()) {
            throw new IllegalStateException("close() " + describeCallerSection() + " would wait for itself");
        }
        if (isDomainThread(me)) {
            throw new IllegalStateException("close() of " + name + " from its own domain thread '"
                    + me.getName() + "' would wait for itself");
        }
        if (!casLifecycle(OPEN, CLOSING)) {  // volatile; a second close waits for the first
            boolean token = beforeBlocking();  // QSBR: the first close's final grace period may wait for us
            try {
                awaitClosed();
            } finally {
                afterBlocking(token);
            }
            return;
        }
        state.svClosing();  // volatile; readers check it after their own fence (see the flavors)
        boolean token = beforeBlocking();  // QSBR: workers' grace periods must not wait for the closer
        try {
            closeUpperLayers();  // the callback facade runs every pending callback, stops the workers
            gpLock.lock();
            try {
                // The final grace period starts after CLOSING was published, so it covers every section that
                // could still open and every cookie issued before the close.
                runUntil(Math.max(domainThread.lvRequested(), state.lvStarted() + 1), NO_DEADLINE);
            } finally {
                unlockGracePeriods();
            }
        } finally {
            afterBlocking(token);
        }
        svLifecycle(CLOSED);  // volatile; then the upper layers (the callback facade's stranded callbacks: Dekker
        upperLayersClosed();  // with Callbacks.strandsAdded)
        domainThread.stop();  // no domain thread can start after this
        closed.countDown();
    }

    private void awaitClosed() {
        Uninterruptibly.await(() -> closed.getCount() == 0,
                nanos -> closed.await(nanos, TimeUnit.NANOSECONDS), Uninterruptibly.NO_DEADLINE);
    }

    // ------------------------------------------------------------------ test hooks

    /** Test-only: runs {@code body} holding gpLock, as a thread running a grace period does. */
    final void holdingGracePeriodLockForTests(Runnable body) {
        gpLock.lock();
        try {
            body.run();
        } finally {
            unlockAndHandOff();
        }
    }

    /** Faults.Fault.READ_AS_VIRTUAL_THREAD for the calling thread; only bulletProof has that path. */
    void readAsVirtualThread(boolean on) {
        throw new IllegalArgumentException("the fault READ_AS_VIRTUAL_THREAD applies to bulletProof domains only, not "
                + "to " + name);
    }

    /**
     * Turns a fault on or off; reached through {@link Faults#inject}.
     *
     * @throws IllegalArgumentException when told to turn {@link Faults.Fault#NO_DOMAIN_THREAD} off
     */
    final void injectFault(Faults.Fault fault, boolean on) {
        switch (fault) {
            case SKIP_READER_WAIT -> skipReaderWait = on;
            case MANUAL_GRACE_PERIODS -> manualGracePeriods = on;
            case DOMAIN_THREAD_START_FAILS -> domainThread.startFails = on;
            case READ_AS_VIRTUAL_THREAD -> readAsVirtualThread(on);
            case NO_DOMAIN_THREAD -> {
                if (!on) {
                    throw new IllegalArgumentException("the fault NO_DOMAIN_THREAD cannot be turned off: the domain "
                            + "thread of " + name + " stays stopped");
                }
                domainThread.stop();
            }
        }
    }

    /** The flavor's own settings for toString(), each as ", setting value"; empty when it has none. */
    String settingsDescription() {
        return "";
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + settingsDescription() + ", grace periods started "
                + state.lvStarted() + ", completed " + lvCompleted()
                + (lvLifecycle() == OPEN ? "" : lvLifecycle() == CLOSING ? ", closing" : ", closed") + "]";
    }
}
