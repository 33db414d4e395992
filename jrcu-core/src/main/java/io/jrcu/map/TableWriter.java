package io.jrcu.map;

import io.jrcu.Rcu;
import io.jrcu.internal.LibraryFlavor;
import io.jrcu.map.RcuLongMap.Reclamation;

import java.util.concurrent.locks.ReentrantLock;

import static io.jrcu.map.RcuLongMapDescriptor.DELETED;
import static io.jrcu.map.RcuLongMapDescriptor.EMPTY;
import static io.jrcu.map.RcuLongMapDescriptor.FREE;
import static io.jrcu.map.RcuLongMapDescriptor.MAX_CAPACITY;

/**
 * The part of a map's writer that does not depend on what an entry holds: the writer lock and the checks every
 * write makes, the probe and the insert (a key word, then {@link #holdsKey} for what the word alone does not
 * decide), the bounded map's room check, tombstones and their reclamation ({@link EntryReclaimer}), the tables'
 * lifecycle ({@link TableKeeper}) and the capacity of a rebuilt table. {@link LongMapWriter} and
 * {@link BytesMapWriter} extend it with their entries' contents; the algorithm is in LongMapWriter's comment and the
 * pairing table in RcuLongMap's overview.
 */
abstract class TableWriter {
    /*
     * Concurrency: everything here runs under writeLock except the checks before it (checkWritable) and SYNC mode's
     * grace period (afterUnlink, between two holds of the lock). Readers see only the key words' release stores
     * (LongTable) and the table's publication (TableKeeper, through the map's srTable).
     */

    /** The map whose table and size this writer stores. */
    private final TableMap owner;
    /** The owner's name and domain (copies of its final fields). */
    final String mapName;
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
     * Publishes {@code owner}'s first table, sized for {@code maxEntries} if bounded, else for
     * {@code initialCapacity}; the map's fields readers load are set before.
     */
    TableWriter(TableMap owner, Reclamation reclamation, int maxEntries, int initialCapacity,
                boolean brokenEarlyReuse) {
        this.owner = owner;
        this.mapName = owner.mapName;
        this.rcu = owner.rcu;
        this.flavor = owner.flavor;
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

    /** What {@link #find} returns when the probe visited every entry and none can take an insert. */
    static final int NO_SLOT = Integer.MIN_VALUE;

    /** The first slot of the probe of a stored key word, before masking (probes and a rebuild's placement). */
    abstract int home(long word);

    /**
     * Whether the live entry at {@code slot}, whose key word equals the probed word, holds the probed key: a long
     * map's key word is its key; a byte map's is a hash, so its record's key bytes are compared with {@code key}'s
     * {@code length} bytes at {@code offset}. Writer lock.
     */
    abstract boolean holdsKey(LongTable t, int slot, Object key, long offset, int length);

    /**
     * The slot holding the key, else {@code -1 - s} where s is where an insert goes (the first FREE entry of the
     * probe, else the EMPTY that ended it), else {@link #NO_SLOT}. {@code key}, {@code offset} and {@code length}
     * are for {@link #holdsKey}. Writer lock.
     */
    final int find(LongTable t, long word, Object key, long offset, int length) {
        int mask = t.mask;
        int slot = home(word) & mask;
        int firstFree = -1;
        for (int probes = 0; probes <= mask; probes++) {
            long w = t.keyPlain(slot);
            if (w == word && holdsKey(t, slot, key, offset, length)) {
                return slot;
            }
            if (w == EMPTY) {
                return -1 - (firstFree >= 0 ? firstFree : slot);
            }
            if (w == FREE && firstFree < 0) {
                firstFree = slot;
            }
            slot = (slot + 1) & mask;
        }
        return firstFree >= 0 ? -1 - firstFree : NO_SLOT;
    }

    /**
     * Inserts a key known absent, its value word {@code valueWord} (writer lock); rebuilds the table first if the
     * insert would fill it. The key arguments are {@link #find}'s.
     */
    final void insert(LongTable t, long word, long valueWord, Object key, long offset, int length) {
        int found = find(t, word, key, offset, length);
        int slot = -1 - found;
        if (found == NO_SLOT || t.keyPlain(slot) == EMPTY && t.used + 1 > t.maxUsed) {
            reclaimer.reclaimPassed(Integer.MAX_VALUE);
            if (t.used + 1 > t.maxUsed) {
                tables.retireLater(t);
                t = tables.rebuild(t, capacityFor(t.live + 1), this::home);
            }
            slot = -1 - find(t, word, key, offset, length);
        }
        if (t.keyPlain(slot) == EMPTY) {
            t.used++;
        }
        t.live++;
        t.valuePlain(slot, valueWord);   // unreachable until the key's release store below
        t.keyRelease(slot, word);        // release; pairs with the keyAcquire in readers (publishes the value word)
        srSize(size() + 1);
    }

    /**
     * Whether a new entry fits: in a bounded map, {@code live} (the table's live entries and any kept beside it) plus
     * the entries pending reclamation below the limit, after reclaiming what has passed (and one non-blocking attempt
     * to advance the oldest cookie). A full map throws if {@code throwIfFull}, else returns false. Writer lock.
     */
    final boolean haveRoom(LongTable t, int live, boolean throwIfFull) {
        if (maxEntries == 0 || live + t.pending < maxEntries) {
            return true;
        }
        reclaimer.reclaimAllPassed();
        if (live + t.pending < maxEntries) {
            return true;
        }
        reclaimer.requestOldest();
        if (!throwIfFull) {
            return false;
        }
        throw new IllegalStateException(mapName + " is full: maxEntries " + maxEntries + ", entries " + live
                + ", entries pending reclamation " + t.pending);
    }

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
