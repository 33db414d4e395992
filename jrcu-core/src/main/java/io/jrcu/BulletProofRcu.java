package io.jrcu;

import io.jrcu.internal.VarHandles;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bullet-proof RCU: no registration, safe for millions of virtual threads (liburcu bp; Linux SRCU's counters).
 * Readers share no single counter or lock: a section increments one of a few striped lock counters and remembers
 * its stripe and phase; leaving it increments the matching unlock counter. A grace period compares sums of those
 * counters, so its cost does not grow with the number of threads.
 *
 * <pre>{@code
 * BulletProofRcu rcu = Rcu.bulletProof();
 * try (ReadSection s = rcu.read()) {       // no registration: any thread, virtual ones too
 *     use(current.get());
 * }
 * long token = rcu.readLockToken();        // a section another thread may end
 * Config c = current.get();
 * executor.execute(() -> {
 *     try { use(c); } finally { rcu.readUnlock(token); }
 * });
 * }</pre>
 *
 * <p>Besides thread-bound {@link #read()} sections this flavor offers the cross-thread form:
 * {@link #readLockToken()} opens a section and {@link #readUnlock(long)} ends it from any thread (Linux's
 * {@code srcu_down_read}/{@code srcu_up_read}) — the form for a virtual thread's work handed between threads. A token
 * names its section: ending it a second time, or ending a token of another domain, throws and ends nothing.
 *
 * <p><b>Whose wait a token holds.</b> Token sections do not count in {@link #inReadSection()}, but a token counts
 * against the thread that opened it until any thread closes it. While it is open, every call of that thread that
 * would wait for a grace period (which would wait for the token) acts as inside a read section:
 * {@link #synchronize()}, {@link #await(long)} of a cookie whose grace period has not ended, {@link #barrier()},
 * {@link #close()}, closing a callback worker or an {@code RcuArena} of the domain, and closing a {@link DeferQueue}
 * of it while something pending has not passed its grace period throw {@link IllegalStateException} (also their
 * timed forms), and a full {@link #defer} batch or a {@link #call} over the callback budget is handed to a worker
 * (an overshoot) instead of waiting. A thread that holds a token another thread opened is not covered: its wait
 * waits for that token like any other. A token handed to another thread must be handed over with happens-before (a
 * volatile field, a concurrent queue, {@code Thread.start} …), as any object: only then do these checks see it
 * exactly.
 *
 * <p>A thread that terminates inside a {@code read()} section is found when a grace period has waited a while (at
 * the latest at the stall timeout), reported and released; that search costs O(threads) and happens only on that
 * slow path. Token sections belong to no thread and are never released that way: stall reports name each open one
 * with the id of the thread that opened it (and, while debug checks are on in any domain, its name and age).
 *
 * <p><b>Cost of a grace period:</b> it sums the striped counters (a few per CPU) and reads every slot of the token
 * table once per phase it waits for: a wait that finds an open token section resumes at that slot when it wakes
 * up, it does not start over, and only sections of the phase it waits for wake it. The table doubles when it is
 * crowded and never shrinks: it settles at 2 to 4 slots per token section that was open at once (16 bytes each),
 * so the cost follows the most token sections that were ever open at once, not how many were opened or closed.
 */
public final class BulletProofRcu extends AbstractRcu<BulletProofRcu.BpReader> implements Rcu {
    /*
     * Overview (after Linux's classic SRCU, srcu_readers_active_idx_check).
     *
     * Counters: for each stripe s and phase p in {0,1}, lock[s][p] and unlock[s][p], monotonically increasing longs.
     * Each stripe's four counters share one 128-byte cell of `cells` (padded against its neighbours; the four are
     * written by the same threads). A thread's stripe comes from a hash of its id.
     *
     *   lock:    p = phase (opaque); lock[s][p] += 1 (volatile getAndAdd: a full fence, SRCU's barrier B)
     *            the section's word = (SECTION, stripe s, phase p), kept by the thread for its unlock
     *   unlock:  unlock[s][p] += 1 (volatile getAndAdd: the section's accesses before it, SRCU's barrier C);
     *            if a grace period is parked waiting for phase p (volatile load after the RMW: Dekker with the grace
     *            period's volatile store of gracePeriodParkedFor and re-check), unpark it. A close of the other
     *            phase cannot end that wait, so it wakes nothing.
     *
     *   grace period (resumable; `step` survives a timed-out caller):
     *     step 0: wait until phase 1-p drains      stragglers that read the phase before the previous flip
     *             phase = 1-p  (volatile store: full fence)
     *     step 1: wait until phase p drains        everyone that entered before the flip
     *   drained(p): no token section of phase p open (below; the scan resumes at tokenScanFrom, the slot where
     *               the previous call of this wait stopped: see TokenTable), and sum of unlock[*][p], then sum of
     *               lock[*][p] (volatile loads, in that order), equal.
     *
     * Why equality means no pre-existing reader remains: an unlock counted in the first sum had its lock before it,
     * so that lock is counted in the second; a reader still inside whose lock was counted makes the lock sum larger.
     * A reader whose lock increment the second sum missed increments after the scan, and its atomic increment orders
     * its reads after the writer's earlier unlink (store-buffering argument, as in memb). Stragglers are bounded: a
     * thread can enter the old phase at most once per flip.
     *
     * Dead threads: read() records keep their open section (SECTION | stripe << 1 | phase) in a small ThreadState
     * that a weak registry (weakly referencing the Thread) also holds. The registry is touched once per thread (on
     * its first read()) and scanned only when a grace period has waited FIRST_DEAD_THREAD_SCAN_NANOS, then with
     * backoff up to the stall timeout. A thread that is dead or collected while inside a read() section has that
     * section released (an unlock increment).
     *
     * Token sections (readLockToken / readUnlock(token)) do not use the counters: each holds a slot of `tokens` (a
     * TokenTable, see there), claimed with one CAS that writes {open, phase, stamp} and freed with one CAS that only
     * the live token wins; drained(p) also requires that no slot of phase p is open. Counters would let misuse
     * corrupt the domain: a second readUnlock of a token, or a token of another domain, would add an unlock that
     * matches no lock — a grace period then completes while a section is open, and once that section ends the sums
     * never match again. With the table a token names its section, so every such call fails and changes nothing, for
     * one atomic operation each way, as a read() section pays; a grace period pays a scan of the table instead.
     * The slot also keeps the opener's thread id, so that the paths about to block can ask "does the calling thread
     * hold a token it opened" (callerHoldsSection, O(table)) without any cost on the fast path beyond a plain load of
     * tokensOpened, a flag set once by the first readLockToken: a domain that never opened a token skips the scan.
     */

    /** Marks a thread-bound section's (stripe, phase) word, so that it is never 0 (0: no section open). */
    private static final long SECTION = 1L << 62;
    private static final int STRIPE_BITS = 15;
    /** longs per cell: 128 bytes, two cache lines on x86 (its adjacent-line prefetcher pairs lines). */
    private static final int CELL = 16;
    private static final int LOCK0 = 0, UNLOCK0 = 1;  // phase p: lock at 2p, unlock at 2p + 1
    /** Open token sections, and threads inside read sections, a stall report names; the others it counts. */
    static final int STALL_REPORT_LINES = 20;

    private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);

    private final int stripeMask;
    /** Cell i (stripe i - 1) starts at i * CELL; cell 0 is leading padding. */
    private final long[] cells;

    /** Resumable grace-period step; under the grace-period lock. */
    private int step;
    /** The slot where this step's token scan resumes (see drained); under the grace-period lock. */
    private int tokenScanFrom;
    /**
     * Token-table slots the grace periods read, and the scans that read them (for tests). Written only under the
     * grace-period lock, with opaque stores (no fence in the grace-period loop): a test polls them from another
     * thread while a grace period waits, with opaque loads, and needs no ordering with anything else.
     */
    private long tokenSlotsScanned, tokenScans;
    private static final VarHandle TOKEN_SLOTS_SCANNED =
            VarHandles.field(MethodHandles.lookup(), "tokenSlotsScanned", long.class);
    private static final VarHandle TOKEN_SCANS = VarHandles.field(MethodHandles.lookup(), "tokenScans", long.class);

    final ThreadLocal<BpReader> readers = new ThreadLocal<>();
    private final Set<ThreadEntry> threadRegistry = ConcurrentHashMap.newKeySet();
    private final ReferenceQueue<Thread> collectedThreads = new ReferenceQueue<>();

    /** The open token sections. */
    final TokenTable tokens;
    /**
     * Set by the first {@link #readLockToken()}, never reset. Plain: only tokens the calling thread opened count
     * against it (callerHoldsSection), and a thread that opened one wrote this flag before, in program order, so it
     * sees its own write; a stale {@code false} on another thread skips a scan that could find no token of that
     * thread.
     */
    private boolean tokensOpened;
    /**
     * Open token sections by token, kept while debug checks are on in this domain or any other (DebugProtection):
     * their openers' protection counts and stall reports' names and ages. Empty otherwise.
     */
    private final ConcurrentHashMap<Long, TokenOwner> tokenOwners = new ConcurrentHashMap<>();

    BulletProofRcu(Builder builder) {
        super(builder, "bp", false);
        int stripes = Integer.highestOneBit(Math.max(4, Runtime.getRuntime().availableProcessors() * 4) - 1) << 1;
        stripes = Math.min(stripes, 1 << 12);
        this.stripeMask = stripes - 1;
        this.cells = new long[(stripes + 2) * CELL];
        this.tokens = new TokenTable(name, stripes);
    }

    /**
     * A builder for a bullet-proof domain.
     *
     * @return a new builder with default settings
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder for {@link BulletProofRcu}; see {@link RcuBuilder} for the shared settings. */
    public static final class Builder extends RcuBuilder<Builder> {
        Builder() {
        }

        /**
         * A new bullet-proof domain with these settings. The builder may be used again.
         *
         * @return a new open domain, owned by the caller, who closes it
         */
        public BulletProofRcu build() {
            return new BulletProofRcu(this);
        }
    }

    // ------------------------------------------------------------------ counters

    private static int index(int stripe, int phase, int which) {
        return (stripe + 1) * CELL + 2 * phase + which;
    }

    private int stripeOf(Thread t) {
        long h = t.threadId() * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & stripeMask;
    }

    /** Opens a section on {@code stripe}; returns its (stripe, phase) word. */
    private long lock(int stripe) {
        int phase = state.loPhase() & 1;
        incCell(index(stripe, phase, LOCK0)); // volatile RMW: full fence (SRCU barrier B)
        if (state.loClosing()) {       // after the RMW: a reader the final grace period missed sees closing
            unlock(stripe, phase);
            throw closedException("read()");
        }
        return SECTION | ((long) stripe << 1) | phase;
    }

    private void unlock(int stripe, int phase) {
        incCell(index(stripe, phase, UNLOCK0)); // volatile RMW: orders the section before it
        if (state.lvGracePeriodParkedFor(phase)) {  // volatile load after the RMW; Dekker partner: awaitDrained
            wakeGracePeriodWaiter();
        }
    }

    private static int stripeOfToken(long token) {
        return (int) (token >>> 1) & ((1 << STRIPE_BITS) - 1);
    }

    private long open(int phase, int stripe) {
        return lvCell(index(stripe, phase, LOCK0)) - lvCell(index(stripe, phase, UNLOCK0));
    }

    /** Volatile increment of a counter cell (a full fence); partner: lvCell in the grace period's scan. */
    private void incCell(int index) {
        CELLS.getAndAdd(cells, index, 1L);
    }

    /**
     * Volatile load of a counter cell; partner: the readers' volatile RMWs in lock and unlock, which stay inline
     * there (the read path: no call the JIT must inline).
     */
    private long lvCell(int index) {
        return (long) CELLS.getVolatile(cells, index);
    }

    /** Opaque store (single writer: the holder of gpLock); partner: the opaque load in tokenSlotsScanned(). */
    private void soTokenSlotsScanned(long value) {
        TOKEN_SLOTS_SCANNED.setOpaque(this, value);
    }

    /** Opaque store (single writer: the holder of gpLock); partner: the opaque load in tokenScans(). */
    private void soTokenScans(long value) {
        TOKEN_SCANS.setOpaque(this, value);
    }

    private boolean drained(int phase) {
        int found = tokens.firstOpen(phase, tokenScanFrom);
        int end = found >= 0 ? found : ~found;
        // single writer (see the fields): plain reads, opaque stores for the tests' opaque loads
        soTokenSlotsScanned(tokenSlotsScanned + end - tokenScanFrom + (found >= 0 ? 1 : 0));
        soTokenScans(tokenScans + 1);
        tokenScanFrom = end;  // slots before it need no second look (TokenTable's overview)
        if (found >= 0) {
            return false;
        }
        long unlocks = 0;
        long locks = 0;
        for (int s = 0; s <= stripeMask; s++) {
            unlocks += lvCell(index(s, phase, UNLOCK0)); // first all unlocks ...
        }
        for (int s = 0; s <= stripeMask; s++) {
            locks += lvCell(index(s, phase, LOCK0));     // ... then all locks (SRCU A)
        }
        return locks == unlocks;
    }

    // ------------------------------------------------------------------ token sections

    /**
     * Opens a section and returns its token; end it with {@link #readUnlock(long)}, from any thread. Until then the
     * token counts against the calling thread (see the class documentation). Lock-free, except while the token table
     * grows: one CAS on a slot of the table (the calling thread's hint slot, or a free one found by a few random
     * probes); when the table is crowded (more token sections open at once than ever before) an open whose probes all
     * fail waits for the thread that allocates and zeroes the table's new part (as large as the table), under the
     * table's lock, and once the table has its maximum size (2^24 slots) it scans the table linearly for a free slot.
     * Allocates nothing unless the table grows or debug checks are on (in any domain).
     *
     * @return the token that names this section, for {@link #readUnlock(long)}; valid until the section ends
     * @throws IllegalStateException if the domain is closed, or 2^24 token sections of it are open
     */
    public long readLockToken() {
        if (!tokensOpened) {
            tokensOpened = true;   // plain: see the field
        }
        Thread me = Thread.currentThread();
        int phase = state.loPhase() & 1;
        long token = tokens.open(phase, me.threadId());  // volatile CAS: full fence (SRCU barrier B)
        if (state.loClosing()) {       // after the CAS: a section the final grace period missed sees closing
            throw refuseClosing(token);
        }
        if (DebugProtection.enabled()) {  // as read(): every domain's section counts once one checks
            trackOwner(token, me);
        }
        return token;
    }

    private IllegalStateException refuseClosing(long token) {
        tokens.close(token);
        afterTokenClosed(token);
        return closedException("readLockToken()");
    }

    private void trackOwner(long token, Thread opener) {
        tokenOwners.put(token, new TokenOwner(opener.getName(), System.nanoTime(), DebugProtection.current()));
        DebugProtection.enter();
    }

    /**
     * Ends the token section {@code token}, from any thread. Lock-free: one CAS.
     *
     * @param token the token {@link #readLockToken()} returned for the section
     * @throws IllegalStateException if {@code token} is not the token of an open section of this domain: it already
     *                               ended, belongs to another domain, or never was a token; the call then ends
     *                               nothing (checked always, exactly)
     */
    public void readUnlock(long token) {
        if (!tokens.close(token)) {    // volatile CAS: orders the section before it
            throw notLive(token);
        }
        if (DebugProtection.enabled()) {  // a token opened before the switch is not in the map
            untrackOwner(token);
        }
        afterTokenClosed(token);
    }

    private IllegalStateException notLive(long token) {
        return new IllegalStateException("readUnlock(0x" + Long.toHexString(token) + ") on " + name
                + ": not a live token (" + tokens.whyNotLive(token) + ")");
    }

    private void untrackOwner(long token) {
        TokenOwner owner = tokenOwners.remove(token);
        if (owner != null) {
            owner.protections.decrementAndGet();
        }
    }

    private void afterTokenClosed(long token) {
        // volatile load after the CAS; Dekker partner: awaitDrained (a close of the other phase cannot end its wait)
        if (state.lvGracePeriodParkedFor(TokenTable.phaseOf(token))) {
            wakeGracePeriodWaiter();
        }
    }

    /**
     * Also a token section the calling thread opened that nobody has closed: O(token table), nothing if this domain
     * never opened a token.
     */
    @Override
    boolean callerHoldsSection() {
        return super.callerHoldsSection() || heldToken() != TokenTable.NO_TOKEN;
    }

    private long heldToken() {
        return tokensOpened ? tokens.openedBy(Thread.currentThread().threadId()) : TokenTable.NO_TOKEN;
    }

    @Override
    String describeCallerSection() {
        if (super.callerHoldsSection()) {
            return super.describeCallerSection();
        }
        long token = heldToken();  // one scan; another thread may have closed the token since callerHoldsSection
        return "while thread '" + Thread.currentThread().getName() + "' "
                + (token != TokenTable.NO_TOKEN ? "holds token 0x" + Long.toHexString(token) + " of " + name + ", a"
                        : "held a token section of " + name + " until another thread closed it just now: a")
                + " token section it opened (a token counts against its opener until any thread closes it)";
    }

    private record TokenOwner(String threadName, long openedNanos, AtomicInteger protections) {
    }

    // ------------------------------------------------------------------ thread-bound sections

    @Override
    BpReader currentReaderOrNull() {
        return readers.get();
    }

    private BpReader current() {
        BpReader r = readers.get();
        return r != null ? r : newReader();
    }

    private BpReader newReader() {
        checkOpen("read()");
        expungeCollectedThreads();
        Thread me = Thread.currentThread();
        BpReader r = new BpReader(this, me, stripeOf(me));
        threadRegistry.add(new ThreadEntry(me, r.thread, collectedThreads));
        readers.set(r);
        return r;
    }

    /** The calling thread's handle (created on first use; there is no registration). */
    @Override
    public RcuReader reader() {
        return current();
    }

    @Override
    public ReadSection read() {
        return current().read();
    }

    @Override
    public void readLock() {
        current().readLock();
    }

    @Override
    public void readUnlock() {
        BpReader r = readers.get();
        if (r == null) {
            throw new IllegalStateException("readUnlock() without a matching readLock() on thread '"
                    + Thread.currentThread().getName() + "' in " + name + " (nesting depth 0)");
        }
        r.readUnlock();
    }

    @Override
    public boolean inReadSection() {
        BpReader r = readers.get();
        return r != null && r.depth() > 0;
    }

    /**
     * No-op: bullet-proof readers need no registration.
     *
     * @throws IllegalStateException if the domain is closed (as for every flavor)
     */
    @Override
    public void registerThread() {
        checkOpen("registerThread()");
    }

    /**
     * No-op: bullet-proof readers need no registration.
     *
     * @throws IllegalStateException inside a read section of this domain (as for every flavor)
     */
    @Override
    public void unregisterThread() {
        BpReader r = readers.get();
        if (r != null && r.depth() > 0) {
            throw new IllegalStateException("unregisterThread() inside a read section of " + name + " (thread '"
                    + r.owner.getName() + "', nesting depth " + r.depth() + ")");
        }
    }

    /** The shared part of a thread's record: what is needed to release a dead thread's section. */
    static final class ThreadState {
        final String threadName;
        private static final VarHandle OPEN_TOKEN = VarHandles.field(MethodHandles.lookup(), "openToken", long.class);
        /** The word of the owner's open outermost section (see lock), or 0. Owner writes; dead-thread scans read. */
        @SuppressWarnings("unused") // through OPEN_TOKEN
        private volatile long openToken;

        ThreadState(String threadName) {
            this.threadName = threadName;
        }

        /** Opaque: only the owner writes; a scan acts on it only once the owner is dead. */
        void soOpenToken(long token) {
            OPEN_TOKEN.setOpaque(this, token);
        }

        long loOpenToken() {
            return (long) OPEN_TOKEN.getOpaque(this);
        }

        boolean casOpenToken(long expected, long value) {
            return OPEN_TOKEN.compareAndSet(this, expected, value);
        }
    }

    /** Registry entry: weak to the thread (a dead thread must stay collectable), strong to its state. */
    private static final class ThreadEntry extends WeakReference<Thread> {
        final ThreadState state;

        ThreadEntry(Thread t, ThreadState state, ReferenceQueue<Thread> queue) {
            super(t, queue);
            this.state = state;
        }
    }

    /** A bulletProof thread record. */
    static final class BpReader extends PaddedReader {
        private final BulletProofRcu bp;
        private final int stripe;
        final ThreadState thread;
        /** Whether the open section (or online state) was counted in DebugProtection; owner only. */
        private boolean protectionCounted;

        BpReader(BulletProofRcu domain, Thread owner, int stripe) {
            super(domain, owner);
            this.bp = domain;
            this.stripe = stripe;
            this.thread = new ThreadState(owner.getName());
        }

        @Override
        void enterOutermost() {
            thread.soOpenToken(bp.lock(stripe));
            if (DebugProtection.enabled()) {  // any domain's section counts once some domain checks
                DebugProtection.enter();
                protectionCounted = true;
            }
        }

        @Override
        void exitOutermost() {
            if (DebugProtection.enabled() && protectionCounted) {  // exactly the entries that counted
                DebugProtection.exit();
                protectionCounted = false;
            }
            long token = thread.loOpenToken();
            if (token == 0 || !thread.casOpenToken(token, 0L)) {
                return; // released by a dead-thread scan: only possible if the owner was wrongly seen dead
            }
            bp.unlock(stripeOfToken(token), (int) token & 1);
        }
    }

    // ------------------------------------------------------------------ grace period

    @Override
    void onGracePeriodStarted(long gp) {
        step = 0;
        tokenScanFrom = 0;
    }

    @Override
    boolean awaitReaders(long gp, GracePeriodWait wait) {
        if (step == 0) {
            int active = state.lvPhase();
            if (!awaitDrained(1 - active, wait)) {
                return false;
            }
            state.svPhase(1 - active); // volatile store: full fence between the two waits
            step = 1;
            tokenScanFrom = 0;
        }
        if (!awaitDrained(1 - state.lvPhase(), wait)) {
            return false;
        }
        step = 0;
        return true;
    }

    private boolean awaitDrained(int phase, GracePeriodWait wait) {
        boolean parked = false;
        try {
            while (!drained(phase)) {
                if (!parked && wait.parksNext()) {
                    state.svGracePeriodParkedFor(phase); // volatile, then drained() re-checks: Dekker with unlock()
                    parked = true;
                    continue;
                }
                if (!wait.pause()) {
                    return false;
                }
                if (wait.deadThreadScanDue()) {
                    releaseSectionsOfDeadThreads();
                }
            }
            return true;
        } finally {
            if (parked) {
                state.svGracePeriodNotParked();
            }
        }
    }

    private void expungeCollectedThreads() {
        for (Object ref; (ref = collectedThreads.poll()) != null; ) {
            ThreadEntry e = (ThreadEntry) ref;
            threadRegistry.remove(e);
            releaseIfOpen(e.state);
        }
    }

    private void releaseSectionsOfDeadThreads() {
        expungeCollectedThreads();
        for (ThreadEntry e : threadRegistry) {
            Thread t = e.get();
            if (t == null || !t.isAlive()) {
                threadRegistry.remove(e);
                releaseIfOpen(e.state);
            }
        }
    }

    private void releaseIfOpen(ThreadState ts) {
        long token = ts.loOpenToken();
        if (token != 0 && ts.casOpenToken(token, 0L)) {
            LOG.log(System.Logger.Level.WARNING, "jrcu: reader thread '" + ts.threadName + "' of " + name
                    + " terminated inside a read section; released so that grace periods go on");
            unlock(stripeOfToken(token), (int) token & 1);
        }
    }

    @Override
    void describeBlockingReaders(long gp, long waitedNanos, StringBuilder out) {
        long ageMillis = TimeUnit.NANOSECONDS.toMillis(waitedNanos);
        int waitingPhase = 1 - state.lvPhase(); // step 0: the stragglers' phase; step 1: the phase before the flip
        for (int s = 0; s <= stripeMask; s++) {
            long openHere = open(waitingPhase, s);
            if (openHere > 0) {
                out.append("\n\tstripe ").append(s).append(": ").append(openHere)
                        .append(" open section(s) of phase ").append(waitingPhase).append(", each at least ")
                        .append(ageMillis).append(" ms old");
            }
        }
        int threads = 0;
        for (ThreadEntry e : threadRegistry) {
            long token = e.state.loOpenToken();
            Thread t = e.get();
            if (token != 0 && ((int) token & 1) == waitingPhase && threads++ < STALL_REPORT_LINES) {
                out.append("\n\t'").append(e.state.threadName).append("' (")
                        .append(t == null ? "collected" : (t.isVirtual() ? "virtual" : "platform") + " thread "
                                + t.threadId() + ", " + t.getState())
                        .append(") inside a read section on stripe ").append(stripeOfToken(token))
                        .append(" for at least ").append(ageMillis).append(" ms");
                if (t != null) {
                    appendStack(out, t);
                }
            }
        }
        if (threads > STALL_REPORT_LINES) {
            out.append("\n\tand ").append(threads - STALL_REPORT_LINES).append(" more thread(s) inside a read section");
        }
        long now = System.nanoTime();
        tokens.describeOpen(waitingPhase, out, STALL_REPORT_LINES, token -> {
            TokenOwner owner = tokenOwners.get(token);
            return owner == null ? "" : ", '" + owner.threadName() + "', "
                    + TimeUnit.NANOSECONDS.toMillis(now - owner.openedNanos()) + " ms ago";
        });
    }

    /** Token-table slots the grace periods have read (tests; opaque load, see the field). */
    long tokenSlotsScanned() {
        return (long) TOKEN_SLOTS_SCANNED.getOpaque(this);
    }

    /** Token-table scans the grace periods have made (tests; opaque load, see the field). */
    long tokenScans() {
        return (long) TOKEN_SCANS.getOpaque(this);
    }
}
