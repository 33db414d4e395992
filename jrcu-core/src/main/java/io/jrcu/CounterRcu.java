package io.jrcu;

import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * What memb and QSBR share: reader records holding one counter each, and the grace-period wait over them
 * ({@link #awaitReaders}: where memb's and QSBR's grace periods are decided). The records live in a
 * {@link ReaderRegistry}. The flavors differ only in when a reader writes its counter.
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
     * The records live in a ReaderRegistry (registration, removal, dropping the records of terminated threads; see
     * its overview for the slots array and why dropping is safe while a grace period runs). A grace period drops
     * records too: every PRUNE_PERIOD grace periods (ReaderRegistry.onGracePeriodStarted, for a registry nobody
     * registers with any more) and when it finds that it waits for a dead reader. A grace period holding a dropped
     * record (an older array, or waiting in awaitReader) reads ctr == 0 from then on and moves on, which is right:
     * the owner is gone.
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
     * so a memb or QSBR reader costs that much per live thread. A dead thread's record stays in the registry until
     * the registry drops it (the next registration or prune), and its entry in `readers` needs nothing: the JDK drops
     * a terminated thread's thread locals (virtual threads too), and the registry's drop clears the record's slot
     * (ThreadReaders.forget).
     */

    /** The reader records a grace period scans. */
    private final ReaderRegistry registry;

    /** The threads' records (a ThreadLocal behind slots by thread id). */
    final ThreadReaders<R> readers = new ThreadReaders<>();

    CounterRcu(RcuBuilder<?> builder, String flavor, boolean processDefault) {
        super(builder, flavor, processDefault);
        this.registry = new ReaderRegistry(name, readers);
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

    /** Adds the calling thread's new record, after dropping records of terminated threads (see ReaderRegistry). */
    final void addToRegistry(CounterReader r) {
        registry.add(r);
    }

    final void removeFromRegistry(CounterReader r) {
        registry.remove(r);
    }

    /** Records in the registry (tests). */
    final int registeredReaders() {
        return registry.registeredReaders();
    }

    /** Slots a grace period's scan reads: the registry array's length (tests). */
    final int registrySlots() {
        return registry.registrySlots();
    }

    // ------------------------------------------------------------------ grace period

    @Override
    final void onGracePeriodStarted(long gp) {
        afterGracePeriodStart();
        registry.onGracePeriodStarted();
    }

    /**
     * Once per grace period, after its number is published and fenced and before the first scan of the readers
     * (memb with membarrier: the readers' half of the store->load fence). Under gpLock.
     */
    void afterGracePeriodStart() {
    }

    @Override
    final boolean awaitReaders(long gp, GracePeriodWait wait) {
        CounterReader[] a = registry.lvSlots();
        for (int i = 0; i < a.length; i++) {
            CounterReader r = ReaderRegistry.laSlot(a, i); // pairs with the release in ReaderRegistry.add
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
        CounterReader[] a = registry.lvSlots();
        for (int i = 0; i < a.length; i++) {
            CounterReader r = ReaderRegistry.laSlot(a, i); // pairs with the release in ReaderRegistry.add
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
                    registry.releaseDeadReader(r);
                    return true;
                }
            }
        } finally {
            if (marked) {
                r.soWaiting(false);
            }
        }
    }

    @Override
    final void describeBlockingReaders(long gp, long waitedNanos, StringBuilder out) {
        CounterReader[] a = registry.lvSlots();
        for (int i = 0; i < a.length; i++) {
            CounterReader r = ReaderRegistry.laSlot(a, i);
            if (r != null && r.blocks(gp)) {
                appendReaderLine(out, r.owner.getName(), r.owner, r.protectedStateDescription(),
                        TimeUnit.NANOSECONDS.toMillis(waitedNanos), " (since before grace period " + gp + " started)");
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
        /** Registry slot; -1 when not registered. Under ReaderRegistry's lock. */
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
