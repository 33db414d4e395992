package io.jrcu.map;

import io.jrcu.arena.RcuArena;
import io.jrcu.map.RcuLongMap.Reclamation;

import java.lang.foreign.MemorySegment;

import static io.jrcu.map.RcuBytesMapDescriptor.recordBytes;
import static io.jrcu.map.RcuLongMapDescriptor.isState;

/**
 * The writer side of an {@link RcuBytesMap}: every write under the map's writer lock. Records are allocated from and
 * freed to the map's {@link RcuArena}; tables are rebuilt, published and released through a {@link TableKeeper}, and
 * removed index entries reclaimed through an {@link EntryReclaimer}, as for an {@link RcuLongMap}.
 */
final class BytesMapWriter extends TableWriter {
    /*
     * Design: LongMapWriter's (its overview has the invariants (1)-(3) on index entries, which hold here unchanged),
     * with a record in the arena as an entry's value:
     *
     *   put(k,v):  lock; reclaim up to 2 passed tombstones; r = new record {k, v} (plain: unpublished)
     *              k present at slot s: value(s) = r (release); arena.free(old record)
     *              else insert at the first FREE entry of the probe (else its EMPTY): value = r (plain), key (release)
     *   remove(k): lock; key(s) = DELETED (release); ring += (cookie, s); arena.free(record)
     *   clear:     a new empty table (release); arena.free(every record of the old one); the old table retired
     *
     * A record is never written after the release store that publishes its address, and goes back to the arena only
     * after that address is unreachable from the current table: the arena reuses it after a grace period that begins
     * after the free, so a reader that loaded the address inside its section reads the record it was published with,
     * whole, until its section ends. Two keys may share a hash word: find compares the record's key bytes.
     *
     * Memory ordering: as LongMapWriter's (table, key word and value word are release stores paired with the
     * readers' acquire loads, RcuBytesMap's table); a record's bytes are written before the release store of its
     * address. The arena orders a free before the next allocation of that memory after a grace period.
     *
     * Nothing is padded: every field is written under the writer lock only.
     */

    static final int PUT = 0;
    static final int PUT_IF_ABSENT = 1;
    static final int REPLACE = 2;

    /** Tombstones a write reuses at most before its own work, so that a write stays O(1) amortized. */
    private static final int RECLAIM_PER_WRITE = 2;

    private final RcuBytesMap map;
    final RcuArena arena;
    /** The broken twin of the tests: a replaced or removed record is overwritten before its grace period. */
    private final boolean brokenEarlyFree;

    /** The writer of {@code map}; publishes the map's first table. The map's fields readers load are set before. */
    BytesMapWriter(RcuBytesMap map, RcuArena arena, Reclamation reclamation, int maxEntries, int initialCapacity,
                   boolean brokenEarlyFree) {
        super(map, reclamation, maxEntries, initialCapacity, false);
        this.map = map;
        this.arena = arena;
        this.brokenEarlyFree = brokenEarlyFree;
    }

    // ------------------------------------------------------------------ writes

    /**
     * put, putIfAbsent and replace of {@code klength} key bytes of {@code key} from {@code koffset} (a byte[], a
     * MemorySegment or a ByteBuffer, as {@link ByteKeys} reads them) and {@code value} (a MemorySegment). PUT returns
     * whether the key was absent; PUT_IF_ABSENT and REPLACE whether they stored the value.
     */
    boolean write(Object key, long koffset, int klength, MemorySegment value, int mode, String operation) {
        lock(operation);
        try {
            LongTable t = current();
            long word = map.hashWord(key, koffset, klength);
            reclaimer.reclaimPassed(RECLAIM_PER_WRITE);
            int found = find(t, word, key, koffset, klength);
            if (found >= 0) {
                if (mode == PUT_IF_ABSENT) {
                    return false;
                }
                long old = t.valuePlain(found);
                long record = newRecord(key, koffset, klength, value);
                t.valueRelease(found, record);   // release; pairs with the valueAcquire in readers (the record)
                freeRecord(old);
                return mode == REPLACE;
            }
            if (mode == REPLACE) {
                return false;
            }
            haveRoom(t, t.live, true);
            long record = newRecord(key, koffset, klength, value);
            try {
                insert(t, word, record, key, koffset, klength);
            } catch (RuntimeException | Error e) {
                arena.free(arena.blockAt(record));   // never published
                throw e;
            }
            return true;
        } finally {
            unlock();
        }
    }

    /**
     * Removes the key (if {@code expected} is not null, only when its value has the bytes of {@code expected});
     * returns whether it removed it.
     */
    boolean removeIf(Object key, long koffset, int klength, MemorySegment expected, String operation) {
        int slot;
        LongTable t;
        lock(operation);
        try {
            t = current();
            long word = map.hashWord(key, koffset, klength);
            reclaimer.reclaimPassed(RECLAIM_PER_WRITE);
            slot = find(t, word, key, koffset, klength);
            if (slot < 0) {
                return false;
            }
            long record = t.valuePlain(slot);
            if (expected != null && !map.valueEquals(record, expected)) {
                return false;
            }
            unlink(t, slot);
            freeRecord(record);
        } finally {
            unlock();
        }
        afterUnlink(t, slot);
        return true;
    }

    /** {@link RcuBytesMap#clear}: publishes an empty table of the smallest size, frees every record of the old one. */
    void clear() {
        LongTable old;
        lock("clear");
        try {
            old = current();
            tables.publish(tables.allocate(minCapacity));
            srSize(0);
            for (int slot = 0; slot < old.capacity; slot++) {
                if (!isState(old.keyPlain(slot))) {
                    freeRecord(old.valuePlain(slot));
                }
            }
        } finally {
            unlock();
        }
        tables.retire(old);
    }

    /** {@link RcuBytesMap#stats}, under the writer lock. */
    RcuBytesMap.Stats stats() {
        writeLock.lock();
        try {
            LongTable t = current();
            return new RcuBytesMap.Stats(size(), t.capacity, tables.offHeapBytes(), t.pending, tables.resizes(),
                    arena.stats());
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * {@link RcuBytesMap#close}: publishes {@link LongTable#CLOSED}, waits for the readers that may still hold the
     * table or a record, then releases the table and the map's memory. Idempotent.
     */
    void close() {
        LongTable old;
        writeLock.lock();
        try {
            old = current();   // the lock orders it anyway
            if (old == LongTable.CLOSED) {
                return;
            }
            if (!flavor.isClosed()) {
                flavor.checkCanBlock("RcuBytesMap.close");
            }
            map.srTable(LongTable.CLOSED);   // release; pairs with the getAcquire in readers (they throw)
            srSize(0);
        } finally {
            writeLock.unlock();
        }
        flavor.awaitGracePeriodOrClose();   // every section that could hold the table or a record has ended
        tables.free(old);
        map.releaseMemory();
    }

    /** A new record of the key and value bytes; its address (writer lock; published by the caller). */
    private long newRecord(Object key, long koffset, int klength, MemorySegment value) {
        MemorySegment r = arena.allocate(recordBytes(klength, (int) value.byteSize()),
                RcuBytesMapDescriptor.RECORD_ALIGNMENT);
        RcuBytesMapDescriptor.writeRecord(r, key, koffset, klength, value);
        return r.address();
    }

    /** Hands a record no longer reachable from the current table back to the arena (writer lock). */
    private void freeRecord(long record) {
        if (brokenEarlyFree) {
            map.recordView(record).fill(RcuArena.POISON);   // the broken twin: overwritten while readers read it
        }
        try {
            arena.free(arena.blockAt(record));   // reused after a grace period that begins now
        } catch (IllegalStateException domainClosing) {
            if (flavor.isOpen()) {
                throw domainClosing;
            }
            // the domain closes: the record stays allocated until the map's close releases the arena
        }
    }

    @Override
    int home(long word) {
        return RcuBytesMapDescriptor.home(word, -1);
    }

    /** The key word is the key's hash: the record's key bytes decide. */
    @Override
    boolean holdsKey(LongTable t, int slot, Object key, long offset, int length) {
        return map.keyEquals(t.valuePlain(slot), key, offset, length);
    }
}
