package io.jrcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The batches behind {@link Rcu#defer(Runnable)} (liburcu {@code defer_rcu}, the 2009 liburcu-reclaim design):
 * callbacks are appended to a batch without any wait; a full batch costs its appender one grace period, after which
 * it runs the batch itself; batches left idle are handed to the default worker by the domain's thread about every
 * 100 ms; barrier and close flush them.
 */
final class DeferBatches {
    /*
     * Overview.
     *
     * Batches are not per thread (a million virtual threads must not cost a million batches): a bounded array of
     * slots, about two per CPU. A thread starts at the slot its id hashes to and claims it with a CAS on `owner`;
     * a claimed slot is skipped for the next one. A thread that finds every slot claimed queues its callback
     * through call() instead, so defer never waits for another thread.
     *
     *   add(cb):     claim slot; items[size++] = cb; touched = true; if full: detach the items; release slot
     *                full batch: caller may block -> synchronize(), run the batch here
     *                            caller may not (inside a section, or on a domain thread) -> hand it to a worker
     *                            as one callback (counted as an overshoot)
     *   drainIdle(): every ~100 ms: a claimed-free slot with items and not touched since the last pass is detached
     *                and handed to the default worker as one callback; touched flags are cleared.
     *   A detached batch is routed to its worker before the slot is released, so a barrier that claims the slot
     *   after that finds the batch queued ahead of its marker.
     *
     * Pairing: `owner` CAS (volatile) acquires the slot; its release store hands the slot's plain fields (items,
     * size, touched) to the next owner. Nothing else reads them.
     */

    static final int CAPACITY = 256;
    static final long IDLE_NANOS = 100_000_000L;

    private static final VarHandle OWNER;

    static {
        try {
            OWNER = MethodHandles.lookup().findVarHandle(Slot.class, "owner", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Callbacks callbacks;
    private final Slot[] slots;
    private final int mask;
    /** Set on the first defer(); the domain thread only polls for idle batches after that. */
    private volatile boolean used;

    DeferBatches(Callbacks callbacks) {
        this.callbacks = callbacks;
        int n = Integer.highestOneBit(Math.max(2, Runtime.getRuntime().availableProcessors() * 2) - 1) << 1;
        n = Math.min(n, 256);
        this.slots = new Slot[n];
        for (int i = 0; i < n; i++) {
            slots[i] = new Slot();
        }
        this.mask = n - 1;
    }

    /** One batch; padded so that slots claimed by different threads do not share lines. */
    static final class Slot {
        long p00, p01, p02, p03, p04, p05, p06, p07;
        @SuppressWarnings("unused") // through OWNER
        volatile int owner;
        RcuCallback[] items = new RcuCallback[CAPACITY];
        int size;
        boolean touched;
        long p10, p11, p12, p13, p14, p15, p16, p17;

        boolean tryClaim() {
            return owner == 0 && OWNER.compareAndSet(this, 0, 1);  // volatile CAS: acquires the slot's fields
        }

        void release() {
            OWNER.setRelease(this, 0);  // release: hands items/size/touched to the next claimer
        }

        /** Detaches the items as one callback; call while claimed. */
        Batch detach() {
            Batch b = new Batch(items, size);
            items = new RcuCallback[CAPACITY];
            size = 0;
            return b;
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

    void add(RcuCallback cb) {
        int start = (int) (Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L >>> 40);
        for (int i = 0; i <= mask; i++) {
            Slot s = slots[(start + i) & mask];
            if (s.tryClaim()) {
                Batch full = null;
                try {
                    s.items[s.size++] = cb;
                    s.touched = true;
                    if (s.size == CAPACITY) {
                        full = s.detach();
                        callbacks.callerBatchStarted();  // before the slot is released: barrier's flush sees it
                    }
                } finally {
                    s.release();
                }
                if (full != null) {
                    runFull(full);
                }
                return;
            }
        }
        callbacks.route(cb);  // every slot busy: queue it like call() so that defer never waits
    }

    private void runFull(Batch batch) {
        AbstractRcu<?> domain = callbacks.domain;
        Thread me = Thread.currentThread();
        try {
            if (domain.callerHoldsSection() || callbacks.isDomainThread(me)) {
                callbacks.countOvershoot();   // must not block here: a worker runs it after its grace period
                callbacks.route(batch);
                return;
            }
            domain.awaitGracePeriodInternal();
            callbacks.enterCallbackContext(me);  // its callbacks run here: barrier()/close() from them must throw
            try {
                callbacks.afterBatch(batch.size, batch.runAll(callbacks));
            } finally {
                callbacks.exitCallbackContext(me);
            }
        } finally {
            callbacks.callerBatchEnded();
        }
    }

    boolean hasWork() {
        return used;
    }

    /** Items in batches now (racy; for statistics). */
    long size() {
        long n = 0;
        for (Slot s : slots) {
            n += s.size;
        }
        return n;
    }

    void drainIdle() {
        for (Slot s : slots) {
            if (s.tryClaim()) {
                try {
                    if (s.size > 0 && !s.touched) {
                        callbacks.route(s.detach());  // before the release: a barrier's flush waits for it
                    }
                    s.touched = false;
                } finally {
                    s.release();
                }
            }
        }
    }

    /** Hands every non-empty batch to a worker (barrier, close). Waits for slots claimed by appenders. */
    void flushAll() {
        if (!used) {
            return;
        }
        for (Slot s : slots) {
            while (!s.tryClaim()) {
                Thread.onSpinWait();  // an appender holds it for a few instructions
            }
            try {
                if (s.size > 0) {
                    callbacks.route(s.detach());  // route (never blocks) before the release: see drainIdle
                }
            } finally {
                s.release();
            }
        }
    }

    /** A detached batch as one callback standing for {@code size} user callbacks. */
    static final class Batch extends RcuCallback {
        final RcuCallback[] items;
        final int size;

        Batch(RcuCallback[] items, int size) {
            this.items = items;
            this.size = size;
        }

        @Override
        protected void invoke() {
            throw new AssertionError("batches run through runAll");
        }

        /** Runs every item, each outside any lock; returns how many threw. */
        int runAll(Callbacks callbacks) {
            int failed = 0;
            for (int i = 0; i < size; i++) {
                failed += callbacks.invoke(items[i]);
                items[i] = null;
            }
            return failed;
        }

        @Override
        int weight() {
            return size;
        }
    }
}
