package io.jrcu.tools.torture;

import io.jrcu.ArenaStats;
import io.jrcu.Rcu;
import io.jrcu.RcuArena;
import io.jrcu.RcuReference;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The shared state of an {@code arena} run: one {@link RcuArena} in debug mode (freed memory is poisoned after its
 * grace period, before reuse) and a few slots, each an {@link RcuReference} to a published segment that carries a
 * {@link SegmentPattern}. Writers replace a slot's segment and free the old one; readers check every byte of the
 * segment they loaded.
 */
final class SegmentSlots {
    /*
     * Sizes: log-uniform from 16 bytes to 4 KiB (a power-of-two range picked uniformly, then a size uniformly in
     * it), so small classes are reused often and every class up to 4 KiB is exercised; one update in
     * LARGE_IN_UPDATES asks for more than a chunk (CHUNK_SIZE is small on purpose), which the arena must serve with
     * a dedicated allocation and free after a grace period like any block.
     *
     * Several slots: writers pick one at random per update, so with several writers two of them rarely contend on
     * one slot, and a reader's segment is replaced about once every SLOTS updates (long-lived enough to be read
     * whole, short-lived enough that a broken grace period frees it under many readers). getAndSet hands each
     * replaced segment to exactly one writer, who frees it exactly once.
     */

    static final int SLOTS = 4;
    /** Small on purpose, so that occasional large requests exceed it. */
    static final long CHUNK_SIZE = 64 * 1024;
    static final int MIN_SIZE_LOG2 = 4;   // 16 bytes = SegmentPattern.HEADER_BYTES
    static final int MAX_SIZE_LOG2 = 12;  // 4 KiB
    static final long MAX_SMALL_SIZE = 1L << MAX_SIZE_LOG2;
    static final int LARGE_IN_UPDATES = 1024;
    /** Large requests: above the chunk size, up to half a chunk more. */
    static final long MAX_LARGE_SIZE = CHUNK_SIZE + CHUNK_SIZE / 2;
    /**
     * Debug quarantine: poisoned blocks kept out of reuse for this many further frees (the arena's default, set
     * here so that {@link #reservedBound} can count it). Under a broken grace period it makes a reader see the
     * poison rather than a reused block's new pattern.
     */
    static final int QUARANTINE_BLOCKS = 1024;
    /**
     * Size classes up to a 64 KiB chunk (the arena has 44: 16-byte steps to 128, then four per doubling), rounded
     * up; each may hold a partly used slab of up to a chunk.
     */
    static final int SIZE_CLASSES = 64;

    private final RcuArena arena;
    private final RcuReference<MemorySegment>[] slots;

    @SuppressWarnings("unchecked") // an array of a generic class
    SegmentSlots(Rcu rcu, String name) {
        arena = RcuArena.builder(rcu).name(name).chunkSize(CHUNK_SIZE).debug(true).quarantine(QUARANTINE_BLOCKS)
                .build();
        slots = new RcuReference[SLOTS];
        for (int i = 0; i < SLOTS; i++) {
            MemorySegment first = arena.allocate(SegmentPattern.HEADER_BYTES << i);
            SegmentPattern.fill(first, SegmentPattern.generation(i, 0));
            slots[i] = new RcuReference<>(first); // release store; pairs with the readers' acquire get()
        }
    }

    RcuArena arena() {
        return arena;
    }

    int count() {
        return SLOTS;
    }

    RcuReference<MemorySegment> slot(int i) {
        return slots[i];
    }

    /** The size of a writer's next segment (see the overview). */
    static long nextSize(ThreadLocalRandom random) {
        if (random.nextInt(LARGE_IN_UPDATES) == 0) {
            return random.nextLong(CHUNK_SIZE + 1, MAX_LARGE_SIZE + 1);
        }
        int log2 = random.nextInt(MIN_SIZE_LOG2, MAX_SIZE_LOG2);
        return random.nextLong(1L << log2, (1L << (log2 + 1)) + 1);
    }

    /**
     * The most {@code bytesReserved} may reach with {@code writers} writers that each wait for a grace period after
     * freeing {@code freeBudget} bytes. Blocks that exist at once: the published and in-hand segments, what was
     * freed since each writer's last grace period, and the quarantine; doubled for size-class rounding (at most
     * 20%) and slabs only partly used, plus one partly used chunk-sized slab per size class. An arena that never
     * reuses memory passes this within a second of a run.
     */
    static long reservedBound(int writers, long freeBudget) {
        long live = (SLOTS + writers) * MAX_LARGE_SIZE;
        long pending = writers * (freeBudget + MAX_LARGE_SIZE);
        long quarantine = QUARANTINE_BLOCKS * MAX_SMALL_SIZE;
        return 2 * (live + pending + quarantine) + SIZE_CLASSES * CHUNK_SIZE;
    }

    /**
     * After the run, with every reader and writer joined: frees the segment of every slot and returns them. Then
     * nothing is in use.
     */
    List<MemorySegment> freeAll() {
        List<MemorySegment> freed = new ArrayList<>();
        for (RcuReference<MemorySegment> slot : slots) {
            MemorySegment s = slot.getAndSet(null); // volatile; every reader and writer was joined before
            arena.free(s);
            freed.add(s);
        }
        return freed;
    }

    ArenaStats stats() {
        return arena.stats();
    }
}
