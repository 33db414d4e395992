package io.jrcu.tools.torture;

import io.jrcu.Rcu;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * One asynchronous writer's account of the callbacks it handed to the library: each has an id (the writer's
 * sequence number), and the ledger checks that each runs exactly once, not before its grace period, and — at every
 * barrier checkpoint — that every id issued before the checkpoint has run.
 */
final class CallbackLedger {
    /*
     * Ids 0, 1, 2, ... in issue order. Between two checkpoints the writer issues at most `window` ids (it calls
     * checkpoint() when the window is full), so a ring of `window` slots suffices: slot id % window holds the newest
     * id that ran in it (initially slot - window, "the id before the first", which never existed).
     *
     *   callback for id (any thread):   CAS slot from id - window to id
     *       witness == id - window      first run: the expected case
     *       witness <  id - window      an older id of this slot never ran: its checkpoint already counted it lost;
     *                                   record id anyway (CAS loop)
     *       witness == id               RUN TWICE
     *       witness >  id               a later id of this slot already ran: this one ran again after its
     *                                   checkpoint, or ran after its checkpoint declared it lost — counted as
     *                                   twice (a lost id that turns up late is also in `lost`)
     *   checkpoint (the writer):        rcu.barrier(); then every id in [checked, issued) must be in its slot;
     *                                   one that is not is LOST (issued before the barrier, not run after it)
     *
     * The barrier orders every callback run before it against the writer's scan (the worker runs the callback, then
     * the barrier's marker, which releases the writer; a CountDownLatch or a grace period in between), and the
     * AtomicLongArray makes the slots safe whatever the library does. Memory: `window` longs per writer, however
     * long the run.
     *
     * Early: the callback also checks rcu.poll(cookie) for the cookie the writer took right after the removal; a
     * callback that runs before that grace period completed is counted `premature`. (A grace period that ends
     * without waiting for its readers — the injected fault — still completes the cookie: that is what the readers'
     * age oracle is for.)
     *
     * Counters: `issued`, `checked`, `lost`, `barriers` belong to the writer (plain; read by others only after the
     * writer was joined, except `issued`, which the monitor samples opaque through OwnerCounters in the writer);
     * `ran`, `twice`, `premature` are updated by whatever thread runs the callback (LongAdder).
     */

    private final Rcu rcu;
    private final Consumer<TortureObject> free;
    private final Runnable onFirstError;
    private final long startNanos;
    private final String writer;
    private final int window;
    private final AtomicLongArray slots;

    private long issued;
    private long checked;
    private long lost;
    private long barriers;

    private final LongAdder ran = new LongAdder();
    private final LongAdder twice = new LongAdder();
    private final LongAdder premature = new LongAdder();
    private final AtomicReference<String> firstError = new AtomicReference<>();

    /**
     * @param rcu        the domain (barrier, poll)
     * @param free       where reclaimed objects go (the torture's free pool)
     * @param onFirstError called once, on this ledger's first error
     * @param startNanos the start of the run, for error timestamps
     * @param writer     the writer's name, for error messages
     * @param window     the most ids issued between two checkpoints
     */
    CallbackLedger(Rcu rcu, Consumer<TortureObject> free, Runnable onFirstError, long startNanos, String writer,
                   int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1: " + window);
        }
        this.rcu = rcu;
        this.free = free;
        this.onFirstError = onFirstError;
        this.startNanos = startNanos;
        this.writer = writer;
        this.window = window;
        this.slots = new AtomicLongArray(window);
        for (int i = 0; i < window; i++) {
            slots.set(i, (long) i - window);
        }
    }

    // ------------------------------------------------------------------ the writer

    /** The next id. Writer only; call {@link #checkpoint()} first when {@link #windowFull()}. */
    long issue() {
        if (windowFull()) {
            throw new IllegalStateException("the window of " + window + " ids is full: checkpoint first");
        }
        return issued++;
    }

    /** Whether {@code window} ids were issued since the last checkpoint. Writer only. */
    boolean windowFull() {
        return issued - checked >= window;
    }

    /**
     * {@code rcu.barrier()}, then every id issued before it must have run; the ones that have not are counted lost.
     * Writer only.
     */
    void checkpoint() {
        rcu.barrier();
        verifyIssuedHaveRun();
    }

    /** The scan after the barrier (separate for the unit test). */
    void verifyIssuedHaveRun() {
        for (long id = checked; id < issued; id++) {
            long newest = slots.get(slot(id));
            if (newest != id) {
                lost++;
                firstError("callback #" + id + " of " + writer + " was issued before barrier checkpoint "
                        + (barriers + 1) + " but had not run when the barrier returned (newest run in its slot: #"
                        + newest + ")");
            }
        }
        checked = issued;
        barriers++;
    }

    // ------------------------------------------------------------------ the callback (any thread)

    /** The body of every torture callback: checks the grace period, ages, poisons, records the run, frees. */
    void reclaim(TortureObject o, long id, long cookie) {
        if (!rcu.poll(cookie)) {
            premature.increment();
            firstError("callback #" + id + " of " + writer + " (" + o + ") ran before its grace period (cookie "
                    + cookie + ") had completed");
        }
        o.soAge(2);                       // a grace period has ended since the removal: the callback says so
        o.soAge(TortureObject.FREED);     // poison, then reuse
        record(id, o);
        free.accept(o);                   // last: from here on a writer may reuse o (and its callback fields)
    }

    /** Records one run of callback {@code id} (package-private for the unit test). */
    void record(long id, Object what) {
        ran.increment();
        int slot = slot(id);
        long expected = id - window;
        long witness = slots.compareAndExchange(slot, expected, id);
        if (witness == expected) {
            return;
        }
        while (witness < id) {  // an older id of this slot never ran; its checkpoint counted it lost
            long w = slots.compareAndExchange(slot, witness, id);
            if (w == witness) {
                return;
            }
            witness = w;
        }
        twice.increment();
        firstError("callback #" + id + " of " + writer + " (" + what + ") ran "
                + (witness == id ? "twice" : "after callback #" + witness + " of the same slot had run: a second run,"
                + " or a run after a barrier checkpoint counted it lost"));
    }

    private int slot(long id) {
        return (int) Math.floorMod(id, (long) window);
    }

    private void firstError(String description) {
        if (firstError.get() == null && firstError.compareAndSet(null, "after "
                + Duration.ofNanos(System.nanoTime() - startNanos).toMillis() + " ms, " + description)) {
            onFirstError.run();
        }
    }

    // ------------------------------------------------------------------ results (after the writer was joined)

    /** This writer's tally; exact once the writer was joined and the domain closed. */
    CallbackTally tally() {
        return new CallbackTally(issued, ran.sum(), barriers, lost, twice.sum(), premature.sum(),
                java.util.Optional.ofNullable(firstError.get()));
    }
}
