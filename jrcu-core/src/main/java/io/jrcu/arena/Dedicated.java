package io.jrcu.arena;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An arena's dedicated allocations: requests larger than a chunk (or aligned to more than a page), each in its own
 * shared {@link Arena}, closed after the grace period of its free. A free flips the allocation's flag (CAS, so
 * exactly one of racing frees wins) and moves its bytes from in use to pending; the arena's deferred queue then hands
 * its address to {@link #release}. The map is concurrent; the ledger's counters are atomic.
 */
final class Dedicated {

    /** One allocation: its arena, its bytes (at least one), and whether it was freed. */
    private record Allocation(Arena arena, long bytes, AtomicBoolean freed) {
    }

    private final ConcurrentHashMap<Long, Allocation> allocations = new ConcurrentHashMap<>();
    private final Ledger ledger;

    Dedicated(Ledger ledger) {
        this.ledger = ledger;
    }

    /** A dedicated allocation for {@code owner}; undone and refused if {@code owner} closed meanwhile. */
    MemorySegment allocate(long byteSize, long byteAlignment, RcuArena owner) {
        Arena own = Arena.ofShared();
        MemorySegment segment;
        try {
            segment = own.allocate(byteSize, byteAlignment);
        } catch (RuntimeException | OutOfMemoryError e) {
            own.close();
            throw e;
        }
        long bytes = Math.max(byteSize, 1);
        allocations.put(segment.address(), new Allocation(own, bytes, new AtomicBoolean()));
        ledger.dedicatedReserved.addAndGet(bytes);
        ledger.dedicatedInUse.addAndGet(bytes);
        if (owner.isClosed()) {   // raced close(), which may have released everything already: undo
            Allocation d = allocations.remove(segment.address());
            if (d != null) {
                ledger.dedicatedInUse.addAndGet(-bytes);
                ledger.dedicatedReserved.addAndGet(-bytes);
                d.arena.close();
            }
            throw owner.closedException("allocate");
        }
        return segment;
    }

    /** Marks the allocation {@code segment} starts freed; throws if it is not one of these, or freed already. */
    void free(MemorySegment segment, long address, RcuArena owner) {
        Allocation d = allocations.get(address);
        if (d == null || !segment.scope().equals(d.arena.scope())) {
            throw owner.notAllocatedHere(segment, "it belongs to another arena");
        }
        if (segment.byteSize() > d.bytes) {
            throw owner.notAllocatedHere(segment, "it is larger than the allocation it starts at (" + d.bytes
                    + " bytes)");
        }
        if (!d.freed.compareAndSet(false, true)) {  // exactly one of racing frees wins
            throw new IllegalStateException("RcuArena '" + owner.name + "': dedicated segment at 0x"
                    + Long.toHexString(address) + " (" + d.bytes + " bytes) is already freed (double free)");
        }
        ledger.dedicatedInUse.addAndGet(-d.bytes);
        ledger.dedicatedPending.addAndGet(d.bytes);
    }

    /** The grace period of the free of the allocation at {@code address} has passed: releases its memory. */
    void release(long address) {
        Allocation d = allocations.remove(address);
        if (d == null) {
            return;       // close() released it meanwhile
        }
        ledger.dedicatedPending.addAndGet(-d.bytes);
        ledger.dedicatedReserved.addAndGet(-d.bytes);
        d.arena.close();   // no reader can hold it any more: its grace period has passed
    }

    /** Releases every allocation (the arena's close). */
    void closeAll() {
        for (Allocation d : allocations.values()) {
            d.arena.close();
        }
        allocations.clear();
        ledger.dedicatedInUse.set(0);
        ledger.dedicatedReserved.set(0);
    }
}
