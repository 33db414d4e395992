package io.jrcu;

import io.jrcu.internal.Membarrier;

import java.lang.invoke.VarHandle;

/**
 * The default flavor: registered readers whose outermost section entry is a store to their own record and a
 * store->load fence. Where Linux's {@code membarrier} can be used (native access enabled for this module:
 * {@code --enable-native-access=io.jrcu}, or {@code ALL-UNNAMED} on the class path), the fence is asymmetric as in
 * liburcu's memb flavor: readers only keep the compiler from reordering, and each grace period makes every CPU
 * running the process's threads execute the barrier for them (an IPI, about a microsecond). Otherwise each entry
 * issues a full fence (liburcu's mb flavor, specified by the Java memory model alone). Threads register on first use;
 * {@link #registerThread()} does it ahead. Sections may block or park: the grace period waits for them.
 *
 * <p>Threads that terminate without unregistering never block a grace period, and their records are dropped as
 * other threads register (no grace period needed), so memory and each grace period's scan follow the threads alive,
 * also with a short-lived virtual thread per request; a thread that terminated inside a section is reported (logged
 * with its name) and its section released.
 *
 * <p>Grace periods: one scan of the reader records (a 64-bit sequence makes liburcu's second phase unnecessary);
 * the writer spins briefly, then parks; the outermost unlock wakes a parked writer only when the writer marked the
 * reader's record as waited for.
 */
public final class MembRcu extends CounterRcu<MembRcu.MembReader> implements Rcu {
    /*
     * Where memb's grace period is decided:
     *   GracePeriodSequence.runUntil   starts grace period g (started = g, full fence), then
     *   MembRcu.afterGracePeriodStart  the readers' half of the store->load fence (internal.Membarrier), then
     *   CounterRcu.awaitReaders        waits until every reader record has ctr == 0 or ctr > g (GracePeriodWait:
     *                                  spin, yield, park; the records: ReaderRegistry)
     * The read side below (MembReader) writes ctr; AbstractReader counts the nesting around it.
     *
     * Read side (see CounterRcu for the grace period and the full pairing table):
     *   enter:  ctr = started + 1   (opaque store: only the owner writes ctr)
     *           fullFence           store->load; partner: the grace period's volatile store of started followed by
     *                               its acquire load of ctr. Either the scan sees ctr, or this reader's later reads
     *                               see everything the writer did before starting the grace period.
     *           (ASYMMETRIC: acquireFence instead, a compiler barrier only — C2 orders no memory access across
     *           any fence node, and x86 emits no instruction for it. The hardware half of the store->load order is
     *           the grace period's membarrier, issued after it publishes started and before it scans: every CPU
     *           running a reader executes a full barrier in between, so a reader whose loads ran before that
     *           barrier has its ctr store visible to the scan, and one whose loads ran after it sees the writer's
     *           unlinks and the new started. This is liburcu memb's argument; it rests on the kernel's guarantee
     *           and HotSpot's compilation of fences, not on the Java memory model, so JCStress (with C2's
     *           scheduling randomizers) checks it for this flavor.)
     *           if closing: undo, throw   (after the fence: a reader the final grace period missed sees closing)
     *   exit:   ctr = 0             release store; partner: the acquire load of ctr in the scan, so the section's
     *                               accesses happen-before the end of the grace period
     *           if waiting: unpark  opaque load, no fence (a missed wake-up is bounded by the writer's park timeout)
     */

    /** Whether readers use asymmetric fences (membarrier); decided once, before any reader exists. */
    static final boolean ASYMMETRIC = Membarrier.AVAILABLE;

    static {
        GracePeriodEngine.LOG.log(System.Logger.Level.DEBUG, ASYMMETRIC
                ? "jrcu: memb readers use asymmetric fences (membarrier)"
                : "jrcu: memb readers use full fences: membarrier unavailable: " + Membarrier.UNAVAILABLE_BECAUSE);
    }

    MembRcu(Builder builder, boolean processDefault) {
        super(builder, "memb", processDefault);
    }

    @Override
    boolean gracePeriodStartIsCheap() {
        return !ASYMMETRIC;
    }

    @Override
    void afterGracePeriodStart() {
        if (ASYMMETRIC) {
            Membarrier.fence();   // the readers' store->load fence, executed on their CPUs (see the overview)
        }
    }

    /**
     * A builder for a memb domain.
     *
     * @return a new builder with default settings
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder for {@link MembRcu}; see {@link RcuBuilder} for the shared settings. */
    public static final class Builder extends RcuBuilder<Builder> {
        Builder() {
        }

        /**
         * A new memb domain with these settings. The builder may be used again.
         *
         * @return a new open domain, owned by the caller, who closes it
         */
        public MembRcu build() {
            return new MembRcu(this, false);
        }
    }

    static final class DefaultDomainHolder {
        static final MembRcu DEFAULT = new MembRcu(new Builder().name("default"), true);
    }

    /** The calling thread's handle; registers the thread on first use. */
    @Override
    public RcuReader reader() {
        MembReader r = readers.get();
        return r != null ? r : register();
    }

    @Override
    public ReadSection read() {
        MembReader r = readers.get();
        return (r != null ? r : register()).read();
    }

    @Override
    public void readLock() {
        MembReader r = readers.get();
        (r != null ? r : register()).readLock();
    }

    @Override
    public void readUnlock() {
        MembReader r = readers.get();
        if (r == null) {
            throw new IllegalStateException("readUnlock() without a matching readLock() on thread '"
                    + Thread.currentThread().getName() + "', which is not a reader of " + name);
        }
        r.readUnlock();
    }

    @Override
    public void registerThread() {
        if (readers.get() == null) {
            register();
        }
    }

    private MembReader register() {
        checkOpen("registering a reader");
        MembReader r = new MembReader(this, Thread.currentThread());
        addToRegistry(r);
        readers.set(r);
        return r;
    }

    @Override
    public void unregisterThread() {
        MembReader r = readers.get();
        if (r == null) {
            return;
        }
        if (r.depth() > 0) {
            throw new IllegalStateException("unregisterThread() inside a read section of " + name + " (thread '"
                    + r.owner.getName() + "', nesting depth " + r.depth() + ")");
        }
        r.retire();
        removeFromRegistry(r);
        readers.remove();
    }

    /** A memb reader record. */
    static final class MembReader extends CounterRcu.PaddedCounterReader {
        private final GracePeriodState state;
        private final boolean debug;
        /** Whether the open section (or online state) was counted in DebugProtection; owner only. */
        private boolean protectionCounted;

        MembReader(MembRcu domain, Thread owner) {
            super(domain, owner);
            this.state = domain.state;
            this.debug = domain.debugChecks;
        }

        @Override
        void enterOutermost() {
            soCtr(state.laStarted() + 1); // opaque; only the owner writes ctr while registered
            if (ASYMMETRIC) {
                VarHandle.acquireFence(); // compiler barrier; partner: the grace period's membarrier (overview)
            } else {
                VarHandle.fullFence();    // store->load; partner: volatile store of started + acquire scan of ctr
            }
            if (state.loClosing()) {
                srCtr(0L);
                throw domain.closedException("read()");
            }
            if (debug || DebugProtection.enabled) {  // any domain's section counts once some domain checks
                DebugProtection.enter();
                protectionCounted = true;
            }
        }

        @Override
        void exitOutermost() {
            if (protectionCounted) {                 // exactly the entries that counted
                DebugProtection.exit();
                protectionCounted = false;
            }
            srCtr(0L);          // release; partner: the acquire load of ctr in the grace period's scan
            if (loWaiting()) {  // opaque; partner: the volatile store of waiting (no fence; see the overview)
                domain.wakeGracePeriodWaiter();
            }
        }

        @Override
        String protectedStateDescription() {
            return "inside a read section";
        }
    }
}
