package io.jrcu;

import io.jrcu.internal.Membarrier;

import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * The default flavor: registered readers whose outermost section entry is a store to their own record and a
 * store->load fence. Where Linux's {@code membarrier} can be used (native access enabled for this module:
 * {@code --enable-native-access=io.jrcu}, or {@code ALL-UNNAMED} on the class path), the fence is asymmetric as in
 * liburcu's memb flavor: readers only keep the compiler from reordering, and each grace period makes every CPU
 * running the process's threads execute the barrier for them (an IPI, about a microsecond). Otherwise each entry
 * issues a full fence (liburcu's mb flavor, specified by the Java memory model alone). A domain can also be built for
 * either side explicitly: {@link Builder#readerFences(ReaderFences)}. Threads register on first use;
 * {@link #registerThread()} does it ahead. Sections may block or park: the grace period waits for them.
 *
 * <pre>{@code
 * MembRcu rcu = MembRcu.builder().name("config").build();
 * try (ReadSection s = rcu.read()) {       // registers the thread on first use
 *     use(current.get());
 * }
 * Config old = current.getAndSet(next);
 * rcu.synchronize();                       // outside any section: every section begun before has ended
 * old.close();
 * }</pre>
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
     *           (a domain built with ReaderFences.ASYMMETRIC: acquireFence instead, a compiler barrier only — C2
     *           orders no memory access across any fence node, and x86 emits no instruction for it. The hardware
     *           half of the store->load order is the grace period's membarrier, issued after it publishes started
     *           and before it scans: every CPU running a reader executes a full barrier in between, so a reader
     *           whose loads ran before that barrier has its ctr store visible to the scan, and one whose loads ran
     *           after it sees the writer's unlinks and the new started. This is liburcu memb's argument; it rests
     *           on the kernel's guarantee and HotSpot's compilation of fences, not on the Java memory model, so
     *           JCStress (with C2's scheduling randomizers) checks it in both modes. The record keeps the domain's
     *           choice in a final field beside state, which entry reads anyway: one predictable branch.)
     *           if closing: undo, throw   (after the fence: a reader the final grace period missed sees closing)
     *   exit:   ctr = 0             release store; partner: the acquire load of ctr in the scan, so the section's
     *                               accesses happen-before the end of the grace period
     *           if waiting: unpark  opaque load, no fence (a missed wake-up is bounded by the writer's park timeout)
     */

    /**
     * Who pays for the store->load fence that orders a reader's section entry before its reads: the readers on every
     * outermost entry, or each grace period. Choose {@link #ASYMMETRIC} when reads dominate and grace periods are
     * rare or may take tens of microseconds (configuration, routing tables, caches replaced now and then); choose
     * {@link #FULL} when updates are frequent or their latency matters (a writer waiting in {@code synchronize()}
     * on a hot path, an arena or defer queue reclaiming continuously), and readers can afford a few nanoseconds more
     * per section. {@code bin/jrcu bench} prints the "which configuration for which workload" table measured on the
     * machine at hand; docs/bench.md explains its workloads.
     */
    public enum ReaderFences {
        /**
         * Readers pay only a compiler barrier; each grace period issues Linux's {@code membarrier}, which makes every
         * CPU running a thread of the process execute the fence (an interrupt per CPU: about a microsecond when the
         * other CPUs are idle, tens of microseconds when they run the process's threads). Needs membarrier: Linux on
         * x86-64 or aarch64, native access enabled for jrcu, and not {@code -Djrcu.membarrier=false}. liburcu's memb
         * flavor.
         */
        ASYMMETRIC,
        /**
         * Readers issue a full fence on every outermost section entry; grace periods cost what bulletProof's do
         * (no system call). Works everywhere; specified by the Java memory model alone. liburcu's mb flavor.
         */
        FULL
    }

    /** Who pays for the readers' store->load fence in this domain. */
    private final ReaderFences readerFences;

    MembRcu(Builder builder, ReaderFences readerFences, boolean processDefault) {
        super(builder, "memb", processDefault);
        this.readerFences = readerFences;
        LOG.log(System.Logger.Level.DEBUG, () -> "jrcu: memb domain " + name + ": readers use " + (asymmetric()
                ? "asymmetric fences (membarrier)" : "full fences" + (Membarrier.AVAILABLE ? ""
                : " (membarrier unavailable: " + Membarrier.UNAVAILABLE_BECAUSE + ")")));
    }

    /**
     * Who pays for the readers' store->load fence in this domain: what {@link Builder#readerFences} chose, or the
     * default (asymmetric where membarrier is available, else full).
     *
     * @return this domain's reader fences; the same for its whole life
     */
    public ReaderFences readerFences() {
        return readerFences;
    }

    private boolean asymmetric() {
        return readerFences == ReaderFences.ASYMMETRIC;
    }

    @Override
    boolean gracePeriodStartIsCheap() {
        return !asymmetric();
    }

    @Override
    void afterGracePeriodStart() {
        if (asymmetric()) {
            Membarrier.fence();   // the readers' store->load fence, executed on their CPUs (see the overview)
        }
    }

    @Override
    String settingsDescription() {
        return ", reader fences " + readerFences;
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
        /** null: the default (ASYMMETRIC where membarrier is available, else FULL). */
        private ReaderFences readerFences;
        /** Why membarrier cannot be used; null when it can. Membarrier's verdict unless a test overrides it. */
        private String membarrierUnavailableBecause = Membarrier.UNAVAILABLE_BECAUSE;

        Builder() {
        }

        /**
         * Who pays for the readers' store->load fence: the readers ({@link ReaderFences#FULL}) or each grace period
         * ({@link ReaderFences#ASYMMETRIC}); see {@link ReaderFences} for which to choose. Default:
         * {@code ASYMMETRIC} where membarrier is available, else {@code FULL}.
         *
         * @param fences the reader fences of the domains this builder builds
         * @return this builder
         * @throws NullPointerException if {@code fences} is null
         */
        public Builder readerFences(ReaderFences fences) {
            this.readerFences = Objects.requireNonNull(fences, "fences");
            return this;
        }

        /** Makes this builder see membarrier as unavailable, for {@code because} (tests of the misuse check). */
        Builder assumeMembarrierUnavailable(String because) {
            this.membarrierUnavailableBecause = Objects.requireNonNull(because, "because");
            return this;
        }

        /**
         * A new memb domain with these settings. The builder may be used again.
         *
         * @return a new open domain, owned by the caller, who closes it
         * @throws IllegalStateException if {@link ReaderFences#ASYMMETRIC} was asked for and membarrier is
         *                               unavailable; the message says why it is
         */
        public MembRcu build() {
            return new MembRcu(this, chosenReaderFences(), false);
        }

        private ReaderFences chosenReaderFences() {
            boolean available = membarrierUnavailableBecause == null;
            if (readerFences == null) {
                return available ? ReaderFences.ASYMMETRIC : ReaderFences.FULL;
            }
            if (readerFences == ReaderFences.ASYMMETRIC && !available) {
                throw new IllegalStateException("readerFences(ASYMMETRIC)" + (name.isEmpty() ? "" : " for memb domain '"
                        + name + "'") + " needs membarrier, which is unavailable: " + membarrierUnavailableBecause);
            }
            return readerFences;
        }
    }

    static final class DefaultDomainHolder {
        private static final Builder BUILDER = new Builder().name("default");
        static final MembRcu DEFAULT = new MembRcu(BUILDER, BUILDER.chosenReaderFences(), true);
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
        /** The domain's choice, kept here (a line entry already reads) so that entry loads nothing else for it. */
        private final boolean asymmetric;
        /** Whether the open section (or online state) was counted in DebugProtection; owner only. */
        private boolean protectionCounted;

        MembReader(MembRcu domain, Thread owner) {
            super(domain, owner);
            this.state = domain.state;
            this.asymmetric = domain.asymmetric();
        }

        @Override
        void enterOutermost() {
            GracePeriodState s = state;   // a local: the fence below would make the JIT load the field again
            soCtr(s.laStarted() + 1);     // opaque; only the owner writes ctr while registered
            if (asymmetric) {
                VarHandle.acquireFence(); // compiler barrier; partner: the grace period's membarrier (overview)
            } else {
                VarHandle.fullFence();    // store->load; partner: volatile store of started + acquire scan of ctr
            }
            if (s.loClosing()) {
                srCtr(0L);
                throw domain.closedException("read()");
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
