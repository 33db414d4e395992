package io.jrcu.map;

import io.jrcu.Rcu;
import io.jrcu.internal.LibraryFlavor;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongToIntFunction;

import static io.jrcu.map.RcuLongMapDescriptor.EMPTY;
import static io.jrcu.map.RcuLongMapDescriptor.isState;

/**
 * The tables of one map ({@link RcuLongMap} or {@link RcuBytesMap}): their allocation, the rebuild that copies the
 * live entries into a new table, publication, and release after a grace period (QEMU's resizable array published as
 * a copy; liburcu's call_rcu). Used by the map's writer under its writer lock, but {@link #retire}, which runs after
 * the lock is released.
 */
final class TableKeeper {
    /*
     *   rebuild:  copy the live entries into a new table (plain: unpublished), table = new (release through the
     *             map's srTable), release the old table with a callback after a grace period
     *
     * Memory ordering: the new table's entries are written before the map's release store of the table reference
     * (srTable), which pairs with the readers' acquire load of it; the callback runs after a grace period that began
     * after that store, so no reader holds the old table when its arena closes. Nothing is padded: every field is
     * written under the writer lock (offHeapBytes also by the callbacks that free old tables, rarely).
     */

    /** Smallest table. */
    static final int MIN_CAPACITY = 16;

    private final Rcu rcu;
    private final LibraryFlavor flavor;
    private final String mapName;
    /** The map's srTable: publishes a table (release). */
    private final Consumer<LongTable> publisher;
    private final AtomicLong offHeapBytes = new AtomicLong();
    /** Tables built after the first (writer lock). */
    private long resizes;
    /** Tables allocated: the next table's generation (writer lock). */
    private long tablesBuilt;
    /** A table replaced under the lock, retired by the writer's unlock (writer lock; at most one per write). */
    private LongTable retiredUnderLock;

    TableKeeper(Rcu rcu, LibraryFlavor flavor, String mapName, Consumer<LongTable> publisher) {
        this.rcu = rcu;
        this.flavor = flavor;
        this.mapName = mapName;
        this.publisher = publisher;
    }

    /** A new empty table of {@code capacity} entries, counted in the off-heap bytes. */
    LongTable allocate(int capacity) {
        LongTable t = new LongTable(capacity, tablesBuilt++);
        offHeapBytes.addAndGet(t.bytes());
        return t;
    }

    /**
     * Builds a table of {@code capacity} with the live entries of {@code t}, each placed from {@code home} (its key
     * word's first slot, before masking), and publishes it (writer lock). The caller retires {@code t} once it has
     * released the lock. Pending entries die with {@code t}.
     */
    LongTable rebuild(LongTable t, int capacity, LongToIntFunction home) {
        LongTable next = allocate(capacity);
        for (int slot = 0; slot < t.capacity; slot++) {
            long word = t.keyPlain(slot);
            if (!isState(word)) {
                int to = home.applyAsInt(word) & next.mask;
                while (next.keyPlain(to) != EMPTY) {
                    to = (to + 1) & next.mask;
                }
                next.valuePlain(to, t.valuePlain(slot));
                next.keyRelease(to, word);   // unpublished table; the map's srTable publishes it
            }
        }
        next.live = t.live;
        next.used = t.live;
        publish(next);
        return next;
    }

    /** Makes {@code next} current (writer lock). */
    void publish(LongTable next) {
        publisher.accept(next);   // the map's srTable: release; pairs with the getAcquire in readers
        resizes++;
    }

    /** Keeps {@code old} for {@link #takeRetired} (writer lock). */
    void retireLater(LongTable old) {
        assert retiredUnderLock == null;
        retiredUnderLock = old;
    }

    /** The table kept by {@link #retireLater}, or null; forgets it (writer lock). */
    LongTable takeRetired() {
        LongTable old = retiredUnderLock;
        retiredUnderLock = null;
        return old;
    }

    /** Releases {@code t}'s memory after a grace period (no lock held); nothing for null or CLOSED. */
    void retire(LongTable t) {
        if (t == null || t == LongTable.CLOSED) {
            return;
        }
        if (flavor.isClosed()) {
            free(t);
            return;
        }
        try {
            rcu.call(() -> free(t));
        } catch (IllegalStateException closing) {
            flavor.checkCanBlock(mapName + " releasing a table while " + flavor.name() + " closes");
            flavor.awaitGracePeriodOrClose();
            free(t);
        }
    }

    /** Releases {@code t}'s memory now: the caller has waited for every reader that could hold it. */
    void free(LongTable t) {
        t.arena.close();
        offHeapBytes.addAndGet(-t.bytes());
    }

    /** Off-heap bytes of the current table and the old ones not yet released. */
    long offHeapBytes() {
        return offHeapBytes.get();
    }

    /** Tables built after the first (writer lock). */
    long resizes() {
        return resizes;
    }
}
