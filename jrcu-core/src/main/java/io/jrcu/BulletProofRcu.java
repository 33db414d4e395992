package io.jrcu;

import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bullet-proof RCU: no registration, safe for millions of virtual threads (liburcu bp; Linux SRCU's counters).
 * Readers share no single counter or lock. A platform thread's section is a store to a record of its own (created on
 * its first section, as liburcu bp registers a thread then) followed by a full fence. A virtual thread's section
 * increments one of a few striped lock counters and remembers its stripe and phase; leaving it increments the
 * matching unlock counter. A grace period compares sums of those counters and reads the platform threads' records,
 * so its cost follows the platform threads that use the domain, never the number of virtual threads.
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
 * slow path (a platform thread's record may also be found earlier, when another platform thread makes its record).
 * Token sections belong to no thread and are never released that way: stall reports name each open one with the id
 * of the thread that opened it (and, while debug checks are on in any domain, its name and age).
 *
 * <p><b>Cost of a grace period:</b> it sums the striped counters (a few per CPU), reads the record of every live
 * platform thread that has opened a section of the domain (the records of terminated threads are dropped as other
 * threads make theirs, and every few dozen grace periods), and reads every slot of the token table once per phase it
 * waits for: a wait that finds an open token section resumes at that slot when it wakes up, it does not start over, and
 * only sections of the phase it waits for wake it. The table doubles when it is crowded and never shrinks: it settles
 * at 2 to 4 slots per token section that was open at once (16 bytes each), so the cost follows the most token sections
 * that were ever open at once, not how many were opened or closed.
 */
public final class BulletProofRcu extends AbstractRcu<BulletProofRcu.BpReader> implements Rcu {
    /*
     * Overview (after Linux's classic SRCU, srcu_readers_active_idx_check, and liburcu bp's per-thread records).
     *
     * Three kinds of section, one phase bit p = state.phase (0 or 1), flipped once per grace period:
     *   platform thread's read()/readLock():  its BpReader's word `ctr` (CounterReader's) = SECTION | n << 1 | p,
     *                                         n the number of the thread's section (so consecutive words differ)
     *   virtual thread's read()/readLock():   lock[s][p] += 1 on stripe s, then unlock[s][p] += 1
     *   readLockToken() / readUnlock(token):  a slot of the token table `tokens` (TokenTable) holding {open, p}
     * A reader record decides once, when its thread makes it, whether it uses its word or the stripes
     * (Thread.isVirtual(); the fault READ_AS_VIRTUAL_THREAD switches a platform thread's record to the stripes).
     *
     *   record enter:  p = phase (opaque); ctr = SECTION | n << 1 | p (opaque: only the owner writes it);
     *                  fullFence (store->load; partner: runUntil's start fence, after the caller's unlinks, then
     *                  the acquire loads of the records in drained)
     *   record exit:   ctr = 0 (release; partner: the acquire load of ctr in drained); if a grace period is parked
     *                  for p (opaque load, no fence: a missed wake-up costs it at most GracePeriodWait.MAX_PARK_NANOS),
     *                  unpark it
     *   stripe lock:   p = phase (opaque); lock[s][p] += 1 (volatile getAndAdd: a full fence, SRCU's barrier B);
     *                  the section's word = (SECTION, stripe s, phase p), kept by the thread for its unlock
     *   stripe unlock: unlock[s][p] += 1 (volatile getAndAdd: the section's accesses before it, SRCU's barrier C);
     *                  if a grace period is parked waiting for p (volatile load after the RMW: Dekker with the grace
     *                  period's volatile store of gracePeriodParkedFor and re-check), unpark it. A close of the other
     *                  phase cannot end that wait, so it wakes nothing.
     *
     *   grace period (resumable; `step` survives a timed-out caller):
     *     step 0: wait until phase 1-p drains      stragglers that read the phase before the previous flip
     *             phase = 1-p  (volatile store: full fence)
     *     step 1: wait until phase p drains        everyone that entered before the flip
     *   drained(p): no token section of phase p open (the scan resumes at tokenScanFrom, the slot where the previous
     *               call of this wait stopped: see TokenTable); the sum of unlock[*][p], then the sum of lock[*][p]
     *               (volatile loads, in that order), equal; and no record shows (acquire loads of ctr) a section of
     *               phase p that it already showed when this step first looked at it (the scan resumes at the
     *               record where it stopped, and passes it once its word changed).
     *
     * Why the counters' equality means no pre-existing reader remains: an unlock counted in the first sum had its
     * lock before it, so that lock is counted in the second; a reader still inside whose lock was counted makes the
     * lock sum larger. A reader whose lock increment the second sum missed increments after the scan, and its atomic
     * increment orders its reads after the writer's earlier unlink (store buffering). Stragglers are bounded: a thread
     * can enter the old phase at most once per flip.
     *
     * Why the records' check is safe (store buffering, as memb's): reader  W(ctr) F R(data)  /  grace period
     * W(unlink) F ... R(ctr), every look after the grace period's start fence. If a look reads a word older than a
     * section's store (no section, or an earlier one), that section's fence comes after the grace period's, so its
     * reads see the unlink: it may go unwaited. A section a look does see is waited for until the record's word
     * changes, which its release store of 0 precedes: its accesses happen-before the grace period's end. So every
     * record is waited for until the section that was open at the step's first look ends; the section numbers make
     * "changed" exact (the same word twice is the same section). Each open section is seen in the step that waits
     * for its phase (step 0 for 1-p, step 1 for p), so the two steps together cover both phases. With a busy reader
     * a step waits only for the end of the section it saw, not for the reader to see the flip.
     *
     * Records: platform threads' BpReaders live in a ReaderRegistry (memb's; see there), added by a thread's first
     * section (no unregistration: unregisterThread stays a no-op) and scanned by drained. A record whose owner is no
     * longer alive is dropped by the registry as other threads register, every PRUNE_PERIOD grace periods (the
     * registry's onGracePeriodStarted), and by the dead-thread search below; one that shows an open section is
     * reported and released then (its ctr set to 0). Virtual threads never get a record in the registry, so 100,000
     * live virtual threads cost a grace period nothing. A record is padded on both sides as memb's
     * (AbstractReaderPadBefore, PaddedBpReaderFields): its owner writes ctr and the section number on every section,
     * and a grace period reads ctr.
     *
     * Dead virtual threads: a striped section's word (SECTION | stripe << 1 | phase) is also kept where the
     * dead-thread search finds it (StripedThreads, see there), which a grace period runs only when it has waited a
     * while; it releases such a section with an unlock increment, and the dead platform threads' records too.
     *
     * Token sections (readLockToken / readUnlock(token)) do not use the counters: each holds a slot of `tokens` (a
     * TokenTable, see there), claimed with one CAS that writes {open, phase, stamp} and freed with one CAS that only
     * the live token wins. Counters would let misuse corrupt the domain: a second readUnlock of a token, or a token of
     * another domain, would add an unlock that matches no lock — a grace period then completes while a section is
     * open, and once that section ends the sums never match again. With the table a token names its section, so every
     * such call fails and changes nothing, for one atomic operation each way; a grace period pays a scan of the table
     * instead. The slot also keeps the opener's thread id, so that the paths about to block can ask "does the calling
     * thread hold a token it opened" (callerHoldsSection, O(table)) without any cost on the fast path beyond a plain
     * load of tokensOpened, a flag set once by the first readLockToken: a domain that never opened a token skips the
     * scan.
     *
     * Pairing table:
     *   record ctr store + fullFence  <->  runUntil's start fence (and the flip), then acquire loads of ctr
     *   record ctr release store of 0  <->  acquire load of ctr in drained
     *   stripe lock/unlock getAndAdd  <->  volatile loads of the cells in drained (unlocks first, then locks)
     *   token open/close CAS  <->  TokenTable.firstOpen's volatile loads
     *   stripe unlock / token close: volatile load of gracePeriodParkedFor  <->  its volatile store in awaitDrained
     *   record exit: opaque load of gracePeriodParkedFor  <->  the same store (no fence; bounded by the park timeout)
     */

    /** Marks a thread-bound section's (stripe, phase) word, so that it is never 0 (0: no section open). */
    private static final long SECTION = 1L << 62;
    /** A record's word: SECTION | (its section's number << 1, bits 1 to 61) | phase. */
    private static final long SEQUENCE_MASK = SECTION - 2;
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
     * The records' scan of this step (see recordOpen): the registry array it reads, the slot where it resumes, and
     * the record found open there with the word it showed. Under the grace-period lock.
     */
    private CounterRcu.CounterReader[] recordScanArray;
    private int recordScanFrom;
    private CounterRcu.CounterReader openRecord;
    private long openRecordWord;
    /**
     * Token-table slots the grace periods read, and the scans that read them (for tests). Written only under the
     * grace-period lock, with opaque stores (no fence in the grace-period loop): a test polls them from another
     * thread while a grace period waits, with opaque loads, and needs no ordering with anything else.
     */
    private long tokenSlotsScanned, tokenScans;
    private static final VarHandle TOKEN_SLOTS_SCANNED =
            VarHandles.field(MethodHandles.lookup(), "tokenSlotsScanned", long.class);
    private static final VarHandle TOKEN_SCANS = VarHandles.field(MethodHandles.lookup(), "tokenScans", long.class);

    /** The threads' handles (a ThreadLocal behind slots by thread id). */
    final ThreadReaders<BpReader> readers = new ThreadReaders<>();
    /** The platform threads' records (their section words), which drained reads. */
    private final ReaderRegistry records;
    /** The threads whose sections take the stripes (virtual threads), for the dead-thread search. */
    private final StripedThreads stripedThreads;

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
        this.records = new ReaderRegistry(name, readers);
        this.stripedThreads = new StripedThreads(name, word -> unlock(StripedThreads.stripeOf(word), (int) word & 1));
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
        return stripesDrained(phase) && !recordOpen(phase);
    }

    private boolean stripesDrained(int phase) {
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

    /**
     * Whether a platform thread's record shows a section of {@code phase} that was open when this step first looked
     * at the record: the scan resumes at the record where it stopped, and passes it once its word has changed (that
     * section ended; a later one began after this step's first look, see the overview). A registry array replaced
     * since (grown or compacted: records move) is scanned again from its first slot.
     */
    private boolean recordOpen(int phase) {
        CounterRcu.CounterReader[] a = records.lvSlots();
        if (a != recordScanArray) {
            recordScanArray = a;
            recordScanFrom = 0;
        }
        for (int i = recordScanFrom; i < a.length; i++) {
            CounterRcu.CounterReader r = ReaderRegistry.laSlot(a, i); // pairs with the release in ReaderRegistry.add
            if (r == null) {
                continue;
            }
            long word = r.laCtr();   // acquire; partner: the record's stores (see the overview)
            if (word == 0 || (word & 1) != phase || (r == openRecord && word != openRecordWord)) {
                continue;
            }
            recordScanFrom = i;
            openRecord = r;
            openRecordWord = word;
            return true;
        }
        recordScanFrom = a.length;
        return false;
    }

    /** A new step of the grace period: its scans start over. */
    private void startStep() {
        tokenScanFrom = 0;
        recordScanArray = null;
        openRecord = null;
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

    /** The calling thread's first section: a record in the registry for a platform thread, the stripes otherwise. */
    private BpReader newReader() {
        checkOpen("read()");
        Thread me = Thread.currentThread();
        BpReader r = new BpReader(this, me, stripeOf(me));
        if (me.isVirtual()) {
            useStripes(r);
        } else {
            records.add(r);
        }
        readers.set(r);
        return r;
    }

    /** From now on {@code r}'s sections take the striped counters; its thread is put in the dead-thread registry. */
    private void useStripes(BpReader r) {
        if (r.thread == null) {
            r.thread = stripedThreads.add(r.owner);
        }
        r.striped = true;
    }

    @Override
    void readAsVirtualThread(boolean on) {
        BpReader r = current();
        if (r.depth() > 0) {
            throw new IllegalStateException("READ_AS_VIRTUAL_THREAD inside a read section of " + name + " (thread '"
                    + r.owner.getName() + "', nesting depth " + r.depth() + ")");
        }
        if (on) {
            useStripes(r);   // a platform thread's record stays registered, its word 0 while the stripes are used
        } else if (!r.owner.isVirtual()) {
            r.striped = false;
        }
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

    /** The record's own written field, kept before the padding (see PaddedCounterReader). */
    abstract static class BpReaderFields extends CounterRcu.CounterReader {
        /** Twice the number of record sections the owner opened; owner only (see the record's word). */
        long sections;

        BpReaderFields(GracePeriodEngine<?> domain, Thread owner) {
            super(domain, owner);
        }
    }

    /** 128 bytes after the written fields of a bulletProof record, as PaddedCounterReader pads memb's. */
    abstract static class PaddedBpReaderFields extends BpReaderFields {
        long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;

        PaddedBpReaderFields(GracePeriodEngine<?> domain, Thread owner) {
            super(domain, owner);
        }
    }

    /**
     * A bulletProof thread record. On a platform thread its word {@code ctr} (CounterReader's, in the registry
     * {@code records}) holds SECTION | n << 1 | phase while section n is open, 0 otherwise; on a virtual thread its
     * sections take the stripes and {@code thread} holds the open section's word for the dead-thread search.
     */
    static final class BpReader extends PaddedBpReaderFields {
        private final BulletProofRcu bp;
        private final GracePeriodState state;
        private final int stripe;
        /** Whether the sections take the striped counters; decided when the record is made. Owner only, outside a
         *  section (the fault READ_AS_VIRTUAL_THREAD changes it there). */
        private boolean striped;
        /** The striped section's word for the dead-thread search; null until the record first takes the stripes. */
        StripedThreads.ThreadState thread;
        /** Whether the open section (or online state) was counted in DebugProtection; owner only. */
        private boolean protectionCounted;

        BpReader(BulletProofRcu domain, Thread owner, int stripe) {
            super(domain, owner);
            this.bp = domain;
            this.state = domain.state;
            this.stripe = stripe;
        }

        @Override
        void enterOutermost() {
            if (striped) {
                thread.soOpenToken(bp.lock(stripe));
            } else {
                GracePeriodState s = state;   // a local: the fence below would make the JIT load the field again
                long next = sections + 2;     // bits 1..61: the section's number, so that consecutive words differ
                sections = next;
                soCtr(SECTION | (next & SEQUENCE_MASK) | (s.loPhase() & 1)); // opaque; owner-only writes
                VarHandle.fullFence();  // store->load; partner: runUntil's start fence, then drained's acquire loads
                if (s.loClosing()) {    // after the fence: a reader the final grace period missed sees closing
                    srCtr(0L);
                    throw bp.closedException("read()");
                }
            }
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
            if (!striped) {
                int phase = (int) lpCtr() & 1;
                srCtr(0L);          // release; partner: the acquire load of ctr in drained
                if (state.loGracePeriodParkedFor(phase)) {  // opaque, no fence (see the overview)
                    bp.wakeGracePeriodWaiter();
                }
                return;
            }
            long token = thread.loOpenToken();
            if (token == 0 || !thread.casOpenToken(token, 0L)) {
                return; // released by a dead-thread scan: only possible if the owner was wrongly seen dead
            }
            bp.unlock(StripedThreads.stripeOf(token), (int) token & 1);
        }

        @Override
        String protectedStateDescription() {
            return "inside a read section";
        }
    }

    // ------------------------------------------------------------------ grace period

    @Override
    void onGracePeriodStarted(long gp) {
        step = 0;
        startStep();
        records.onGracePeriodStarted();
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
            startStep();
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
                                                         // and token closes; record exits load it without a fence
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

    private void releaseSectionsOfDeadThreads() {
        records.releaseDeadReaders();
        stripedThreads.releaseSectionsOfDeadThreads();
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
        CounterRcu.CounterReader[] a = records.lvSlots();
        for (int i = 0; i < a.length; i++) {
            CounterRcu.CounterReader r = ReaderRegistry.laSlot(a, i);
            long word = r == null ? 0 : r.laCtr();
            if (word != 0 && (word & 1) == waitingPhase && threads++ < STALL_REPORT_LINES) {
                appendReaderLine(out, r.owner.getName(), r.owner, "inside a read section", ageMillis, "");
            }
        }
        threads = stripedThreads.describe(waitingPhase, ageMillis, out, threads, STALL_REPORT_LINES);
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

    /** Platform threads' records in the registry (tests). */
    int registeredRecords() {
        return records.registeredReaders();
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
