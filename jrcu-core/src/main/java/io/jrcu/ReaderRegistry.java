package io.jrcu;

import io.jrcu.CounterRcu.CounterReader;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The registry of a domain's reader records ({@link CounterRcu.CounterReader}: memb's, QSBR's, and bulletProof's for
 * platform threads): registration, removal, and dropping the records of terminated threads. The grace periods that
 * scan it are CounterRcu's and BulletProofRcu's.
 */
final class ReaderRegistry {
    /*
     * Overview.
     *
     * An array of slots, published through a volatile field; registration and removal run under
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
     * load for a virtual thread), not learned from a weak reference and a ReferenceQueue as in StripedThreads
     * (bulletProof's virtual threads): that learns of a death only after a collection found the thread unreachable,
     * and a record could not hold its owner (the owner check compares it) without keeping it reachable.
     *
     * Why dropping is safe while a grace period runs. A record is dropped only when its owner's Thread.isAlive()
     * is false: the owner is terminated and every action of it happens-before that observation (JLS 17.4.4), so
     * it is in no section and never writes the record again. A record whose owner died protected (memb, bulletProof:
     * inside a section; QSBR: online) is reported and its counter released (release store; partner: the scan's acquire
     * load, so the dead owner's accesses happen-before the end of the grace period that sees 0); the release and
     * the drop happen once, under registryLock, whoever finds the record first (a registration, the prune, or a
     * grace period waiting for it). A grace period holding the record (an older array, or waiting in awaitReader)
     * reads ctr == 0 from then on and moves on, which is right: the owner is gone. A slot freed this way may take a
     * new record; a scan that reads the slot sees the old record (ctr 0, skipped) or the new one (waited for if it
     * blocks), and one that read it before the new record arrived misses a record registered after its scan began.
     *
     * Pairing table:
     *   add/remove: release store of a slot  <->  the scan's acquire load (laSlot)
     *   a copied array: volatile store of slots  <->  the scan's volatile load (lvSlots); an array's slots are written
     *                   before it is published, and never after a copy replaced it
     *   a dead reader's release store of ctr 0  <->  the scan's acquire load of ctr (CounterReader.blocks)
     */

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(CounterReader[].class);

    /** Slots a registration examines for records of terminated threads (see the overview). */
    static final int SWEEP_PER_REGISTRATION = 4;
    /** The registry array's smallest length. */
    private static final int MIN_SLOTS = 16;

    /** Slots; null = free. Replaced by a larger or a compacted copy under registryLock. */
    private volatile CounterReader[] slots = new CounterReader[MIN_SLOTS];
    private int used;                     // slots ever handed out in the current array; under registryLock
    private int[] freeSlots = new int[MIN_SLOTS];
    private int freeCount;                // under registryLock
    private int sweepCursor;              // the next slot a registration examines; under registryLock

    private final String domainName;
    /** Guards the fields above and every record's {@code slot}; a record is dropped once, under it. */
    private final Object registryLock = new Object();
    /** The domain's lookup of records by thread, whose slots forget the records dropped here. */
    private final ThreadReaders<?> threadReaders;
    /** Grace periods between two prunes of the records of terminated owners. */
    static final int PRUNE_PERIOD = 64;
    /** Grace periods started since the last prune; under the domain's gpLock (see onGracePeriodStarted). */
    private int gracePeriodsSincePrune;

    ReaderRegistry(String domainName, ThreadReaders<?> threadReaders) {
        this.domainName = domainName;
        this.threadReaders = threadReaders;
    }

    /** The array a grace period scans: every slot, null = free. Volatile load; partner: the stores of slots. */
    CounterReader[] lvSlots() {
        return slots;
    }

    /** Release store of slot {@code i} of {@code a}; under registryLock; partner: the acquire load in laSlot. */
    private static void srSlot(CounterReader[] a, int i, CounterReader r) {
        SLOTS.setRelease(a, i, r);
    }

    /** Acquire load of slot {@code i} of {@code a}; partner: the release stores in add and removeLocked. */
    static CounterReader laSlot(CounterReader[] a, int i) {
        return (CounterReader) SLOTS.getAcquire(a, i);
    }

    /** Adds the calling thread's new record, after dropping records of terminated threads (see the overview). */
    void add(CounterReader r) {
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
            srSlot(slots, slot, r); // release; pairs with the acquire load in laSlot
        }
        if (deaths != null) {
            deaths.forEach(ReaderRegistry::reportDeath);   // after unlocking: a logger never runs under registryLock
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

    void remove(CounterReader r) {
        synchronized (registryLock) {
            removeLocked(r);
        }
    }

    private void removeLocked(CounterReader r) {
        if (r.slot < 0) {
            return;   // dropped already
        }
        CounterReader[] a = slots;
        srSlot(a, r.slot, null); // release; pairs with the acquire load in laSlot
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
        slots = a;   // volatile; pairs with the volatile load in lvSlots
    }

    /** Records in the registry: the slots handed out that are not free again. Under registryLock. */
    private int records() {
        return used - freeCount;
    }

    /** Records in the registry (tests). */
    int registeredReaders() {
        synchronized (registryLock) {
            return records();
        }
    }

    /** Slots a grace period's scan reads: the registry array's length (tests). */
    int registrySlots() {
        return slots.length;   // volatile
    }

    /**
     * A grace period has started (under the domain's gpLock, the only caller): every PRUNE_PERIOD of them, drops the
     * records of terminated owners, for a registry nobody registers with any more. Counted, not derived from the
     * grace-period number, which QSBR's tokens make jump.
     */
    void onGracePeriodStarted() {
        if (++gracePeriodsSincePrune >= PRUNE_PERIOD) {
            gracePeriodsSincePrune = 0;
            releaseDeadReaders();
        }
    }

    /** Drops the record of every terminated owner, reporting and releasing those that died protected. */
    void releaseDeadReaders() {
        CounterReader[] a = lvSlots();
        for (int i = 0; i < a.length; i++) {
            CounterReader r = laSlot(a, i);
            if (r != null && !r.owner.isAlive()) {
                releaseDeadReader(r);
            }
        }
    }

    /** The owner is dead: report it if it died protected, release its counter and drop the record. */
    void releaseDeadReader(CounterReader r) {
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
            death = "jrcu: reader thread '" + r.owner.getName() + "' of " + domainName + " terminated "
                    + r.protectedStateDescription() + "; released so that grace periods go on";
            r.srCtr(0L);        // release; partner: the acquire load of ctr in blocks() (see CounterRcu's overview)
            r.resetDepthOfDeadOwner();
        }
        r.retire();
        threadReaders.forget(r);   // a slot keeps no record of an ended thread once it is dropped
        removeLocked(r);
        return death;
    }

    private static void reportDeath(String death) {
        GracePeriodSequence.LOG.log(System.Logger.Level.WARNING, death);
    }
}
