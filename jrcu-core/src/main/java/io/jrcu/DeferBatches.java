package io.jrcu;

import io.jrcu.internal.BackoffIdle;
import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The batches behind {@link Rcu#defer(Runnable)} (liburcu {@code defer_rcu}, the 2009 liburcu-reclaim design):
 * callbacks are appended to a batch without any wait; a full batch costs its appender one grace period, after which
 * it runs the batch itself; batches left idle are handed to the default worker by the domain's thread about every
 * 100 ms; barrier and close flush them. A platform thread appends to a batch of its own without allocating; virtual
 * threads share a bounded set of batches.
 */
final class DeferBatches {
    /*
     * Overview.
     *
     * A batch is a Slot: a claim word, an array of the callbacks themselves (no wrapper per callback), its size and
     * a "touched" flag. Two kinds:
     *   - a platform thread's own slot (liburcu's per-thread array): made on the thread's first defer, found through
     *     a ThreadLocal, and listed in `threadSlots` so that barrier, close and the idle drain reach it. Only its
     *     thread appends; a full one is swapped for the thread's spare array, and the full array, once its callbacks
     *     ran, becomes the spare: no allocation in the steady state. Its full batch holds only its own callbacks.
     *   - shared slots for virtual threads (a million virtual threads must not cost a million arrays): a bounded
     *     array of slots, about two per CPU. A thread starts at the slot its id hashes to and claims it with a CAS on
     *     `owner`; a claimed slot is skipped for the next one. A full shared batch is detached with a new array.
     * A thread that cannot claim a slot (its own is being flushed; every shared one is claimed) moves on (own ->
     * shared -> call()'s queues), so defer never waits for another thread.
     *
     *   add(cb):     claim slot; items[size++] = cb; touched = true; if full: take the items; release slot
     *                full batch: caller may block -> synchronize(), run the batch here
     *                            caller may not (inside a section, or on a domain thread) -> hand it to a worker
     *                            as one callback (counted as an overshoot; the array goes with it)
     *   drainIdle(): every ~100 ms: a slot with items and not touched since the last pass is detached and handed to
     *                the default worker as one callback; touched flags are cleared. A thread slot whose thread has
     *                ended is drained and dropped from `threadSlots` (a dead thread's batch is never lost).
     *   flushAll():  barrier, close: every slot, shared and thread, is claimed (an appender holds a claim for a few
     *                instructions) and its items are handed to a worker.
     *   A detached batch is routed to its worker, and a full batch its filler will run is counted
     *   (callerBatchStarted), before the slot is released, so a barrier that claims the slot after that finds the
     *   batch queued ahead of its marker or waits for the filler. A full batch whose filler must not wait is such a
     *   detached batch: routed while the slot is claimed, never counted (a count would end at the routing, which a
     *   barrier's marker queued meanwhile could precede).
     *   While a thread runs its own full batch it counts as a thread that runs callbacks (barrier() and close() from
     *   them throw, a full batch they fill is handed on): its slot's `running` flag says so (Callbacks asks
     *   runsOwnBatch, which reads the thread-local slot only while `ownBatchesRunning` counts such a thread, so
     *   other threads get no thread-local entry), where a shared batch's filler joins CallbackThreads' set of such
     *   threads (which allocates).
     *
     * Pairing: `owner` CAS (volatile) acquires the slot; its release store hands the slot's plain fields (items,
     * size, touched) to the next claimer. `spare` and `running` are read and written by the owning thread alone.
     * `threadSlots` is a concurrent set: a slot is added before its thread's first append, so a flush that starts
     * after a defer returned finds it.
     */

    static final int CAPACITY = 256;
    static final long IDLE_NANOS = 100_000_000L;

    private final Callbacks callbacks;
    private final Slot[] slots;
    private final int mask;
    /** Each platform thread's own slot (virtual threads have none). */
    private final ThreadLocal<Slot> ownSlot = new ThreadLocal<>() {
        @Override
        protected Slot initialValue() {
            ownSlotEntries.incrementAndGet();   // a get() in a thread without an entry makes one (null)
            return null;
        }
    };
    /** Thread-local entries of ownSlot made so far (tests: threads that never deferred get none). */
    private final AtomicInteger ownSlotEntries = new AtomicInteger();
    /** Threads running the full batch of their own slot now; runsOwnBatch looks at ownSlot only while one does. */
    private final AtomicInteger ownBatchesRunning = new AtomicInteger();
    /** Every thread slot whose thread has not been seen dead by drainIdle. */
    private final Set<Slot> threadSlots = ConcurrentHashMap.newKeySet();
    /** Set on the first defer(); the domain thread only polls for idle batches after that. */
    private volatile boolean used;
    /**
     * Test-only: runs in a thread whose defer() filled a batch, right after it released the slot (before it runs the
     * batch); null (nothing runs) unless a test sets it.
     */
    volatile Runnable afterFullBatchReleasedForTests;

    DeferBatches(Callbacks callbacks) {
        this.callbacks = callbacks;
        int n = Integer.highestOneBit(Math.max(2, Runtime.getRuntime().availableProcessors() * 2) - 1) << 1;
        n = Math.min(n, 256);
        this.slots = new Slot[n];
        for (int i = 0; i < n; i++) {
            slots[i] = new Slot(null);
        }
        this.mask = n - 1;
    }

    /** One batch; padded so that slots claimed by different threads do not share lines. */
    static final class Slot {
        long p00, p01, p02, p03, p04, p05, p06, p07;
        private static final VarHandle OWNER = VarHandles.field(MethodHandles.lookup(), "owner", int.class);
        /** Awaiting a claimed slot: spin (an appender holds it for a few instructions). */
        private static final BackoffIdle CLAIM_WAIT = new BackoffIdle(BackoffIdle.UNBOUNDED, 0, 1, 1);
        @SuppressWarnings("unused") // through OWNER
        private volatile int owner;
        Runnable[] items = new Runnable[CAPACITY];
        int size;
        boolean touched;
        /** The thread whose own slot this is; null for a shared slot. */
        final Thread thread;
        /** A thread slot's empty array for its next batch; the owning thread's alone (null while it is in use). */
        Runnable[] spare;
        /** A thread slot's thread is running its full batch (it counts as a domain thread); that thread's alone. */
        boolean running;
        long p10, p11, p12, p13, p14, p15, p16, p17;

        Slot(Thread thread) {
            this.thread = thread;
        }

        boolean tryClaim() {
            return lvOwner() == 0 && casOwner(0, 1);  // volatile CAS: acquires the slot's fields
        }

        /** Claims the slot, waiting while another thread holds it (for a few instructions). */
        void claim() {
            for (int step = 0; !tryClaim(); ) {
                step = CLAIM_WAIT.idle(this, step);
            }
        }

        void release() {
            srOwner(0);  // release: hands items/size/touched to the next claimer; partner: tryClaim's CAS
        }

        private int lvOwner() {
            return (int) OWNER.getVolatile(this);
        }

        private boolean casOwner(int expected, int value) {
            return OWNER.compareAndSet(this, expected, value);
        }

        private void srOwner(int value) {
            OWNER.setRelease(this, value);
        }

        /** Detaches the items as one callback (a new array takes their place); call while claimed. */
        Batch detach() {
            Batch b = new Batch(items, size);
            items = new Runnable[CAPACITY];
            size = 0;
            return b;
        }

        /** Appends; returns the full array (taken out of the slot) when this filled it, else null. Claimed. */
        Runnable[] append(Runnable cb) {
            items[size++] = cb;
            touched = true;
            if (size < CAPACITY) {
                return null;
            }
            Runnable[] full = items;
            Runnable[] next = spare;
            spare = null;
            items = next != null ? next : new Runnable[CAPACITY];
            size = 0;
            return full;
        }
    }

    /** Sets the "used" flag; returns true the first time (the caller then wakes the domain thread). */
    boolean markUsed() {
        if (used) {
            return false;
        }
        used = true;  // volatile; read by the domain thread before it chooses a timed park
        return true;
    }

    void add(Runnable cb) {
        Thread me = Thread.currentThread();
        if (!me.isVirtual()) {
            Slot own = ownSlot.get();
            if (own == null) {
                own = new Slot(me);
                threadSlots.add(own);   // before the first append: a flush that starts after it returns sees it
                ownSlot.set(own);
            }
            if (own.tryClaim()) {   // fails only while a barrier, close or the idle drain flushes it
                appendClaimed(own, cb);
                return;
            }
        }
        int start = (int) (me.threadId() * 0x9E3779B97F4A7C15L >>> 40);
        for (int i = 0; i <= mask; i++) {
            Slot s = slots[(start + i) & mask];
            if (s.tryClaim()) {
                appendClaimed(s, cb);
                return;
            }
        }
        callbacks.route(new Callbacks.RunnableCallback(cb));  // every slot busy: queue it like call()
    }

    /**
     * Appends to a slot the caller has claimed, releases it, and runs the batch if the callback filled it. A full
     * batch the caller must not wait for is routed to a worker before the slot is released (as drainIdle and flush
     * do), so that a barrier that claims the slot after that finds it queued ahead of its marker.
     */
    private void appendClaimed(Slot s, Runnable cb) {
        Runnable[] full;
        boolean runsHere = false;
        try {
            full = s.append(cb);
            if (full != null) {
                if (callerMustNotWait(Thread.currentThread())) {
                    callbacks.budget.countOvershoot();   // must not block here: a worker runs it after its grace period
                    callbacks.route(new Batch(full, CAPACITY));   // never blocks
                } else {
                    runsHere = true;
                    callbacks.threads.callerBatchStarted();  // before the slot is released: barrier's flush sees it
                }
            }
        } finally {
            s.release();
        }
        if (full != null) {
            Runnable hook = afterFullBatchReleasedForTests;   // volatile; null in production
            if (hook != null) {
                hook.run();
            }
        }
        if (runsHere) {
            runFull(full, s.thread != null ? s : null);
        }
    }

    /**
     * Runs, after a grace period, a full batch its caller took out of a slot (counted by callerBatchStarted). The
     * array of the caller's own slot becomes that slot's spare once its callbacks ran.
     */
    private void runFull(Runnable[] batch, Slot own) {
        Thread me = Thread.currentThread();
        try {
            callbacks.domain.awaitGracePeriodInternal();
            // its callbacks run here: barrier()/close() from them must throw. A thread slot marks its own thread
            // (a plain field: no allocation); a shared slot's filler joins the set of threads that run callbacks
            if (own != null) {
                ownBatchesRunning.incrementAndGet();   // volatile; this thread's own runsOwnBatch reads it after
                own.running = true;
            } else {
                callbacks.threads.enterCallbackContext(me);
            }
            int failed;
            try {
                failed = runAll(callbacks.budget, batch, CAPACITY);
            } finally {
                if (own != null) {
                    own.running = false;
                    ownBatchesRunning.decrementAndGet();
                } else {
                    callbacks.threads.exitCallbackContext(me);
                }
            }
            callbacks.budget.afterBatch(CAPACITY, failed);
            if (own != null) {
                own.spare = batch;   // the owning thread's field; emptied by runAll
            }
        } finally {
            callbacks.threads.callerBatchEnded();
        }
    }

    /**
     * Whether the calling thread must not wait for a grace period: it holds a section of the domain (a read section,
     * or for bulletProof a token it opened), or it is a domain thread.
     */
    private boolean callerMustNotWait(Thread me) {
        return callbacks.isDomainThread(me) || callbacks.domain.callerHoldsSection();  // the cheap check first
    }

    boolean hasWork() {
        return used;
    }

    /** Whether {@code t} is the calling thread and is running the full batch of its own slot. */
    boolean runsOwnBatch(Thread t) {
        // the count first (volatile): a thread running its own batch incremented it itself, and while no thread does,
        // no ThreadLocal entry is made here in threads that never deferred
        if (ownBatchesRunning.get() == 0 || t != Thread.currentThread() || t.isVirtual()) {
            return false;
        }
        Slot own = ownSlot.get();
        return own != null && own.running;
    }

    /** Items in batches now (racy; for statistics). */
    long size() {
        long n = 0;
        for (Slot s : slots) {
            n += s.size;
        }
        for (Slot s : threadSlots) {
            n += s.size;
        }
        return n;
    }

    /** ThreadLocal entries of the threads' own slots made so far, one per thread that looked (tests). */
    int ownSlotEntries() {
        return ownSlotEntries.get();
    }

    /** Thread slots listed now (tests: virtual threads have none, dead threads' are dropped). */
    int threadSlotCount() {
        return threadSlots.size();
    }

    void drainIdle() {
        for (Slot s : slots) {
            drainIdle(s);
        }
        for (Slot s : threadSlots) {
            if (s.thread.isAlive()) {
                drainIdle(s);
            } else if (s.tryClaim()) {   // its thread cannot append any more; a concurrent flush may hold it
                try {
                    handOnClaimed(s);
                    threadSlots.remove(s);
                } finally {
                    s.release();
                }
            }
        }
    }

    private void drainIdle(Slot s) {
        if (s.tryClaim()) {
            try {
                if (!s.touched) {
                    handOnClaimed(s);
                }
                s.touched = false;
            } finally {
                s.release();
            }
        }
    }

    /** Hands every non-empty batch to a worker (barrier, close). Waits for slots claimed by appenders. */
    void flushAll() {
        if (!used) {
            return;
        }
        for (Slot s : slots) {
            flush(s);
        }
        for (Slot s : threadSlots) {
            flush(s);
        }
    }

    private void flush(Slot s) {
        s.claim();   // an appender holds it for a few instructions
        try {
            handOnClaimed(s);
        } finally {
            s.release();
        }
    }

    /**
     * Hands the batch of a slot the caller has claimed to a worker, if it holds any. Before the release: route never
     * blocks, and a barrier's flush, which waits for the claim, then finds the batch already queued.
     */
    private void handOnClaimed(Slot s) {
        if (s.size > 0) {
            callbacks.route(s.detach());
        }
    }

    /** Runs the first {@code size} callbacks of {@code items}, each outside any lock, emptying the array. */
    static int runAll(CallbackBudget budget, Runnable[] items, int size) {
        int failed = 0;
        for (int i = 0; i < size; i++) {
            Runnable cb = items[i];
            items[i] = null;
            failed += budget.run(cb);
        }
        return failed;
    }

    /** A detached batch as one callback standing for {@code size} user callbacks. */
    static final class Batch extends RcuCallback {
        final Runnable[] items;
        final int size;

        Batch(Runnable[] items, int size) {
            this.items = items;
            this.size = size;
        }

        @Override
        protected void invoke() {
            throw new AssertionError("batches run through runAll");
        }

        /** Runs every item, each outside any lock; returns how many threw. */
        int runAll(CallbackBudget budget) {
            return DeferBatches.runAll(budget, items, size);
        }

        @Override
        int weight() {
            return size;
        }
    }
}
