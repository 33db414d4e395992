package io.jrcu;

import io.jrcu.internal.JfrEvents;
import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The grace periods themselves: their numbers, running them one at a time under the grace-period lock
 * ({@link #runUntil}), completing them (also from a look at the readers that poll() takes), timing them and stall
 * reports. The flavor decides, through {@link #awaitReaders}, when the readers let a grace period end. What callers
 * ask of grace periods (cookies, polls, waits, requests, closing) is {@link GracePeriodEngine}, which extends this.
 */
abstract class GracePeriodSequence<R extends AbstractReader> {
    /*
     * Overview.
     *
     * Grace periods are numbered 1, 2, 3 ... in one sequence per domain. Two numbers describe it:
     *   state.started  the newest grace period started (readers read it; see GracePeriodState)
     *   completed      the newest grace period completed; started - completed is 0 or 1, except that QSBR's
     *                  DPDK-style tokens (GracePeriodEngine.token(): an atomic increment of started by any thread)
     *                  may run ahead
     * Grace period c has passed when completed >= c or seenComplete >= c (see below; only QSBR's poll raises
     * seenComplete, so for memb and bulletProof it is completed >= c alone): passed(c).
     *
     * Grace periods run one at a time under gpLock, by whichever thread holds it:
     *   runUntil(target):  while completed < target:
     *                        g = started; if g == completed: g += 1; CAS started = g; fence
     *                        else if g > target: g = target     (QSBR tokens ran ahead: see token())
     *                        onGracePeriodStarted(g)            once per g (memb: the membarrier)
     *                        if tokens started several (newest > completed + 1):
     *                          a = newestUnblocked(newest)        one look at the readers (DPDK's acked token)
     *                          if a >= g: completed = a; continue
     *                          if a > completed: completed = a    (partial); NO_WAIT: return false
     *                        awaitReaders(g)    flavor: every section that might predate g has ended
     *                        completed = g      (volatile)
     * A grace period is resumable: a timed caller whose deadline passes inside awaitReaders leaves started =
     * completed + 1 and the next holder of the lock continues the same grace period. Where a flavor's grace period
     * is decided: memb and QSBR in CounterRcu.awaitReaders (memb's membarrier: MembRcu.afterGracePeriodStart),
     * bulletProof in BulletProofRcu.awaitReaders; GracePeriodWait is how the holder waits meanwhile.
     *
     * readersPassed(c), in a flavor whose readers' reports alone end grace periods (QSBR, see pollLooksAtReaders;
     * DPDK's rte_rcu_qsbr_check without waiting), looks at the readers without gpLock:
     *   readersPassed(c):  a = seenComplete
     *                      if a < c:  n = started; if n < c: false  (c's grace period has not started)
     *                                 fence; a = newestUnblocked(n)  (one scan; the same look runUntil takes)
     *                                 if a < c: false
     *                      tryLock gpLock: completed = max(completed, a)    else: seenComplete = max(seenComplete, a)
     *                      true
     * Whether grace period g has ended is a fact about the past (every reader that might predate it has reported
     * since it started), so a look made without gpLock stays true and may be published later: under gpLock into
     * completed (completed <= started holds: a <= n), or, while another thread holds gpLock, into seenComplete
     * (DPDK's acked_token). Neither blocks. The holder of gpLock may be waiting for a reader that holds up only a
     * later grace period, so everything that asks whether c has passed reads both (passed(c)). runUntil itself goes
     * by completed alone (seenComplete only catches up with it).
     *
     * Memory-ordering plan (partners):
     *   runUntil: volatile CAS started=g, fullFence, then the flavor's acquire loads of reader state  <->  each
     *             reader's store + full fence (memb/QSBR online) or atomic counter update (bulletProof)
     *   completed: volatile store after awaitReaders  <->  volatile load in passed(c); with the flavor's acquire
     *             loads this makes every ended section happen-before a successful poll, await or reclaim.
     *   the look: volatile load of started, fullFence, the flavor's acquire loads of reader state  <->  as in
     *             runUntil; its result is published by the volatile store of completed (as above) or the CAS of
     *             seenComplete  <->  the volatile load of seenComplete in passed(c) (the look's acquire loads come
     *             before the CAS, so a thread that reads seenComplete >= c sees what the readers did).
     *   gpWaiter: volatile; written under gpLock around awaitReaders  <->  read by readers that wake the holder.
     */

    static final long NO_DEADLINE = Long.MAX_VALUE;
    /** A "deadline" meaning: do not wait at all (tryAdvance). Never a value deadlineAfter returns. */
    static final long NO_WAIT = Long.MIN_VALUE;
    static final System.Logger LOG = System.getLogger("io.jrcu");

    private static final VarHandle SEEN_COMPLETE = VarHandles.field(MethodHandles.lookup(), "seenComplete", long.class);

    final String name;
    final long stallTimeoutNanos;
    final Consumer<Throwable> errorHandler;

    /** Read by readers; padded. */
    final GracePeriodState state = new GracePeriodState();
    /** Newest grace period completed. Written only under gpLock. */
    private volatile long completed;
    /**
     * Newest grace period a look at the readers by poll() showed complete while another thread held gpLock (DPDK's
     * acked_token); raised by CAS. Read by passed(c) (not by runUntil): it may be ahead of completed until a grace
     * period catches up.
     */
    @SuppressWarnings("unused") // through SEEN_COMPLETE
    private volatile long seenComplete;

    /** Volatile load; partner: the CAS in readersPassed. */
    private long lvSeenComplete() {
        return (long) SEEN_COMPLETE.getVolatile(this);
    }

    private boolean casSeenComplete(long expected, long value) {
        return SEEN_COMPLETE.compareAndSet(this, expected, value);
    }

    /** Held by whichever thread runs grace periods (runUntil). */
    final ReentrantLock gpLock = new ReentrantLock();
    /** The thread inside awaitReaders, for readers that wake it; null when none. Written under gpLock. */
    private volatile Thread gpWaiter;
    private final GracePeriodWait waiter = new GracePeriodWait(this);
    /** Threads parked in GracePeriodEngine.awaitUntil (slow path only). */
    final ConcurrentLinkedQueue<Thread> gpWaiters = new ConcurrentLinkedQueue<>();

    /** Fault injection for the broken twins of the proofs; see Faults. */
    volatile boolean skipReaderWait;
    /** Fault injection for model checking; see Faults.Fault.MANUAL_GRACE_PERIODS. */
    volatile boolean manualGracePeriods;

    private volatile long stallReports;

    /** Grace-period statistics; written under gpLock. */
    private volatile long gracePeriodNanosTotal;
    private volatile long gracePeriodNanosMax;
    private volatile long gracePeriodsTimed;
    /** Grace periods completed: the timed ones and those only poll() completed (no start time). */
    private volatile long gracePeriodsCounted;
    private long gracePeriodStartNanos;
    /** The grace period gracePeriodStartNanos belongs to; under gpLock. */
    private long timedGracePeriod;

    GracePeriodSequence(String name, Duration stallTimeout, Consumer<Throwable> errorHandler) {
        this.name = name;
        this.stallTimeoutNanos = saturatedNanos(stallTimeout);
        this.errorHandler = errorHandler != null ? errorHandler : GracePeriodSequence::logError;
    }

    private static void logError(Throwable t) {
        LOG.log(System.Logger.Level.ERROR, "jrcu: unexpected failure", t);
    }

    static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException overflow) {
            return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    // ------------------------------------------------------------------ flavor hooks

    /**
     * Waits until no read section that might have begun before grace period {@code gp} started is still open.
     * Called under gpLock with {@code state.started == gp}; may be called again for the same {@code gp} after it
     * returned {@code false}. Uses {@link #waiter} for spinning, parking, deadlines and stall reports.
     *
     * @return {@code false} if the deadline passed first
     */
    abstract boolean awaitReaders(long gp, GracePeriodWait wait);

    /**
     * The newest grace period, at most {@code newest}, that no reader holds up at this moment: one look at the
     * readers without waiting (DPDK's {@code acked_token}), made after a full fence that follows the read of
     * {@code started >= newest}. Asked under gpLock when QSBR tokens have started several grace periods at once, and
     * without it by poll() where {@link #pollLooksAtReaders()}; a result no greater than {@code completed} means "no
     * progress".
     */
    long newestUnblocked(long newest) {
        return Long.MIN_VALUE;   // flavors without tokens are never asked
    }

    /**
     * Whether {@link GracePeriodEngine#poll} may answer a cookie that {@code completed} does not cover yet by one
     * look at the readers ({@link #newestUnblocked}, through {@link #readersPassed}), without gpLock and without
     * waiting. True only where a reader's report alone ends grace periods: QSBR, whose readers publish with a release
     * store which grace periods a report covers. memb cannot: with membarrier its readers' entries are ordered only
     * by the membarrier a grace period issues after starting (a look without one could miss a section), and its
     * cookies name grace periods that only runUntil starts. bulletProof cannot: a grace period flips the phase and
     * waits for each counter in turn; one look at the counters proves nothing.
     */
    boolean pollLooksAtReaders() {
        return false;
    }

    /** Called under gpLock right after grace period {@code gp} was started. */
    void onGracePeriodStarted(long gp) {
    }

    /** Appends one line per reader grace period {@code gp} waits for (stall reports). */
    abstract void describeBlockingReaders(long gp, long waitedNanos, StringBuilder out);

    // ------------------------------------------------------------------ running grace periods

    /** Volatile load of the newest grace period completed; partner: the volatile store in complete(). */
    final long lvCompleted() {
        return completed;
    }

    /** completed >= cookie, or a look at the readers by poll() showed it (seenComplete): see the overview. */
    final boolean passed(long cookie) {
        // volatile loads; partners: the volatile store of completed in complete(), the CAS of seenComplete in
        // readersPassed (after the look's acquire loads of reader state)
        return completed >= cookie || lvSeenComplete() >= cookie;
    }

    /** Runs grace periods until {@code completed >= target} or the deadline passes. Caller holds gpLock. */
    final boolean runUntil(long target, long deadline) {
        while (completed < target) {
            long gp = state.lvStarted();
            long newest = gp;   // the newest grace period started, as read before the fence below
            if (gp == completed) {
                if (!state.casStarted(gp, gp + 1)) { // volatile CAS; pairs with the readers' acquire load of started
                    continue;   // a QSBR token started a grace period meanwhile: re-read
                }
                gp += 1;
                newest = gp;
            } else if (gp > target) {
                gp = target;    // QSBR tokens ran ahead of the target: wait only for what is asked, so a reader
                                // that reported after token `target` (not after the newest) does not hold it up
            }
            VarHandle.fullFence(); // store->load: orders the new number (and the caller's unlinks) before the
                                   // flavor's scan of reader state; the JMM gives a volatile store no such order
                                   // with a later acquire load (HotSpot fences anyway). For a grace period started
                                   // by a token it is kept for safety: the token's volatile increment orders
                                   // the unlinks before the number this thread read.
            if (gp != timedGracePeriod) {
                timedGracePeriod = gp;
                gracePeriodStartNanos = System.nanoTime();
                onGracePeriodStarted(gp);
            }
            if (!skipReaderWait) {
                if (newest > completed + 1) {
                    // QSBR tokens started several grace periods: one look at the readers completes every one it
                    // shows over (DPDK's acked token), not one per look; each token is a grace period of its own
                    long allowed = newestUnblocked(newest);
                    if (allowed >= gp) {
                        complete(allowed);
                        continue;
                    }
                    if (allowed > completed) {
                        complete(allowed);   // partial progress: a reader holds up gp, not the older ones
                    }
                    if (deadline == NO_WAIT) {
                        return false;        // one look is all a non-blocking attempt takes
                    }
                }
                waiter.begin(gp, deadline);
                gpWaiter = Thread.currentThread();
                boolean done;
                try {
                    done = awaitReaders(gp, waiter);
                } finally {
                    gpWaiter = null;
                    waiter.end();
                }
                if (!done) {
                    return false;
                }
            }
            complete(gp);
        }
        return true;
    }

    /** Grace periods up to {@code gp} are complete. Caller holds gpLock. */
    private void complete(long gp) {
        completed = gp; // volatile store; pairs with the volatile loads in poll/await
        recordGracePeriod(gp);
        signalGracePeriodWaiters();
    }

    private void recordGracePeriod(long gp) {
        long nanos = System.nanoTime() - gracePeriodStartNanos;
        gracePeriodsTimed++;
        gracePeriodsCounted++;
        gracePeriodNanosTotal += nanos;
        if (nanos > gracePeriodNanosMax) {
            gracePeriodNanosMax = nanos;
        }
        JfrEvents.gracePeriod(name, gp, gracePeriodStartNanos);
    }

    /** Releases gpLock without a hand-off (the domain thread itself, close, poll), and wakes the waiters. */
    final void unlockGracePeriods() {
        gpLock.unlock();
        signalGracePeriodWaiters();
    }

    /** Wakes the threads parked in awaitUntil: a grace period passed, or gpLock was released. */
    final void signalGracePeriodWaiters() {
        if (!gpWaiters.isEmpty()) {
            for (Thread t : gpWaiters) {
                LockSupport.unpark(t);
            }
        }
    }

    /** Wakes the thread parked in awaitReaders, if any. Called by readers leaving a section it waits for. */
    final void wakeGracePeriodWaiter() {
        Thread t = gpWaiter;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    // ------------------------------------------------------------------ a look at the readers (poll)

    /**
     * Whether grace period {@code cookie} has ended, by one look at the readers (DPDK's {@code rte_rcu_qsbr_check}
     * without waiting); publishes what the look showed (see the overview). Never blocks (gpLock only by tryLock),
     * issues no membarrier, starts no thread, scans the readers at most once. Only for flavors whose
     * {@link #pollLooksAtReaders()} is true.
     */
    final boolean readersPassed(long cookie) {
        long passed = lvSeenComplete();   // pairs with the CAS below
        if (passed < cookie) {
            if (manualGracePeriods) {
                return false;   // test-only: grace periods advance in blocking calls alone
            }
            long newest = state.lvStarted();   // volatile; pairs with a token's increment / runUntil's CAS of started
            if (newest < cookie) {
                return false;   // its grace period has not started: no report can cover it yet
            }
            VarHandle.fullFence(); // store->load, as in runUntil: orders the caller's earlier writes (unlinks) and the
                                   // load of started before the flavor's acquire loads of reader state; partner: each
                                   // reader's store + full fence when it becomes protected
            passed = skipReaderWait ? newest : newestUnblocked(newest);   // (the fault: every grace period ends)
            if (passed < cookie) {
                return false;
            }
        }
        if (gpLock.tryLock()) {   // also for a cookie seenComplete covers: completed catches up once gpLock is free
            try {
                long before = completed;
                if (passed > before) {
                    completed = passed;   // volatile store; pairs with the volatile loads in passed()
                    if (timedGracePeriod > before && timedGracePeriod <= passed) {
                        recordGracePeriod(passed);   // a runUntil timed it from its start
                    } else {
                        gracePeriodsCounted++;       // counted, not timed: nobody saw it start (tokens only polls
                                                     // completed), so no duration goes into stats or JFR
                    }
                }
            } finally {
                // a plain unlock, no handoff: holding gpLock for this store strands no request (the domain thread
                // takes gpLock for a request with a blocking lock(), and a lazy tick that finds it held looks again
                // on its next tick), and a handoff could start the domain thread inside poll()
                unlockGracePeriods();
            }
        } else {
            for (long seen = lvSeenComplete(); passed > seen; seen = lvSeenComplete()) {
                if (casSeenComplete(seen, passed)) {  // volatile CAS; read by passed()
                    signalGracePeriodWaiters();   // threads parked in awaitUntil re-check passed()
                    break;
                }
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ stall reports

    /** Called by {@link GracePeriodWait} when a grace period has waited past the stall timeout. */
    final void reportStall(long gp, long waitedNanos) {
        StringBuilder out = new StringBuilder();
        out.append("jrcu: grace period ").append(gp).append(" of ").append(name).append(" has waited ")
                .append(TimeUnit.NANOSECONDS.toMillis(waitedNanos)).append(" ms for these readers:");
        int header = out.length();
        describeBlockingReaders(gp, waitedNanos, out);
        stallReports++;
        LOG.log(System.Logger.Level.WARNING, out.toString());
        JfrEvents.stall(name, gp, waitedNanos, out.substring(header).strip());
    }

    /**
     * Appends a stall report's line for one reader thread: its name, kind, id and state ("collected" when
     * {@code t} is null), {@code what} it is doing, for at least {@code ageMillis}, then {@code suffix} and the
     * thread's stack.
     */
    static void appendReaderLine(StringBuilder out, String threadName, Thread t, String what, long ageMillis,
            String suffix) {
        out.append("\n\t'").append(threadName).append("' (")
                .append(t == null ? "collected" : (t.isVirtual() ? "virtual" : "platform") + " thread "
                        + t.threadId() + ", " + t.getState())
                .append(") ").append(what).append(" for at least ").append(ageMillis).append(" ms").append(suffix);
        if (t != null) {
            for (StackTraceElement e : t.getStackTrace()) {
                out.append("\n\t\tat ").append(e);
            }
        }
    }

    // ------------------------------------------------------------------ statistics (read one by one)

    /** Grace periods completed: counted, not {@code completed} (QSBR tokens skip numbers). Volatile load. */
    final long gracePeriodsCounted() {
        return gracePeriodsCounted;
    }

    /** Mean duration of the grace periods timed from their start; 0 before the first. Volatile loads. */
    final long meanGracePeriodNanos() {
        long timed = gracePeriodsTimed;
        return timed == 0 ? 0 : gracePeriodNanosTotal / timed;
    }

    /** The longest grace period timed. Volatile load. */
    final long maxGracePeriodNanos() {
        return gracePeriodNanosMax;
    }

    /** Stall reports logged. Volatile load. */
    final long stallReports() {
        return stallReports;
    }
}
