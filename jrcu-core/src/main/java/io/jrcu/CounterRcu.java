package io.jrcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
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
     * Registry: an array of slots, published through a volatile field and grown by copying under registryLock;
     * slots are written with release and read by the grace period with acquire. A grace period that scans an older
     * array misses only records registered after its scan began, which are safe by the same store-buffering
     * argument. Records of threads that died are pruned on a grace period's slow path and every PRUNE_PERIOD grace
     * periods; one that died while protected is reported and released.
     *
     * Pairing table:
     *   reader ctr store (memb entry opaque+fence, QSBR online volatile+fence)  <->  volatile store of started, then
     *                                                                                acquire load of ctr in blocks()
     *   reader ctr release store (memb exit, QSBR quiescent/offline)  <->  acquire load of ctr in blocks()
     *   grace period's volatile store waiting=true, then acquire load of ctr  <->  reader's release store of ctr,
     *                                            then opaque load of waiting (no fence: a missed wake-up costs at
     *                                            most GracePeriodWait.MAX_PARK_NANOS, never a hang)
     *
     * Records are allocated by their own thread (registration happens on the reader thread), so their neighbours in
     * memory are that thread's own objects; they are not padded.
     */

    static final int PRUNE_PERIOD = 64;

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(CounterReader[].class);

    private final Object registryLock = new Object();
    /** Slots; null = free. Replaced by a larger copy under registryLock. */
    private volatile CounterReader[] slots = new CounterReader[16];
    private int used;                     // slots ever handed out in the current array; under registryLock
    private int[] freeSlots = new int[16];
    private int freeCount;                // under registryLock

    final ThreadLocal<R> readers = new ThreadLocal<>();

    CounterRcu(RcuBuilder<?> builder, String flavor, boolean processDefault) {
        super(builder, flavor, processDefault);
    }

    @Override
    final R currentReaderOrNull() {
        return readers.get();
    }

    public final boolean inReadSection() {
        R r = readers.get();
        return r != null && r.depth() > 0;
    }

    // ------------------------------------------------------------------ registry

    final void addToRegistry(CounterReader r) {
        synchronized (registryLock) {
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
    }

    final void removeFromRegistry(CounterReader r) {
        synchronized (registryLock) {
            if (r.slot < 0) {
                return;
            }
            CounterReader[] a = slots;
            if (SLOTS.getAcquire(a, r.slot) == r) {
                SLOTS.setRelease(a, r.slot, null); // release; pairs with the acquire load in awaitReaders
                if (freeCount == freeSlots.length) {
                    freeSlots = Arrays.copyOf(freeSlots, freeSlots.length * 2);
                }
                freeSlots[freeCount++] = r.slot;
            }
            r.slot = -1;
        }
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
        long ctr = r.laCtr();
        if (ctr != 0) {
            LOG.log(System.Logger.Level.WARNING, "jrcu: reader thread '" + r.owner.getName() + "' of " + name
                    + " terminated " + r.protectedStateDescription() + "; released so that grace periods go on");
            r.soCtr(0L);
            r.resetDepthOfDeadOwner();
        }
        r.retire();
        removeFromRegistry(r);
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
        private static final VarHandle CTR;
        private static final VarHandle WAITING;

        static {
            try {
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                CTR = lookup.findVarHandle(CounterReader.class, "ctr", long.class);
                WAITING = lookup.findVarHandle(CounterReader.class, "waiting", boolean.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** 0 = not protected, else 1 + the grace period number read when the reader last became protected. */
        @SuppressWarnings("unused") // through CTR
        private volatile long ctr;
        /** Set by a grace period about to park on this reader; the reader then wakes it. */
        @SuppressWarnings("unused") // through WAITING
        private volatile boolean waiting;
        /** Registry slot; -1 when not registered. Under the registry lock. */
        int slot = -1;

        CounterReader(AbstractRcu<?> domain, Thread owner) {
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

        PaddedCounterReader(AbstractRcu<?> domain, Thread owner) {
            super(domain, owner);
        }
    }
}
