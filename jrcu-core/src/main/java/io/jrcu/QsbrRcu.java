package io.jrcu;

import java.lang.invoke.VarHandle;

/**
 * Quiescent-state-based RCU (liburcu qsbr, DPDK {@code rte_rcu_qsbr}): readers pay nothing per section. A
 * registered, <i>online</i> thread is protected from its last quiescent state on, with or without
 * {@link #read()} sections; it reports quiescent states with {@link #quiescent()} (or goes {@link #offline()})
 * at points where it holds no protected reference. A grace period ends when every online reader has reported a
 * quiescent state since it began, or gone offline.
 *
 * <pre>{@code
 * QsbrRcu rcu = Rcu.qsbr();
 * rcu.registerThread();                    // a reader thread, online from here
 * while (running) {
 *     process(current.get());              // nothing to enter or leave on the read path
 *     rcu.quiescent();                     // between items: nothing read before is still in use
 * }
 * rcu.unregisterThread();
 * }</pre>
 *
 * <p><b>Contract.</b> Threads register explicitly ({@link #registerThread()} registers and brings the thread
 * online); nothing registers implicitly. A thread must go offline before it blocks for long. Every call that may
 * wait — {@link #synchronize()}, {@link #await(long)}, {@link #check(long, boolean) check(t, true)} and their timed
 * forms — is a quiescent state of the calling thread, which must hold no protected reference across it. An online
 * thread that terminates is reported and treated as offline.
 *
 * <p>{@link #read()} sections count nesting (for {@link #inReadSection()} and the misuse checks) and require the
 * thread to be online; {@link #quiescent()} and {@link #offline()} inside a section throw.
 */
public final class QsbrRcu extends CounterRcu<QsbrRcu.QsbrReader> implements Rcu {
    /*
     * Read side (see CounterRcu for the grace period and the full pairing table). ctr is 0 offline, else
     * 1 + the grace period number read at the last quiescent state.
     *   quiescent: s = started (acquire); if ctr != s+1: ctr = s+1 (release)      [DPDK: store only on change]
     *              acquire pairs with the volatile store of started: the reader then sees every unlink made before
     *              grace period s; release pairs with the scan's acquire load: its earlier accesses happen-before.
     *   online:    ctr = started+1 (opaque) + fullFence: store->load, the same store-buffering partner as memb's
     *              entry (the scan may have seen the thread offline).
     *   offline:   ctr = 0 (release), then wake a waiting grace period (opaque load, no fence; bounded park).
     *   poll / check(t, false): one look at every ctr (acquire; partner: the release stores above, and online's
     *              store + fence after the look's own fence): t has passed when every record has ctr == 0 or
     *              ctr > t. A reader that comes online after start() stores ctr = started + 1 > t: it began after t.
     * Sections cost a depth increment and two compares on the thread's own record.
     */

    QsbrRcu(Builder builder) {
        super(builder, "qsbr", false);
    }

    /**
     * A builder for a QSBR domain.
     *
     * @return a new builder with default settings
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder for {@link QsbrRcu}; see {@link RcuBuilder} for the shared settings. */
    public static final class Builder extends RcuBuilder<Builder> {
        Builder() {
        }

        /**
         * A new QSBR domain with these settings. The builder may be used again.
         *
         * @return a new open domain, owned by the caller, who closes it
         */
        public QsbrRcu build() {
            return new QsbrRcu(this);
        }
    }

    /** A QSBR reader handle: adds quiescent-state reporting to {@link RcuReader}. */
    public interface Reader extends RcuReader {
        /**
         * {@code rcu_quiescent_state} / {@code rte_rcu_qsbr_quiescent}: this thread holds no protected reference
         * now. Wait-free; writes to the record only when a grace period began since the last report.
         *
         * @throws IllegalStateException if offline, unregistered, or inside a read section
         */
        void quiescent();

        /**
         * {@code rcu_thread_online}: protected again from now on. No-op when already online.
         *
         * @throws IllegalStateException if unregistered or the domain is closed
         */
        void online();

        /**
         * {@code rcu_thread_offline}: an extended quiescent state (do it before blocking). No-op when offline.
         *
         * @throws IllegalStateException inside a read section
         */
        void offline();

        /**
         * Whether this thread is online ({@code rcu_read_ongoing} of liburcu-qsbr).
         *
         * @return {@code true} if this reader's thread is registered and online
         */
        boolean isOnline();
    }

    /**
     * The calling thread's handle.
     *
     * @throws IllegalStateException if the thread is not registered (QSBR never registers implicitly)
     */
    @Override
    public Reader reader() {
        return registered("reader()");
    }

    private QsbrReader registered(String operation) {
        QsbrReader r = readers.get();
        if (r == null) {
            throw new IllegalStateException(operation + " on thread '" + Thread.currentThread().getName()
                    + "', which is not registered with " + name + " (call registerThread() first)");
        }
        return r;
    }

    @Override
    public ReadSection read() {
        return registered("read()").read();
    }

    @Override
    public void readLock() {
        registered("readLock()").readLock();
    }

    @Override
    public void readUnlock() {
        registered("readUnlock()").readUnlock();
    }

    /** DPDK's name for {@link #readLock()} ({@code rte_rcu_qsbr_lock}). */
    public void lock() {
        readLock();
    }

    /** DPDK's name for {@link #readUnlock()} ({@code rte_rcu_qsbr_unlock}). */
    public void unlock() {
        readUnlock();
    }

    /** The calling thread's {@link Reader#quiescent()}. */
    public void quiescent() {
        registered("quiescent()").quiescent();
    }

    /** The calling thread's {@link Reader#online()}. */
    public void online() {
        registered("online()").online();
    }

    /** The calling thread's {@link Reader#offline()}. */
    public void offline() {
        registered("offline()").offline();
    }

    /**
     * Whether the calling thread is registered and online ({@code rcu_read_ongoing}).
     *
     * @return {@code true} if the calling thread is registered with this domain and online; never throws
     */
    public boolean isOnline() {
        QsbrReader r = readers.get();
        return r != null && r.isOnline();
    }

    /**
     * Registers the calling thread and brings it online. A registered thread stays as it is (offline stays
     * offline).
     *
     * @throws IllegalStateException if the domain is closed
     */
    @Override
    public void registerThread() {
        if (readers.get() != null) {
            return;
        }
        checkOpen("registerThread()");
        QsbrReader r = new QsbrReader(this, Thread.currentThread());
        addToRegistry(r);
        readers.set(r);
        r.online();
    }

    @Override
    public void unregisterThread() {
        QsbrReader r = readers.get();
        if (r == null) {
            return;
        }
        if (r.depth() > 0) {
            throw new IllegalStateException("unregisterThread() inside a read section of " + name + " (thread '"
                    + r.owner.getName() + "', nesting depth " + r.depth() + ")");
        }
        r.offline();
        r.retire();
        removeFromRegistry(r);
        readers.remove();
    }

    /**
     * {@code rte_rcu_qsbr_start}: a token for {@link #check}. As in DPDK, it starts a grace period at once, so any
     * quiescent state (or going offline) reported after this call covers it, even while an earlier grace period is
     * still running. The caller's writes before {@code start()} happen-before the end of the token's grace period.
     * Never blocks; the domain's thread drives the grace period too, so {@code check(t, false)} eventually succeeds.
     *
     * @return a token for {@link #check} (a cookie of this domain, so also for {@link #poll(long)} and
     *         {@link #await(long)})
     * @throws IllegalStateException if the domain is closed
     */
    public long start() {
        long t = token();
        request(t);
        return t;
    }

    /**
     * DeferQueue entries carry tokens: a report after the enqueue covers the entry, as in DPDK's defer queue. The
     * token is its own lazy request ({@link #startedIsLazyRequest()}): one atomic increment per enqueue, no more.
     */
    @Override
    long deferCookie() {
        long t = token();
        tokenTakenLazily();
        return t;
    }

    @Override
    boolean startedIsLazyRequest() {
        return true;
    }

    /**
     * {@code rte_rcu_qsbr_check}: {@code check(t, false)} is {@link #poll(long) poll(t)}; {@code check(t, true)} is
     * {@link #await(long) await(t)} (a quiescent state of the caller) and returns {@code true}.
     *
     * <p>As in DPDK, {@code check(t, false)} looks at the readers itself: it is {@code true} as soon as every online
     * reader has reported a quiescent state after {@code start()} returned {@code t} (or has gone offline since, or
     * came online only after it), without waiting for the domain's thread. It never blocks and scans the readers at
     * most once; a {@code true} it finds is kept (it completes the grace period, or is recorded while another thread
     * runs one), so later checks of that token or older ones cost a load or two. Memory consistency effects: a
     * reader's actions before the quiescent state (or {@code offline()}) that the check saw happen-before the check
     * returns {@code true}.
     *
     * @param token a token from {@link #start()}, or any cookie of this domain
     * @param wait  {@code true} to block until the token's grace period has ended, with the blocking rules of
     *              {@link #await(long)}; {@code false} to answer at once
     * @return {@code true} if the token's grace period has ended (always, when {@code wait} is {@code true})
     * @throws IllegalArgumentException if this domain never issued {@code token}
     * @throws IllegalStateException    with {@code wait}, inside a read section of this domain when the token's grace
     *                                  period has not ended
     */
    public boolean check(long token, boolean wait) {
        if (!wait) {
            return poll(token);
        }
        await(token);
        return true;
    }

    /**
     * A report is a release store of a counter that names the grace periods it covers, so one look at the counters
     * answers poll() (DPDK's {@code rte_rcu_qsbr_check}).
     */
    @Override
    boolean pollLooksAtReaders() {
        return true;
    }

    @Override
    boolean beforeBlocking() {
        QsbrReader r = readers.get();
        if (r != null && r.isOnline()) {
            r.offline();
            return true;
        }
        return false;
    }

    @Override
    void afterBlocking(boolean wasOnline) {
        if (wasOnline) {
            readers.get().comeBackOnline();
        }
    }

    /** A QSBR reader record. */
    static final class QsbrReader extends CounterRcu.PaddedCounterReader implements Reader {
        private final GracePeriodState state;
        /** Whether the open section (or online state) was counted in DebugProtection; owner only. */
        private boolean protectionCounted;

        QsbrReader(QsbrRcu domain, Thread owner) {
            super(domain, owner);
            this.state = domain.state;
        }

        @Override
        void enterOutermost() {
            if (lpCtr() == 0) {
                throw new IllegalStateException("read section on thread '" + owner.getName()
                        + "', which is offline in " + domain.name + " (call online() first)");
            }
            if (state.loClosing()) {
                throw domain.closedException("read()");
            }
        }

        @Override
        void exitOutermost() {
        }

        @Override
        public void quiescent() {
            checkOwner("quiescent()");
            if (depth() > 0) {
                throw new IllegalStateException("quiescent() inside a read section of " + domain.name
                        + " (thread '" + owner.getName() + "', nesting depth " + depth() + ")");
            }
            long current = lpCtr();
            if (current == 0) {
                throw new IllegalStateException("quiescent() on thread '" + owner.getName()
                        + "', which is offline in " + domain.name);
            }
            long next = state.laStarted() + 1;  // acquire; partner: the volatile store of started
            if (current != next) {
                srCtr(next);                    // release; partner: the acquire load of ctr in the scan
                if (loWaiting()) {              // opaque; no fence (bounded park)
                    domain.wakeGracePeriodWaiter();
                }
            }
        }

        @Override
        public void online() {
            checkOwner("online()");
            if (lpCtr() != 0) {
                return;
            }
            if (state.lvClosing()) {
                throw domain.closedException("online()");
            }
            comeBackOnline();
        }

        void comeBackOnline() {
            soCtr(state.laStarted() + 1);
            VarHandle.fullFence(); // store->load; partner: volatile store of started + acquire scan of ctr
            if (DebugProtection.enabled()) {  // any domain's section counts once some domain checks
                DebugProtection.enter();
                protectionCounted = true;
            }
        }

        @Override
        public void offline() {
            checkOwner("offline()");
            if (depth() > 0) {
                throw new IllegalStateException("offline() inside a read section of " + domain.name
                        + " (thread '" + owner.getName() + "', nesting depth " + depth() + ")");
            }
            if (lpCtr() == 0) {
                return;
            }
            if (DebugProtection.enabled() && protectionCounted) {  // exactly the entries that counted
                DebugProtection.exit();
                protectionCounted = false;
            }
            srCtr(0L);          // release; partner: the acquire load of ctr in the scan
            if (loWaiting()) {  // opaque; no fence (bounded park)
                domain.wakeGracePeriodWaiter();
            }
        }

        @Override
        public boolean isOnline() {
            return lpCtr() != 0;
        }

        /** As every reader's, and whether the owner is online (a plain read: a snapshot off the owner). */
        @Override
        public String toString() {
            String s = super.toString();
            return retired() ? s : s.substring(0, s.length() - 1) + (isOnline() ? ", online]" : ", offline]");
        }

        @Override
        String protectedStateDescription() {
            return "while online (no quiescent state reported)";
        }
    }
}
