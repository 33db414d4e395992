package io.jrcu;

import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What memb and QSBR share: a registry of reader records, each holding one counter, and the grace-period wait over
 * them. The flavors differ only in when a reader writes its counter.
 */
abstract class CounterRcu<R extends CounterRcu.CounterReader> extends AbstractRcu<R> {
    /*
     * Overview (after liburcu's urcu.c / urcu-qsbr.c and DPDK's rte_rcu_qsbr, with a 64-bit sequence so that one
     * scan suffices: no phase bit, hence no second flip).
     *
     * Each reader record has a counter `ctr`:
     *   0            the reader is not protected (memb: outside any section; QSBR: offline)
     *   s + 1        the reader read `started == s` when it last became protected (memb: its outermost section
     *                entry; QSBR: its last quiescent state or online()).
     * Grace period g (started == g) waits until every record has ctr == 0 or ctr > g. A reader with ctr > g read
     * started >= g, so it became protected after g started and, by the acquire/volatile pairing on `started`,
     * sees every unlink made before g. A reader whose ctr store the scan missed stored it after the scan passed it,
     * and its full fence (memb entry, QSBR online) orders its later reads after the writer's unlink (the store-
     * buffering argument: writer  W(unlink) F R(ctr)=0  /  reader  W(ctr) F R(data)). A stale ctr (reader delayed
     * between reading `started` and storing) is merely conservative: a later grace period waits for it.
     *
     * Registry: an array of slots, published through a volatile field; registration and removal run under
     * registryLock and write slots with release, and a grace period reads them with acquire. The array grows by
     * copying when every slot is taken and shrinks by copying (compacting) when fewer than a quarter of its slots
     * hold a record, so a grace period's scan, which reads every slot, costs O(records). A grace period that scans
     * an older array misses only records registered after its scan began, which are safe by the same store-
     * buffering argument (their registration precedes their first counter store and its fence); an array is never
     * changed once a copy replaced it, so the scan still sees every record that was there.
     *
     * Records of terminated threads (no exit hook exists for threads; a virtual thread per request registers and
     * dies by the million) are dropped while threads come and go, without waiting for grace periods:
     *   register:  under registryLock, examine the next SWEEP_PER_REGISTRATION slots (a cursor cycling over the
     *              slots handed out); drop each record whose owner is no longer alive; then take a free slot
     * A record still in the registry was registered during the cursor's current or previous round over the slots, or
     * was there when the previous round began and was alive when the cursor passed it, so alive at that start. Hence
     * records <= (threads alive at once) + about 2 * (slots handed out) / SWEEP_PER_REGISTRATION; the array grows only
     * when every slot holds a record, so with 4 slots per registration it stays within about 4x the most threads alive
     * at once (at least MIN_SLOTS), and records of dead threads within half of it. Records are dropped, not handed to
     * the next thread: a record is an allocation its registration makes anyway, and a fresh one keeps its owner final
     * (the owner check stays one compare) and leaves the ReadSection objects of the dead owner bound to a retired
     * record. A grace period drops them too: every PRUNE_PERIOD grace periods (for a registry nobody registers with any
     * more) and when it finds that it waits for a dead reader. Liveness is asked of the thread (isAlive: one volatile
     * load for a virtual thread), not learned from a weak reference and a ReferenceQueue as in BulletProofRcu's thread
     * registry: that learns of a death only after a collection found the thread unreachable, and a record could not
     * hold its owner (the owner check compares it) without keeping it reachable.
     *
     * Why dropping is safe while a grace period runs. A record is dropped only when its owner's Thread.isAlive()
     * is false: the owner is terminated and every action of it happens-before that observation (JLS 17.4.4), so
     * it is in no section and never writes the record again. A record whose owner died protected (memb: inside a
     * section; QSBR: online) is reported and its counter released (release store; partner: the scan's acquire
     * load, so the dead owner's accesses happen-before the end of the grace period that sees 0); the release and
     * the drop happen once, under registryLock, whoever finds the record first (a registration, the prune, or a
     * grace period waiting for it). A grace period holding the record (an older array, or waiting in awaitReader)
     * reads ctr == 0 from then on and moves on, which is right: the owner is gone. A slot freed this way may take a
     * new record; a scan that reads the slot sees the old record (ctr 0, skipped) or the new one (waited for if it
     * blocks), and one that read it before the new record arrived misses a record registered after its scan began.
     *
     * Pairing table:
     *   reader ctr store (memb entry opaque+fence, QSBR online volatile+fence)  <->  volatile store of started, then
     *                                                                                acquire load of ctr in blocks()
     *   reader ctr release store (memb exit, QSBR quiescent/offline)  <->  acquire load of ctr in blocks()
     *   grace period's volatile store waiting=true, then acquire load of ctr  <->  reader's release store of ctr,
     *                                            then opaque load of waiting (no fence: a missed wake-up costs at
     *                                            most GracePeriodWait.MAX_PARK_NANOS, never a hang)
     *
     * Records are padded on both sides (AbstractReaderPadBefore, PaddedCounterReader: 256 of a record's bytes),
     * so a memb or QSBR reader costs that much per live thread; only live threads keep records. A dead thread's
     * entry in `readers` needs nothing: the JDK drops a terminated thread's thread locals (virtual threads too).
     */

    static final int PRUNE_PERIOD = 64;
    /** Slots a registration examines for records of terminated threads (see the overview). */
    static final int SWEEP_PER_REGISTRATION = 4;
    /** The registry array's smallest length. */
    private static final int MIN_SLOTS = 16;

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(CounterReader[].class);

    private final Object registryLock = new Object();
    /** Slots; null = free. Replaced by a larger or a compacted copy under registryLock. */
    private volatile CounterReader[] slots = new CounterReader[MIN_SLOTS];
    private int used;                     // slots ever handed out in the current array; under registryLock
    private int[] freeSlots = new int[MIN_SLOTS];
    private int freeCount;                // under registryLock
    private int sweepCursor;              // the next slot a registration examines; under registryLock

    final ThreadLocal<R> readers = new ThreadLocal<>();

    CounterRcu(RcuBuilder<?> builder, String flavor, boolean processDefault) {
        super(builder, flavor, processDefault);
    }

    @Override
    final R currentReaderOrNull() {
        return readers.get();
    }

    /**
     * Whether the calling thread is inside a read section of this domain; see {@link Rcu#inReadSection()}.
     *
     * @return {@code true} if the calling thread's nesting depth in this domain is above zero
     */
    public final boolean inReadSection() {
        R r = readers.get();
        return r != null && r.depth() > 0;
    }

    // ------------------------------------------------------------------ registry

    /** Adds the calling thread's new record, after dropping records of terminated threads (see the overview). */
    final void addToRegistry(CounterReader r) {
        List<String> deaths;
        synchronized (registryLock) {
            deaths = sweepTerminated();
            int slot;
            if (freeCount > 0) {
                slot = freeSlots[--freeCount];
            } else {
                slot = used++;
                if (slot == slots.length) {
                    slots = Arrays.copyOf(slots, slots.length * 2); // volatile publication of the larger array
                }
            }
            r.slot = slot;
            SLOTS.setRelease(slots, slot, r); // release; pairs with the acquire load in awaitReaders
        }
        if (deaths != null) {
            deaths.forEach(CounterRcu::reportDeath);   // after unlocking: a logger never runs under registryLock
        }
    }

    /**
     * Examines the next SWEEP_PER_REGISTRATION slots and drops the records of terminated owners; returns the reports
     * of those that died protected, for the caller to log after it unlocked ({@code null} if none).
     */
    private List<String> sweepTerminated() {
        List<String> deaths = null;
        for (int i = 0; i < SWEEP_PER_REGISTRATION && used > 0; i++) {
            if (sweepCursor >= used) {
                sweepCursor = 0;
            }
            CounterReader r = slots[sweepCursor++]; // plain: slots are written under registryLock, which we hold
            if (r != null && !r.owner.isAlive()) {
                String death = dropTerminatedLocked(r);   // may compact the array (and move the cursor with it)
                if (death != null) {
                    if (deaths == null) {
                        deaths = new ArrayList<>(SWEEP_PER_REGISTRATION);
                    }
                    deaths.add(death);
                }
            }
        }
        return deaths;
    }

    final void removeFromRegistry(CounterReader r) {
        synchronized (registryLock) {
            removeLocked(r);
        }
    }

    private void removeLocked(CounterReader r) {
        if (r.slot < 0) {
            return;   // dropped already
        }
        CounterReader[] a = slots;
        SLOTS.setRelease(a, r.slot, null); // release; pairs with the acquire load in awaitReaders
        if (freeCount == freeSlots.length) {
            freeSlots = Arrays.copyOf(freeSlots, freeSlots.length * 2);
        }
        freeSlots[freeCount++] = r.slot;
        r.slot = -1;
        if (records() < a.length / 4 && a.length > MIN_SLOTS) {
            compact();
        }
    }

    /**
     * Replaces the array by one of at least twice the records' length, holding the records in their order from
     * slot 0 (the sweep cursor keeps its place among them). The old array is left as it is for scans still
     * reading it. Under registryLock.
     */
    private void compact() {
        CounterReader[] old = slots;
        int length = MIN_SLOTS;
        while (length < 2 * records()) {
            length <<= 1;
        }
        CounterReader[] a = new CounterReader[length];
        int n = 0;
        int cursor = 0;
        for (int i = 0; i < used; i++) {
            CounterReader r = old[i];   // plain: written under registryLock
            if (r != null) {
                if (i < sweepCursor) {
                    cursor++;
                }
                r.slot = n;
                a[n++] = r;             // plain; published by the volatile store of slots below
            }
        }
        used = n;
        sweepCursor = cursor;
        freeCount = 0;
        if (freeSlots.length > length) {
            freeSlots = new int[MIN_SLOTS];
        }
        slots = a;   // volatile; pairs with the volatile load of slots in the scans
    }

    /** Records in the registry: the slots handed out that are not free again. Under registryLock. */
    private int records() {
        return used - freeCount;
    }

    /** Records in the registry (tests). */
    final int registeredReaders() {
        synchronized (registryLock) {
            return records();
        }
    }

    /** Slots a grace period's scan reads: the registry array's length (tests). */
    final int registrySlots() {
        return slots.length;   // volatile
    }

    // ------------------------------------------------------------------ grace period

    @Override
    final void onGracePeriodStarted(long gp) {
        afterGracePeriodStart();
        if (++gracePeriodsSincePrune >= PRUNE_PERIOD) {  // counted: QSBR tokens make the numbers jump
            gracePeriodsSincePrune = 0;
            pruneDeadReaders();
        }
    }

    /**
     * Once per grace period, after its number is published and fenced and before the first scan of the readers
     * (memb with membarrier: the readers' half of the store->load fence). Under gpLock.
     */
    void afterGracePeriodStart() {
    }

    /** Grace periods started since the last prune; under gpLock. */
    private int gracePeriodsSincePrune;

    @Override
    final boolean awaitReaders(long gp, GracePeriodWait wait) {
        CounterReader[] a = slots;
        for (int i = 0; i < a.length; i++) {
            CounterReader r = (CounterReader) SLOTS.getAcquire(a, i); // pairs with the release in addToRegistry
            if (r != null && r.blocks(gp) && !awaitReader(r, gp, wait)) {
                return false;
            }
        }
        return true;
    }

    /**
     * min(newest, ctr - 1 of every protected reader): grace period g is complete when every record has ctr == 0 or
     * ctr > g, which is exactly what awaitReaders(g) checks, so this is one such look answering for every g at once.
     */
    @Override
    final long newestUnblocked(long newest) {
        long allowed = newest;
        CounterReader[] a = slots;
        for (int i = 0; i < a.length; i++) {
            CounterReader r = (CounterReader) SLOTS.getAcquire(a, i); // pairs with the release in addToRegistry
            if (r != null) {
                long c = r.laCtr();   // acquire; partner: the reader's ctr stores, as in blocks()
                if (c != 0 && c - 1 < allowed) {
                    allowed = c - 1;
                }
            }
        }
        return allowed;
    }

    private boolean awaitReader(CounterReader r, long gp, GracePeriodWait wait) {
        boolean marked = false;
        try {
            while (true) {
                if (!marked && wait.parksNext()) {
                    r.svWaiting(true); // volatile store, then the acquire load in blocks(): see the pairing table
                    marked = true;
                    if (!r.blocks(gp)) {
                        return true;
                    }
                }
                if (!wait.pause()) {
                    return false;
                }
                if (!r.blocks(gp)) {
                    return true;
                }
                if (wait.pastSpinning() && !r.owner.isAlive()) {
                    releaseDeadReader(r);
                    return true;
                }
            }
        } finally {
            if (marked) {
                r.soWaiting(false);
            }
        }
    }

    private void pruneDeadReaders() {
        CounterReader[] a = slots;
        for (int i = 0; i < a.length; i++) {
            CounterReader r = (CounterReader) SLOTS.getAcquire(a, i);
            if (r != null && !r.owner.isAlive()) {
                releaseDeadReader(r);
            }
        }
    }

    /** The owner is dead: report it if it died protected, release its counter and drop the record. */
    private void releaseDeadReader(CounterReader r) {
        String death;
        synchronized (registryLock) {
            death = dropTerminatedLocked(r);
        }
        if (death != null) {
            reportDeath(death);   // after unlocking: a logger never runs under registryLock
        }
    }

    /**
     * The owner has terminated (isAlive() was false): releases its counter if it died protected and drops the
     * record; nothing if it was dropped already. Under registryLock, so each record is reported once: returns the
     * report of a death inside a section for the caller to log once it unlocked, else {@code null}.
     */
    private String dropTerminatedLocked(CounterReader r) {
        if (r.slot < 0) {
            return null;
        }
        String death = null;
        long ctr = r.laCtr();   // acquire; partner: the dead owner's last ctr store
        if (ctr != 0) {
            death = "jrcu: reader thread '" + r.owner.getName() + "' of " + name + " terminated "
                    + r.protectedStateDescription() + "; released so that grace periods go on";
            r.srCtr(0L);        // release; partner: the acquire load of ctr in blocks() (see the overview)
            r.resetDepthOfDeadOwner();
        }
        r.retire();
        removeLocked(r);
        return death;
    }

    private static void reportDeath(String death) {
        LOG.log(System.Logger.Level.WARNING, death);
    }

    @Override
    final void describeBlockingReaders(long gp, long waitedNanos, StringBuilder out) {
        CounterReader[] a = slots;
        for (int i = 0; i < a.length; i++) {
            CounterReader r = (CounterReader) SLOTS.getAcquire(a, i);
            if (r != null && r.blocks(gp)) {
                Thread t = r.owner;
                out.append("\n\t'").append(t.getName()).append("' (").append(t.isVirtual() ? "virtual" : "platform")
                        .append(" thread ").append(t.threadId()).append(", ").append(t.getState()).append(") ")
                        .append(r.protectedStateDescription()).append(" for at least ")
                        .append(TimeUnit.NANOSECONDS.toMillis(waitedNanos)).append(" ms (since before grace period ")
                        .append(gp).append(" started)");
                appendStack(out, t);
            }
        }
    }

    // ------------------------------------------------------------------ the record

    /** A reader record with the one counter the grace period reads. */
    abstract static class CounterReader extends AbstractReader {
        private static final VarHandle CTR = VarHandles.field(MethodHandles.lookup(), "ctr", long.class);
        private static final VarHandle WAITING = VarHandles.field(MethodHandles.lookup(), "waiting", boolean.class);

        /** 0 = not protected, else 1 + the grace period number read when the reader last became protected. */
        @SuppressWarnings("unused") // through CTR
        private volatile long ctr;
        /** Set by a grace period about to park on this reader; the reader then wakes it. */
        @SuppressWarnings("unused") // through WAITING
        private volatile boolean waiting;
        /** Registry slot; -1 when not registered. Under the registry lock. */
        int slot = -1;

        CounterReader(GracePeriodEngine<?> domain, Thread owner) {
            super(domain, owner);
        }

        final boolean blocks(long gp) {
            long c = laCtr();
            return c != 0 && c <= gp;
        }

        /** "inside a read section" or "online": for reports. */
        abstract String protectedStateDescription();

        final long laCtr() {
            return (long) CTR.getAcquire(this);
        }

        /** Owner's own read of its counter. */
        final long lpCtr() {
            return (long) CTR.get(this);
        }

        final void soCtr(long value) {
            CTR.setOpaque(this, value);
        }

        final void srCtr(long value) {
            CTR.setRelease(this, value);
        }

        final void svWaiting(boolean value) {
            WAITING.setVolatile(this, value);
        }

        final void soWaiting(boolean value) {
            WAITING.setOpaque(this, value);
        }

        final boolean loWaiting() {
            return (boolean) WAITING.getOpaque(this);
        }

    }

    /**
     * A counter reader record padded after its written fields (ctr, and depth above it), so that the flavor's own
     * read-mostly fields and whatever object lies beyond the record stay off their cache lines (see
     * AbstractReaderPadBefore).
     */
    abstract static class PaddedCounterReader extends CounterReader {
        long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;

        PaddedCounterReader(GracePeriodEngine<?> domain, Thread owner) {
            super(domain, owner);
        }
    }
}
