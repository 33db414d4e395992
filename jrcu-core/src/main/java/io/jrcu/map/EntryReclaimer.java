package io.jrcu.map;

import io.jrcu.Rcu;
import io.jrcu.internal.DeferRing;

import java.util.function.Supplier;

import static io.jrcu.map.RcuLongMapDescriptor.EMPTY;
import static io.jrcu.map.RcuLongMapDescriptor.FREE;

/**
 * The reclamation of the removed entries of an {@link RcuLongMap} or an {@link RcuBytesMap}: a FIFO of DELETED
 * entries stamped with their cookies, each freed once its grace period has passed (FREE, or EMPTY with the FREE run
 * before it), in a writer's context and never waiting. Used by the map's writer ({@link LongMapWriter},
 * {@link BytesMapWriter}) under its writer lock only.
 */
final class EntryReclaimer {
    /*
     *   remove:   key = DELETED (release, the writer's unlink); ring += (cookie, generation|slot)
     *   reclaim:  ring frees entries whose cookie has passed: of the current table's generation only, key(slot) =
     *             FREE (release); if the next entry is EMPTY, this entry and the FREE run before it become EMPTY
     *
     * The FIFO is the library's queue core, a DeferRing of longs (DeferRing.ofLongs): it stamps each entry with
     * deferCookie() when it is enqueued, frees in batches from the head in the caller's context without waiting
     * (reclaimSome), may start the head's grace period when the map is out of room, and allocates nothing at a stable
     * size (it keeps up to SPARE_CHUNKS emptied chunks, and one batch array). The map enqueues and reclaims under its
     * writer lock only (a single producer; the ring's consumer lock is uncontended) and never closes the ring: its
     * entries are slot numbers, nothing to release, and the ring is dropped with the map. An entry names its table's
     * generation as well as the slot, because a rebuild cannot take entries out of the ring: a slot of an older table
     * is ignored when freed (the old table's tombstones die with it).
     *
     * Memory ordering: the key words' release stores pair with the readers' keyAcquire (RcuLongMap's table); the grace
     * period orders a reader's loads before the FREE store of an entry it saw (the cookie is taken after the DELETED
     * store). Nothing is padded: used under the writer lock only.
     */

    /**
     * Emptied chunks of the queue of removed entries kept for reuse (256 KiB at most): removals pile up between
     * grace periods (thousands per millisecond at full speed) and drain after each, and a queue that kept fewer
     * chunks than that swing would allocate on every swing.
     */
    private static final int SPARE_CHUNKS = 64;

    /** The map's current table (the map's laTable). */
    private final Supplier<LongTable> current;
    /**
     * DELETED entries ({@link LongTable#pendingEntry}) stamped with their cookies, in removal order (enqueued and
     * reclaimed under the writer lock; DEFER_QUEUE only).
     */
    private final DeferRing<Void> pendingSlots;

    EntryReclaimer(Supplier<LongTable> current, Rcu rcu, String mapName) {
        this.current = current;
        this.pendingSlots = DeferRing.ofLongs(rcu, this::reclaimed, new DeferRing.Settings(mapName,
                Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, true, false, SPARE_CHUNKS));
    }

    /** Queues the DELETED entry at {@code slot} of {@code t}, stamped with a cookie taken now (writer lock). */
    void enqueue(LongTable t, int slot) {
        try {
            pendingSlots.enqueueLong(t.pendingEntry(slot));   // the cookie is taken after the DELETED store
        } catch (IllegalStateException domainClosing) {
            // the entry stays DELETED: never reused in this table, dropped by the next rebuild
        }
    }

    /**
     * Frees up to {@code max} tombstones whose grace period has passed, oldest first, completing a grace period
     * already started but starting none (writer lock).
     */
    void reclaimPassed(int max) {
        pendingSlots.reclaimSome(max, false);
    }

    /**
     * Out of room (writer lock): frees every tombstone whose grace period has passed, whatever it takes short of
     * waiting (it may start the oldest entry's grace period).
     */
    void reclaimAllPassed() {
        pendingSlots.reclaimSome(Integer.MAX_VALUE, true);
    }

    /** Still out of room (writer lock): the domain thread drives the oldest entry's grace period from now on. */
    void requestOldest() {
        pendingSlots.requestOldest();
    }

    /** The ring's free function (writer lock: the map reclaims only under it): frees the current table's entries. */
    private void reclaimed(long[] entries, int count) {
        LongTable t = current.get();   // the map's laTable: acquire; pairs with srTable
        for (int i = 0; i < count; i++) {
            if (t.holds(entries[i])) {
                markFree(t, LongTable.slotOf(entries[i]));
            }
        }
    }

    /** A DELETED entry whose grace period has passed becomes FREE, or EMPTY with its FREE run (writer lock). */
    static void markFree(LongTable t, int slot) {
        t.pending--;
        int mask = t.mask;
        if (t.keyPlain((slot + 1) & mask) != EMPTY) {
            t.keyRelease(slot, FREE);   // release; pairs with the keyAcquire in readers (still not a key)
            return;
        }
        t.keyRelease(slot, EMPTY);   // release; pairs with the keyAcquire in readers (invariant 2 holds)
        t.used--;
        for (int s = (slot - 1) & mask; t.keyPlain(s) == FREE; s = (s - 1) & mask) {
            t.keyRelease(s, EMPTY);   // release; as above
            t.used--;
        }
    }
}
