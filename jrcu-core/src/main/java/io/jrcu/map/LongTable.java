package io.jrcu.map;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static io.jrcu.map.RcuLongMapDescriptor.EMPTY;
import static io.jrcu.map.RcuLongMapDescriptor.TABLE_ALIGNMENT;
import static io.jrcu.map.RcuLongMapDescriptor.keyOffset;
import static io.jrcu.map.RcuLongMapDescriptor.tableBytes;
import static io.jrcu.map.RcuLongMapDescriptor.valueOffset;

/**
 * One table of an {@link RcuLongMap}: its off-heap entries (laid out as {@link RcuLongMapDescriptor} says), the arena
 * that owns them, and the writers' counters for it. The entries are read by readers without a lock; the counters are
 * read and written only under the map's writer lock.
 */
final class LongTable {
    /*
     * Access modes of the entry words (the map's overview has the pairing table):
     *   key word   : stored with release (keyRelease), loaded by readers with acquire (keyAcquire), by writers under
     *                the lock plainly (keyPlain: the lock orders them after every earlier writer's stores).
     *   value word : stored with release when the key is live (valueRelease), plainly before the key's release store
     *                publishes a new entry (valuePlain); loaded by readers with acquire after the key's acquire.
     */
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();

    /**
     * One segment over the whole address space, in the global scope, through which readers load the words of a
     * table at their addresses ({@link #base} + offset). It is a constant, so C2 drops the class, bounds and
     * liveness checks that an access through a table's own segment, loaded anew by every lookup, makes (their cost is
     * in docs/maps.md). A reader reaches only a table it found inside its read section, and a table is freed a grace
     * period after it was replaced; the closed map's table is checked before any load ({@link #CLOSED}). Made by a
     * restricted method, so only where the module has native access (as membarrier: no JDK warning ever). Null
     * without it, or with {@code -Djrcu.map.checkedReads=true}: readers then use {@link #entries}, whose liveness
     * check turns a table freed under a reader (a bug, or a test's injected fault) into an
     * {@link IllegalStateException} instead of a read of freed memory.
     */
    static final MemorySegment ADDRESS_SPACE = Boolean.getBoolean("jrcu.map.checkedReads")
            || !LongTable.class.getModule().isNativeAccessEnabled() ? null : addressSpace();

    /** Used by no table: what close publishes, so that a reader that loads it fails cleanly. */
    static final LongTable CLOSED = new LongTable();

    final MemorySegment entries;
    /** The address of {@link #entries}: readers load through {@link #ADDRESS_SPACE} at base + offset. */
    final long base;
    /** Owns {@link #entries}; closed once no reader can see this table any more. */
    final Arena arena;
    final int capacity;
    final int mask;
    /** Most non-EMPTY entries before a writer rebuilds the table (3/4 of the capacity). */
    final int maxUsed;
    /** Tables the map allocated before this one; -1 for {@link #CLOSED}. */
    final long generation;

    /** Entries holding a key (writer lock). */
    int live;
    /** Entries not EMPTY: live, DELETED and FREE (writer lock). */
    int used;
    /** Entries DELETED, waiting for a grace period (writer lock). */
    int pending;

    /**
     * A new table of {@code capacity} EMPTY entries (fresh memory is zero, and EMPTY is 0).
     *
     * @throws OutOfMemoryError if the memory cannot be allocated
     */
    LongTable(int capacity, long generation) {
        this.arena = Arena.ofShared();
        try {
            this.entries = arena.allocate(tableBytes(capacity), TABLE_ALIGNMENT);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        this.base = entries.address();
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.maxUsed = capacity - capacity / 4;
        this.generation = generation;
        assert Long.bitCount(capacity) == 1 && EMPTY == 0;
    }

    private LongTable() {
        this.arena = null;
        this.entries = MemorySegment.NULL;
        this.base = 0;
        this.capacity = 0;
        this.mask = 0;
        this.maxUsed = 0;
        this.generation = -1;
    }

    /** Bits of a pending entry that hold the slot; the generation is above them. */
    private static final int SLOT_BITS = 30;

    /**
     * The long the map's ring of removed entries holds for {@code slot} of this table: the slot in the low
     * {@value #SLOT_BITS} bits (capacities are at most 2^30), the generation above (2^34 tables before it wraps).
     */
    long pendingEntry(int slot) {
        return generation << SLOT_BITS | slot;
    }

    /** Whether {@code pendingEntry} names an entry of this table. */
    boolean holds(long pendingEntry) {
        return pendingEntry >>> SLOT_BITS == generation;
    }

    /** The slot a pending entry names. */
    static int slotOf(long pendingEntry) {
        return (int) pendingEntry & ((1 << SLOT_BITS) - 1);
    }

    long bytes() {
        return tableBytes(capacity);
    }

    @SuppressWarnings("restricted") // see ADDRESS_SPACE; guarded by isNativeAccessEnabled there
    private static MemorySegment addressSpace() {
        return MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    }

    /** Readers (inside a read section, never on {@link #CLOSED}): acquire; pairs with the release in keyRelease. */
    long keyAcquire(int slot) {
        MemorySegment all = ADDRESS_SPACE;   // a constant: C2 keeps one of the two loads
        return all != null
                ? (long) WORD.getAcquire(all, base + keyOffset(slot))
                : (long) WORD.getAcquire(entries, keyOffset(slot));
    }

    /**
     * Traversals: as {@link #keyAcquire}, through the table's own segment. A traversal runs the caller's code between
     * its loads; should that code end the traversal's section (a misuse), a load of this table freed meanwhile then
     * fails with the FFM runtime's {@link IllegalStateException} instead of reading freed memory.
     */
    long keyAcquireChecked(int slot) {
        return (long) WORD.getAcquire(entries, keyOffset(slot));   // acquire; partner: the release in keyRelease
    }

    /** Traversals: as {@link #valueAcquire}, through the table's own segment (see {@link #keyAcquireChecked}). */
    long valueAcquireChecked(int slot) {
        return (long) WORD.getAcquire(entries, valueOffset(slot));   // acquire; partner: the release in valueRelease
    }

    /** Writers under the lock. */
    long keyPlain(int slot) {
        return (long) WORD.get(entries, keyOffset(slot));
    }

    /** Writers: release; pairs with the acquire in {@link #keyAcquire} (publishes the value stored before). */
    void keyRelease(int slot, long stored) {
        WORD.setRelease(entries, keyOffset(slot), stored);
    }

    /** Readers, as {@link #keyAcquire}: acquire, after the key's; pairs with the release in valueRelease. */
    long valueAcquire(int slot) {
        MemorySegment all = ADDRESS_SPACE;
        return all != null
                ? (long) WORD.getAcquire(all, base + valueOffset(slot))
                : (long) WORD.getAcquire(entries, valueOffset(slot));
    }

    /** Writers under the lock. */
    long valuePlain(int slot) {
        return (long) WORD.get(entries, valueOffset(slot));
    }

    /** Writers: a value no reader can reach yet (the key's release store that follows publishes it). */
    void valuePlain(int slot, long value) {
        WORD.set(entries, valueOffset(slot), value);
    }

    /** Writers: release; pairs with the acquire in {@link #valueAcquire} (a new value of a live key). */
    void valueRelease(int slot, long value) {
        WORD.setRelease(entries, valueOffset(slot), value);
    }
}
