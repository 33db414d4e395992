package io.jrcu.map;

import io.jrcu.map.RcuLongMap.Reclamation;
import io.jrcu.map.RcuLongMap.Stats;

import java.util.function.LongBinaryOperator;

import static io.jrcu.map.RcuLongMapDescriptor.STATE_COUNT;
import static io.jrcu.map.RcuLongMapDescriptor.decode;
import static io.jrcu.map.RcuLongMapDescriptor.encode;
import static io.jrcu.map.RcuLongMapDescriptor.isState;

/**
 * The writer side of an {@link RcuLongMap}: every write under the map's writer lock; the tables are rebuilt, published
 * and released through a {@link TableKeeper}, removed entries reclaimed through an {@link EntryReclaimer}. The
 * map's public write methods check their arguments and call this; the map keeps the fields readers load (the table,
 * the size, the reserved keys' values) and this class stores them through the map's accessors.
 */
final class LongMapWriter extends TableWriter {
    /*
     * Design (DPDK rte_hash's key-store slots freed through a token FIFO, liburcu rculfhash's removal with call_rcu,
     * QEMU's resizable array published as a copy); the readers' side and the complete pairing table are in
     * RcuLongMap's overview:
     *
     *   put(k,v): lock; reclaim up to 2 passed tombstones; find k: update value (release), or insert at the first
     *             FREE entry of the probe (else the EMPTY that ended it): value (plain), then key (release)
     *   remove:   lock; key = DELETED (release); ring += (cookie, generation|slot)  [SYNC: unlock; synchronize; lock]
     *   reclaim:  EntryReclaimer: key(slot) = FREE, or EMPTY with its FREE run, once its cookie has passed
     *   rebuild:  copy the live entries into a new table (plain: unpublished), table = new (release), release the
     *             old table with a callback after a grace period; the ring's entries of the old table are dropped when
     *             the ring frees them (their generation is not the current table's)
     *
     * Invariants. (1) A key word changes from a key only to DELETED, from DELETED only to FREE after a grace period
     * that began after the DELETED store, and only FREE or EMPTY entries take a new key: so a reader that saw key k
     * in an entry reads, until its section ends, only values stored for k there (another key needs FREE first, which
     * waits for the reader's section). Values of a removed entry are never written until it is reused. (2) For every
     * live key at slot j, no entry in [hash, j) is EMPTY: inserts stop at the first EMPTY, and FREE becomes EMPTY only
     * when the next entry is EMPTY (if it were in [hash, j), so would the next). Hence a key present for a whole
     * lookup is found. (3) A table is rebuilt before its EMPTY entries drop below 1/4, so probes end.
     *
     * Memory ordering: every store readers see is a release (table, key word, value word of a live key, reserved
     * value, size), each paired with an acquire in the readers as RcuLongMap's table says. The writer lock orders
     * writers after each other's plain writes (entries, counters, the FIFO). The grace period orders a reader's loads
     * before the reuse of an entry it saw (deferCookie: the DELETED store happens before it).
     *
     * Nothing is padded: every field here is written under the writer lock only. The tables' allocation, rebuild,
     * publication and release are the TableKeeper's.
     *
     * Removed entries wait in the FIFO of an EntryReclaimer, whose overview has its design.
     */

    static final int PUT = 0;
    static final int TRY_PUT = 1;
    static final int PUT_IF_ABSENT = 2;
    static final int REPLACE = 3;
    static final int REPLACE_EXPECTED = 4;
    /** What write returns in the modes TRY_PUT and REPLACE_EXPECTED when it stored the value, else NOT_STORED. */
    static final long STORED = 1;
    static final long NOT_STORED = 0;

    /** Tombstones a write reuses at most before its own work, so that a write stays O(1) amortized. */
    private static final int RECLAIM_PER_WRITE = 2;

    private final RcuLongMap map;
    private final long missingValue;
    /** Reserved keys present (writer lock). */
    private int reservedCount;

    /**
     * The writer of {@code map}; publishes the map's first table, sized for {@code maxEntries} if bounded, else for
     * {@code initialCapacity}. The map's fields readers load are set before.
     */
    LongMapWriter(RcuLongMap map, long missingValue, Reclamation reclamation, int maxEntries, int initialCapacity,
                  boolean brokenEarlyReuse) {
        super(map, reclamation, maxEntries, initialCapacity, brokenEarlyReuse);
        this.map = map;
        this.missingValue = missingValue;
    }

    // ------------------------------------------------------------------ writes

    /**
     * put, tryPut, putIfAbsent and both replace forms. Returns the previous value or the missing value; TRY_PUT and
     * REPLACE_EXPECTED return STORED or NOT_STORED.
     */
    long write(long key, long expected, long value, int mode, String operation) {
        checkValue(value);
        lock(operation);
        try {
            LongTable t = current();
            long stored = encode(key);
            boolean flag = mode == TRY_PUT || mode == REPLACE_EXPECTED;
            if (isState(stored)) {
                Long boxed = map.lpReserved((int) stored);
                long old = boxed == null ? missingValue : boxed;
                boolean store = switch (mode) {
                    case PUT_IF_ABSENT -> boxed == null && haveRoom(t, mode);
                    case REPLACE -> boxed != null;
                    case REPLACE_EXPECTED -> boxed != null && old == expected;
                    default -> boxed != null || haveRoom(t, mode);
                };
                if (store) {
                    map.srReserved((int) stored, value);
                    if (boxed == null) {
                        reservedCount++;
                        srSize(size() + 1);
                    }
                }
                return flag ? (store ? STORED : NOT_STORED) : old;
            }
            reclaimer.reclaimPassed(RECLAIM_PER_WRITE);
            int found = find(t, stored, null, 0, 0);
            if (found >= 0) {
                long old = t.valuePlain(found);
                boolean store = mode != PUT_IF_ABSENT && (mode != REPLACE_EXPECTED || old == expected);
                if (store) {
                    t.valueRelease(found, value);   // release; pairs with the valueAcquire in readers
                }
                return flag ? (store ? STORED : NOT_STORED) : old;
            }
            if (mode == REPLACE || mode == REPLACE_EXPECTED) {
                return flag ? NOT_STORED : missingValue;
            }
            if (!haveRoom(t, mode)) {
                return NOT_STORED;
            }
            insert(t, stored, value, null, 0, 0);
            return flag ? STORED : missingValue;
        } finally {
            unlock();
        }
    }

    /** {@link RcuLongMap#compute}: the function runs once, under the writer lock. */
    long compute(long key, LongBinaryOperator function, String operation) {
        int removedSlot;
        LongTable removedFrom;
        lock(operation);
        try {
            LongTable t = current();
            long stored = encode(key);
            if (isState(stored)) {
                Long boxed = map.lpReserved((int) stored);
                long old = boxed == null ? missingValue : boxed;
                long next = function.applyAsLong(key, old);
                if (next == old) {
                    return next;
                }
                if (boxed == null) {
                    haveRoom(t, PUT);
                }
                map.srReserved((int) stored, next == missingValue ? null : next);
                int delta = (boxed == null ? 1 : 0) - (next == missingValue ? 1 : 0);
                reservedCount += delta;
                srSize(size() + delta);
                return next;
            }
            reclaimer.reclaimPassed(RECLAIM_PER_WRITE);
            int found = find(t, stored, null, 0, 0);
            long old = found >= 0 ? t.valuePlain(found) : missingValue;
            long next = function.applyAsLong(key, old);
            if (next == old) {
                return next;
            }
            if (found < 0) {
                haveRoom(t, PUT);
                insert(t, stored, next, null, 0, 0);
                return next;
            }
            if (next != missingValue) {
                t.valueRelease(found, next);   // release; pairs with the valueAcquire in readers
                return next;
            }
            unlink(t, found);
            removedSlot = found;
            removedFrom = t;
        } finally {
            unlock();
        }
        afterUnlink(removedFrom, removedSlot);
        return missingValue;
    }

    /** Removes {@code key} (if {@code matchValue}, only when it maps to {@code expected}); returns the old value. */
    long removeIf(long key, boolean matchValue, long expected, String operation) {
        long old;
        int slot;
        LongTable t;
        lock(operation);
        try {
            t = current();
            long stored = encode(key);
            if (isState(stored)) {
                Long boxed = map.lpReserved((int) stored);
                if (boxed == null || matchValue && boxed != expected) {
                    return missingValue;
                }
                map.srReserved((int) stored, null);
                reservedCount--;
                srSize(size() - 1);
                return boxed;
            }
            reclaimer.reclaimPassed(RECLAIM_PER_WRITE);
            slot = find(t, stored, null, 0, 0);
            if (slot < 0) {
                return missingValue;
            }
            old = t.valuePlain(slot);
            if (matchValue && old != expected) {
                return missingValue;
            }
            unlink(t, slot);
        } finally {
            unlock();
        }
        afterUnlink(t, slot);
        return old;
    }

    /** {@link RcuLongMap#clear}: publishes an empty table of the smallest size and retires the current one. */
    void clear() {
        LongTable old;
        lock("clear");
        try {
            LongTable t = current();
            clearReserved();
            tables.publish(tables.allocate(minCapacity));
            old = t;
            srSize(0);
        } finally {
            unlock();
        }
        tables.retire(old);
    }

    /** {@link RcuLongMap#stats}, under the writer lock. */
    Stats stats() {
        writeLock.lock();
        try {
            LongTable t = current();
            return new Stats(size(), t.capacity, tables.offHeapBytes(), t.pending, tables.resizes());
        } finally {
            writeLock.unlock();
        }
    }

    /** {@link RcuLongMap#close}: publishes {@link LongTable#CLOSED} and retires the current table. Idempotent. */
    void close() {
        LongTable old;
        writeLock.lock();
        try {
            if (writeLock.getHoldCount() > 1) {
                throw new IllegalStateException("RcuLongMap.close from inside compute's function");
            }
            old = current();   // the lock orders it anyway
            if (old == LongTable.CLOSED) {
                return;
            }
            clearReserved();
            map.srTable(LongTable.CLOSED);   // release; pairs with the getAcquire in readers (they throw)
            srSize(0);
        } finally {
            writeLock.unlock();
        }
        tables.retire(old);
    }

    private void clearReserved() {
        for (int stored = 0; stored < STATE_COUNT; stored++) {
            map.srReserved(stored, null);
        }
        reservedCount = 0;
    }

    /** Whether a new entry fits (see TableWriter.haveRoom): a full map throws for put, returns false for tryPut. */
    private boolean haveRoom(LongTable t, int mode) {
        return haveRoom(t, t.live + reservedCount, mode != TRY_PUT);
    }

    // ------------------------------------------------------------------ tables: rebuild, publish, retire

    @Override
    int home(long word) {
        return (int) map.hash(decode(word));
    }

    /** A long map's key word is its key: an entry whose word matches holds it. */
    @Override
    boolean holdsKey(LongTable t, int slot, Object key, long offset, int length) {
        return true;
    }

    // ------------------------------------------------------------------ the writer lock and its checks

    /** The writer lock, refused inside compute's function (which holds it). */
    @Override
    void lock(String operation) {
        if (writeLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("RcuLongMap." + operation + " from inside compute's function");
        }
        super.lock(operation);
    }

    private void checkValue(long value) {
        if (value == missingValue) {
            throw new IllegalArgumentException("RcuLongMap cannot store its missing value " + value);
        }
    }
}
