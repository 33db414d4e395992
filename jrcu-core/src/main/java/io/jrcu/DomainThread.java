package io.jrcu;

import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A domain's grace-period thread: the requests it serves ({@code requested}, {@code lazyRequested}), its lazy tick,
 * its parking and its loop. It drives polled grace periods ({@code startPoll}), lazily requested ones (deferred
 * frees) and the upper layers' periodic work; the grace periods themselves run in {@link GracePeriodEngine}.
 */
final class DomainThread {
    /*
     * Overview.
     *
     * request(c) raises `requested` (a CAS max) and wakes the thread, which runs grace periods until completed >=
     * requested. Every holder of the engine's gpLock that runs grace periods, after unlocking, hands a request it did
     * not serve to this thread (GracePeriodEngine.unlockAndHandOff), so a request is never stranded by a holder that
     * gave up or did not see it (poll's brief hold, which only stores what its look showed, cannot strand one: see
     * GracePeriodEngine.readersPassed).
     *
     * requestLazily(c) (DeferQueue) raises `lazyRequested` instead and wakes the thread only from an untimed sleep
     * (QSBR's DeferQueue tokens skip even that CAS: for QSBR an open grace period, started > completed, is itself a
     * lazy request; tokenTakenLazily() only wakes a thread parked without a tick). The thread serves lazy requests at
     * most once per LAZY_NANOS tick, keeps ticking LAZY_LINGER_NANOS after the last open one (so a stream of deferred
     * frees never has to wake it), skips a tick in which others both started and completed grace periods, and on a
     * tick only looks at the readers (NO_WAIT) except every LAZY_PATIENCE-th fruitless tick, which waits in earnest
     * (finding readers that died in a section).
     *
     *   loop:  until stopped:
     *            periodic work of the upper layers when due (GracePeriodEngine.runPeriodicWork)
     *            if requested > completed:            lock gpLock; runUntil(max(requested, lazyTarget)); unlock
     *            else if a lazy tick is due:          tryLock gpLock (else next tick); runUntil(..., NO_WAIT or,
     *                                                 every LAZY_PATIENCE-th fruitless tick, NO_DEADLINE); unlock
     *            else: parked = true; parkedWithoutTick = !ticking; re-check; park (timed while ticking or while
     *                  periodic work is pending); parked = parkedWithoutTick = false
     *
     * The thread starts on the first request that needs it. If it cannot be made or started (OutOfMemoryError
     * "unable to create native thread"), the request throws what failed and nothing of it remains: the request is
     * kept, and the next request (or hand-off) tries again. Once stopped (the domain closed, or the fault
     * NO_DOMAIN_THREAD) it never starts again.
     *
     * Memory-ordering plan (partners):
     *   requested / parked: volatile (Dekker) pair: request's CAS of requested, then its volatile load of parked
     *             <-> the thread's volatile store of parked, then its volatile load of requested.
     *   lazyRequested / parkedWithoutTick: the same between requestLazily and that park; for QSBR also started /
     *             parkedWithoutTick, between a token's increment (tokenTakenLazily) and it.
     *   thread:   volatile; written under `lock` (start, stop), read without it by wake-ups and isThread.
     */

    /** How often the thread drives lazily requested grace periods (deferred frees) when nobody else does. */
    static final long LAZY_NANOS = 1_000_000;
    /** How long the thread keeps its lazy tick after the last open lazy request. */
    static final long LAZY_LINGER_NANOS = 100_000_000;
    /** Lazy ticks that only look at the readers before one that waits for them (about every 16 ms). */
    static final int LAZY_PATIENCE = 16;

    private static final VarHandle REQUESTED = VarHandles.field(MethodHandles.lookup(), "requested", long.class);
    private static final VarHandle LAZY_REQUESTED =
            VarHandles.field(MethodHandles.lookup(), "lazyRequested", long.class);

    private final GracePeriodEngine<?> engine;
    /** Highest cookie whose grace period the thread must drive; raised by CAS. */
    @SuppressWarnings("unused") // through REQUESTED
    private volatile long requested;
    /** Highest cookie the thread must drive within about LAZY_NANOS (requestLazily); raised by CAS. */
    @SuppressWarnings("unused") // through LAZY_REQUESTED
    private volatile long lazyRequested;

    private volatile Thread thread;
    private final Object lock = new Object();
    /** True while the thread is about to park or parked; Dekker partner of `requested`. */
    private volatile boolean parked;
    /**
     * True while the thread is about to park or parked with no lazy tick scheduled; Dekker partner of lazyRequested
     * (requestLazily) and, for QSBR, of started (tokenTakenLazily).
     */
    private volatile boolean parkedWithoutTick;
    private volatile boolean stop;
    /** Fault injection: starting the thread fails; see Faults.Fault.DOMAIN_THREAD_START_FAILS. */
    volatile boolean startFails;

    DomainThread(GracePeriodEngine<?> engine) {
        this.engine = engine;
    }

    /** Volatile load; partner: the CAS in {@link #request}. */
    long lvRequested() {
        return (long) REQUESTED.getVolatile(this);
    }

    private boolean casRequested(long expected, long value) {
        return REQUESTED.compareAndSet(this, expected, value);
    }

    /** Volatile load; partner: the CAS in {@link #requestLazily}. */
    private long lvLazyRequested() {
        return (long) LAZY_REQUESTED.getVolatile(this);
    }

    private boolean casLazyRequested(long expected, long value) {
        return LAZY_REQUESTED.compareAndSet(this, expected, value);
    }

    // ------------------------------------------------------------------ requests

    /**
     * Makes the thread drive grace periods until {@code cookie} is complete. O(1); never blocks. If the thread is
     * not running and cannot be started, throws what starting it threw; the request is kept, and the next request
     * (or hand-off) tries again.
     */
    void request(long cookie) {
        long current = lvRequested();
        while (current < cookie) {
            if (casRequested(current, cookie)) { // volatile; Dekker partner: parked
                if (engine.lvCompleted() < cookie) {
                    wake();
                }
                return;
            }
            current = lvRequested();
        }
        if (thread == null && engine.lvCompleted() < cookie) {   // volatile loads: requested, but the thread that
            wake();                                              // would serve it could not start: try again
        }
    }

    /**
     * Makes sure grace periods advance to {@code cookie} within about LAZY_NANOS even if nobody polls, without waking
     * the thread for each grace period (a stream of deferred frees would otherwise pay an unpark per grace period).
     * O(1); never blocks; an unpark only when the thread sleeps with no lazy tick due.
     */
    void requestLazily(long cookie) {
        long current = lvLazyRequested();
        while (current < cookie) {
            if (casLazyRequested(current, cookie)) { // volatile; Dekker partner: parkedWithoutTick
                if (engine.lvCompleted() < cookie && !engine.manualGracePeriods) {
                    Thread t = thread;
                    if (t == null) {
                        start();
                    } else if (parkedWithoutTick) {
                        LockSupport.unpark(t);   // it re-parks with a lazy tick
                    }
                }
                return;
            }
            current = lvLazyRequested();
        }
    }

    /**
     * requestLazily for a token just taken ({@link GracePeriodEngine#startedIsLazyRequest()}): the raised
     * {@code started} is the request, so only a thread that is missing, or parked without a tick, needs anything.
     * O(1), no CAS. Dekker pair: the token's volatile increment of started, then the volatile load of
     * parkedWithoutTick here <-> the thread's volatile store of that flag, then its volatile load of started in
     * lazyTarget(): either it sees the token and keeps ticking, or this sees it parked and wakes it.
     */
    void tokenTakenLazily() {
        if (engine.manualGracePeriods) {
            return;   // test-only: grace periods advance in blocking calls alone
        }
        Thread t = thread;   // volatile; partner: the store in start()
        if (t == null) {
            start();
        } else if (parkedWithoutTick) {   // volatile; Dekker partner: see the method's comment
            LockSupport.unpark(t);   // it re-parks with a lazy tick
        }
    }

    /** What the thread must drive within about LAZY_NANOS: lazyRequested, and started where it counts. */
    private long lazyTarget() {
        long lazy = lvLazyRequested();   // Dekker partner: requestLazily's CAS (parkedWithoutTick)
        // volatile load of started; Dekker partner: tokenTakenLazily's increment (see there)
        return engine.startedIsLazyRequest() ? Math.max(lazy, engine.state.lvStarted()) : lazy;
    }

    // ------------------------------------------------------------------ wake-ups

    private void wake() {
        if (engine.manualGracePeriods) {
            return;   // test-only: grace periods advance in blocking calls alone
        }
        Thread t = thread;
        if (t == null) {
            t = start();
            if (t == null) {
                return;
            }
        }
        if (parked) {  // volatile; Dekker partner: the CAS of requested in request()
            LockSupport.unpark(t);
        }
    }

    /**
     * GracePeriodEngine.unlockAndHandOff's wake-up: the caller's own work is done, so a thread that cannot start goes
     * to the error handler instead of failing the caller; the request stays, and the next wake-up tries again.
     */
    void handOff() {
        try {
            wake();
        } catch (RuntimeException | Error noThread) {
            engine.errorHandler.accept(noThread);
        }
    }

    /**
     * Called when the upper layers have periodic work (defer() is first used, Callbacks strands a callback): the
     * thread (started if needed) switches from an untimed park to parks of the work's interval. The caller has made
     * the work visible before (volatile), so a thread that parks after this unpark sees it.
     */
    void wakeForPeriodicWork() {
        Thread t = thread;
        if (t == null) {
            t = start();
        }
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /**
     * Starts the thread unless it runs, was stopped or the domain is closed; returns it ({@code null} then). If it
     * cannot be made or started (OutOfMemoryError "unable to create native thread"), this throws what failed and
     * nothing of it remains: the next wake-up tries again.
     */
    private Thread start() {
        synchronized (lock) {
            Thread t = thread;
            if (t == null && !engine.isClosed() && !stop) {
                t = Thread.ofPlatform().daemon().name("jrcu-gp-" + engine.name).unstarted(this::loop);
                thread = t;   // volatile; before start(): isThread knows it from its first instruction
                try {
                    if (startFails) {
                        throw new OutOfMemoryError("unable to create native thread (injected: "
                                + "Faults.Fault.DOMAIN_THREAD_START_FAILS)");
                    }
                    t.start();
                } catch (RuntimeException | Error e) {
                    thread = null;   // volatile; under lock: the next wake-up starts one
                    throw e;
                }
            }
            return t;
        }
    }

    /** Stops the thread, or keeps it from ever starting (the domain closed, or a fault). */
    void stop() {
        stop = true;   // volatile; read by start() and the loop
        Thread t;
        synchronized (lock) {  // no thread can start after this (stop is set)
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Whether {@code t} is this domain's grace-period thread. */
    boolean isThread(Thread t) {
        return t == thread;   // volatile; partner: the store in start()
    }

    /** Whether the thread is parked (or about to park) with no lazy tick: it waits for a wake-up. Tests. */
    boolean parkedWithoutTick() {
        return parkedWithoutTick;   // volatile; a test polls it
    }

    // ------------------------------------------------------------------ the loop

    private void loop() {
        long periodicInterval = engine.periodicWorkIntervalNanos();
        long nextPeriodicWork = System.nanoTime() + periodicInterval;
        long nextLazyRun = System.nanoTime();
        long completedAtLastTick = -1;
        long startedAtLastTick = -1;
        long lastLazyOpen = System.nanoTime() - LAZY_LINGER_NANOS;
        int fruitlessLazyTicks = 0;
        while (!stop) {
            try {
                if (engine.periodicWorkPending() && System.nanoTime() - nextPeriodicWork >= 0) {
                    engine.runPeriodicWork();  // about every periodicInterval, busy or not
                    nextPeriodicWork = System.nanoTime() + periodicInterval;
                }
                long now = System.nanoTime();
                boolean lazyDue = lazyTarget() > engine.lvCompleted() && now - nextLazyRun >= 0;
                long startedNow = engine.state.lvStarted();   // volatile; only compared with the last tick's
                if (lazyDue && lvRequested() <= engine.lvCompleted() && engine.lvCompleted() != completedAtLastTick
                        && startedNow != startedAtLastTick) {
                    // others (reclaim's tryAdvance) both started and completed grace periods during the tick: leave
                    // it to them and look again next tick, instead of competing with them for the CPU. (Others
                    // that only complete them — memb's reclaimers, which may not start one — need this tick's
                    // start; grace periods only started — QSBR tokens nobody polls — need its completion.)
                    completedAtLastTick = engine.lvCompleted();
                    startedAtLastTick = startedNow;
                    nextLazyRun = now + LAZY_NANOS;
                    lazyDue = false;
                }
                if (lvRequested() > engine.lvCompleted() || lazyDue) {
                    boolean eager = lvRequested() > engine.lvCompleted();
                    // lazy requests get a short look at the readers per tick (holding gpLock only briefly, so that
                    // reclaimers advancing grace periods themselves are not shut out); every LAZY_PATIENCE-th
                    // fruitless tick waits in earnest, which also finds readers that died inside a section
                    if (!eager && !engine.gpLock.tryLock()) {
                        // a lazy tick does not queue behind whoever holds gpLock (a synchronize() caller, a
                        // reclaimer): that holder is advancing grace periods; look again next tick
                        nextLazyRun = System.nanoTime() + LAZY_NANOS;
                        continue;
                    }
                    long deadline = eager || ++fruitlessLazyTicks >= LAZY_PATIENCE
                            ? GracePeriodEngine.NO_DEADLINE : GracePeriodEngine.NO_WAIT;
                    if (eager) {
                        engine.gpLock.lock();
                    }
                    try {
                        if (engine.runUntil(Math.max(lvRequested(), lazyTarget()), deadline)) {
                            fruitlessLazyTicks = 0;
                        }
                    } finally {
                        engine.unlockGracePeriods();
                    }
                    nextLazyRun = System.nanoTime() + LAZY_NANOS; // lazy requests: at most one run per tick
                    completedAtLastTick = engine.lvCompleted();
                    startedAtLastTick = engine.state.lvStarted();   // volatile; for the heuristic above
                    continue;          // a lazy request still open parks until the next tick (below)
                }
                parked = true;  // volatile store, then volatile loads below (Dekker with request())
                boolean lazyOpen = lazyTarget() > engine.lvCompleted();
                if (lazyOpen) {
                    lastLazyOpen = now;
                }
                // keep ticking a while after the last open lazy request: under a steady stream of deferred frees
                // (reclaimers completing grace periods themselves) requestLazily then never has to unpark this
                // thread, which would otherwise cost a wake-up every few enqueues
                boolean ticking = lazyOpen || now - lastLazyOpen < LAZY_LINGER_NANOS;
                parkedWithoutTick = !ticking; // volatile store, then the volatile load of lazyTarget() below
                                              // (Dekker with requestLazily() and tokenTakenLazily())
                if (lvRequested() <= engine.lvCompleted() && !stop
                        && (ticking || lazyTarget() <= engine.lvCompleted())) {
                    boolean periodic = engine.periodicWorkPending();
                    if (!periodic && !ticking) {
                        LockSupport.park(engine);
                    } else {
                        long nanos = Long.MAX_VALUE;
                        if (periodic) {
                            nanos = nextPeriodicWork - now;
                        }
                        if (ticking) {
                            nanos = Math.min(nanos, Math.max(nextLazyRun - now, lazyOpen ? 1 : LAZY_NANOS));
                        }
                        LockSupport.parkNanos(engine, Math.max(1, nanos));
                    }
                }
                parkedWithoutTick = false;
                parked = false;
                Thread.interrupted();  // an interrupt is no reason to stop; the loop re-checks its state
            } catch (Throwable t) {
                engine.errorHandler.accept(t);
            }
        }
    }
}
