package io.jrcu.tools.torture;

import io.jrcu.Rcu;

/**
 * A torture writer for the asynchronous modes ({@code call}, {@code retire}, {@code defer}): replaces the published
 * object and hands the old one to the library without waiting (rcutorture's {@code rcu_torture_writer} with
 * {@code gp_cond=0 gp_exp=0}, i.e. {@code call_rcu}); a callback ages, poisons and frees it after a grace period.
 * Every so many replacements, and at the end, it calls {@code barrier()} and checks that each callback it issued
 * before ran exactly once.
 */
final class CallbackWriter implements Runnable {
    /*
     * Loop:
     *   fresh = free pool.take() or a new object; fresh.age = 0      opaque; published by the getAndSet below
     *   old = current.getAndSet(fresh)                                volatile; pairs with the readers' acquire get()
     *   old.age = 1                                                   removal (rcutorture's pipe count)
     *   cookie = rcu.snapshot()                                       the grace period the callback must wait for
     *   old.callback = (ledger, next id, cookie)                      plain; published by the library (call/retire/
     *                                                                 defer happen-before the callback)
     *   mode.hand(rcu, old)                                           call(old) / retire(old, reclaimer) / defer(old)
     *   every `barrierEvery` ids: ledger.checkpoint()                 barrier(), then every id issued has run once
     * at the end: ledger.checkpoint()
     *
     * Unlike TortureWriter this writer never owns a removed object after handing it over: the callback owns it, and
     * gives it back to the free pool (a concurrent queue, which orders the callback's poison before the next owner's
     * reset). Objects in flight are bounded by the checkpoints (at most barrierEvery per writer, plus the batches the
     * library holds), so the pool grows to that size at most; it starts small and grows on demand.
     */

    private static final int UPDATES = 0, BARRIERS = 1, COUNTERS = 2;

    private final Torture torture;
    private final Rcu rcu;
    private final ReclaimMode mode;
    private final CallbackLedger ledger;
    private final OwnerCounters counts = new OwnerCounters(COUNTERS);

    CallbackWriter(Torture torture, Rcu rcu, ReclaimMode mode, CallbackLedger ledger) {
        if (!mode.callbacks()) {
            throw new IllegalArgumentException(mode + " is not a callback mode");
        }
        this.torture = torture;
        this.rcu = rcu;
        this.mode = mode;
        this.ledger = ledger;
    }

    @Override
    public void run() {
        while (!torture.stopping()) {
            TortureObject fresh = torture.takeFreeOrNew();
            fresh.soAge(0);                                       // opaque; published by the getAndSet below
            TortureObject old = torture.current.getAndSet(fresh); // volatile; pairs with the readers' acquire get()
            old.soAge(1);                                          // opaque; see TortureObject
            old.prepareCallback(ledger, ledger.issue(), rcu.snapshot());
            mode.hand(rcu, old);
            counts.increment(UPDATES);
            if (ledger.windowFull()) {
                checkpoint();
            }
        }
        checkpoint();  // the last: every callback this writer issued has run exactly once
    }

    private void checkpoint() {
        ledger.checkpoint();
        counts.increment(BARRIERS);
    }

    /** Objects replaced and handed to the library so far. */
    long updates() {
        return counts.get(UPDATES);
    }

    /** Barrier checkpoints so far. */
    long barriers() {
        return counts.get(BARRIERS);
    }

    /** The ledger's tally; exact once this writer was joined and the domain closed. */
    CallbackTally tally() {
        return ledger.tally();
    }
}
