package io.jrcu.map;

import io.jrcu.Rcu;
import io.jrcu.internal.LibraryFlavor;
import io.jrcu.map.RcuLongMap.Reclamation;

import java.util.concurrent.locks.ReentrantLock;

import static io.jrcu.map.RcuLongMapDescriptor.DELETED;
import static io.jrcu.map.RcuLongMapDescriptor.MAX_CAPACITY;

/**
 * The part of a map's writer that does not depend on what an entry holds: the writer lock and the checks every
 * write makes, tombstones and their reclamation ({@link EntryReclaimer}), the tables' lifecycle ({@link TableKeeper})
 * and the capacity of a rebuilt table. {@link LongMapWriter} and {@link BytesMapWriter} extend it with their entries'
 * contents; RcuLongMap's overview has the algorithm and the pairing table.
 */
abstract class TableWriter {
    /*
     * Concurrency: everything here runs under writeLock except the checks before it (checkWritable) and SYNC mode's
     * grace period (afterUnlink, between two holds of the lock). Readers see only the key words' release stores
     * (LongTable) and the table's publication (TableKeeper, through the map's srTable).
     */

    final String mapName;
    /** The map whose table and size this writer stores. */
    private final TableMap owner;
    final Rcu rcu;
    final LibraryFlavor flavor;
    final Reclamation reclamation;
    /** The bound of a bounded map, 0 if unbounded. */
    final int maxEntries;
    final int minCapacity;
    final ReentrantLock writeLock = new ReentrantLock();
    final EntryReclaimer reclaimer;
    final TableKeeper tables;
    /** The broken twin of the tests: a removed entry is reusable before any grace period. */
    private final boolean brokenEarlyReuse;

    /**
     * Publishes the map's first table through {@code publish}, sized for {@code maxEntries} if bounded, else for
     * {@code initialCapacity}; the map's fields readers load are set before.
     */
    TableWriter(String mapName, TableMap owner, Rcu rcu, LibraryFlavor flavor, Reclamation reclamation,
                int maxEntries, int initialCapacity, boolean brokenEarlyReuse) {
        this.owner = owner;
        this.mapName = mapName;
        this.rcu = rcu;
        this.flavor = flavor;
        this.reclamation = reclamation;
        this.maxEntries = maxEntries;
        this.brokenEarlyReuse = brokenEarlyReuse;
        this.minCapacity = powerOfTwoFor(maxEntries > 0 ? maxEntries : initialCapacity, mapName);
        this.reclaimer = new EntryReclaimer(owner::laTable, rcu, mapName);
        this.tables = new TableKeeper(rcu, flavor, mapName, owner::srTable);
        owner.srTable(tables.allocate(minCapacity));   // a release store; readers acquire
    }

    /** The current table: the map's acquire load of it (writer lock, checked open). */
    final LongTable current() {
        return owner.laTable();   // acquire; pairs with srTable
    }

    /** The map's "closed" exception for {@code operation}. */
    final IllegalStateException closed(String operation) {
        return owner.closed(operation);
    }

    /** The map's size: its field, written by the writer only. */
    final long size() {
        return owner.laSize();
    }

    /** Stores the map's size (a release store; readers of size() acquire it). */
    final void srSize(long n) {
        owner.srSize(n);
    }

    /** The first slot of the probe of a stored key word, before masking (a rebuild's placement). */
    abstract int home(long word);

    /** Turns a live entry into a tombstone and queues it (DEFER_QUEUE); may shrink the table (writer lock). */
    final void unlink(LongTable t, int slot) {
        t.keyRelease(slot, DELETED);   // release; pairs with the keyAcquire in readers (the entry is gone)
        t.live--;
        t.pending++;
        srSize(size() - 1);
        if (brokenEarlyReuse) {
            EntryReclaimer.markFree(t, slot);   // the broken twin: reusable before any grace period
        } else if (reclamation == Reclamation.DEFER_QUEUE) {
            reclaimer.enqueue(t, slot);
        }
        if (maxEntries == 0 && t.capacity > minCapacity && t.live < t.capacity / 8) {
            tables.retireLater(t);
            tables.rebuild(t, capacityFor(t.live), this::home);
        }
    }

    /** SYNC mode, after unlock: waits for a grace period, then frees the entry if its table is still current. */
    final void afterUnlink(LongTable t, int slot) {
        if (reclamation != Reclamation.SYNC) {
            return;
        }
        rcu.synchronize();
        writeLock.lock();
        try {
            if (current() == t && t.keyPlain(slot) == DELETED) {
                EntryReclaimer.markFree(t, slot);
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** Capacity of a table rebuilt for {@code entries} live entries: a bounded map keeps its size. */
    final int capacityFor(long entries) {
        return maxEntries > 0 ? minCapacity : Math.max(minCapacity, powerOfTwoFor(entries, mapName));
    }

    /** Capacity whose live entries fill at most half: a power of two, at least the smallest table. */
    static int powerOfTwoFor(long entries, String mapName) {
        if (entries > MAX_CAPACITY / 2) {
            throw new IllegalStateException(mapName + " cannot hold " + entries + " entries (largest table "
                    + MAX_CAPACITY + " entries, at most half live)");
        }
        int atLeast = (int) Math.max(TableKeeper.MIN_CAPACITY, 2 * entries);
        int capacity = Integer.highestOneBit(atLeast);
        return capacity < atLeast ? capacity << 1 : capacity;
    }

    // ------------------------------------------------------------------ the writer lock and its checks

    /** Takes the writer lock after the checks every write makes; throws with the lock released. */
    void lock(String operation) {
        checkWritable(operation);
        writeLock.lock();
        if (current() == LongTable.CLOSED) {   // the map's acquire load; pairs with the srTable in close
            writeLock.unlock();
            throw closed(operation);
        }
    }

    /** Releases the writer lock, then retires the table the write replaced, if any. */
    final void unlock() {
        LongTable old = tables.takeRetired();
        writeLock.unlock();
        tables.retire(old);
    }

    /** The checks every write makes before it takes the lock: the map and its domain are open, SYNC may block. */
    final void checkWritable(String operation) {
        if (current() == LongTable.CLOSED) {   // the map's acquire load; pairs with the srTable in close
            throw closed(operation);
        }
        if (!flavor.isOpen()) {
            throw new IllegalStateException(mapName + "." + operation + " on a map of " + flavor.name()
                    + ", which is closed or closing");
        }
        if (reclamation == Reclamation.SYNC) {
            flavor.checkCanBlock(mapName + "." + operation + " in SYNC mode");
        }
    }
}
