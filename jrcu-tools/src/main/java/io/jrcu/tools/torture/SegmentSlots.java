package io.jrcu.tools.torture;

import io.jrcu.Rcu;
import io.jrcu.RcuReference;
import io.jrcu.arena.ArenaStats;
import io.jrcu.arena.RcuArena;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The shared state of an {@code arena} or {@code arena-fast} run: one {@link RcuArena} and a few slots, each an
 * {@link RcuReference} to a published segment that carries a {@link SegmentPattern}. Writers replace a slot's
 * segment and free the old one; readers check every byte of the segment they loaded. For {@code arena} the arena is in
 * debug mode (freed memory is poisoned after its grace period, before reuse; no thread caches); for
 * {@code arena-fast} it is not, so writers allocate from and free into their per-thread caches, and memory reused
 * too early shows as another generation's pattern.
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
    /**
     * Size classes a request of 16 B to {@link #MAX_SMALL_SIZE} lands in, each cached per thread by a non-debug
     * arena: 16-byte steps to 128 (8), then four per doubling up to 4 KiB (5 doublings, 20). Large requests go to
     * dedicated allocations, which no cache holds.
     */
    static final int CACHED_CLASSES = 28;
    /** What RcuArena documents a thread's magazine of one size class holds at most (non-debug arenas). */
    static final long MAGAZINE_BYTES = 32 * 1024;
    /**
     * What RcuArena documents a thread collects of its frees before it queues them (non-debug arenas): it queues them
     * once they reach 64 KiB, so they stay below that before the last free, which adds at most one block
     * ({@link #MAX_SMALL_SIZE}: the larger segments skip the cache).
     */
    static final long COLLECTED_BYTES = 64 * 1024 + MAX_SMALL_SIZE;

    private final RcuArena arena;
    /** Debug checks (poison, quarantine, no thread caches): the {@code arena} mode; else {@code arena-fast}. */
    private final boolean debug;
    private final RcuReference<MemorySegment>[] slots;

    /**
     * The arena and its slots, whose first segments the calling thread allocates (on a non-debug arena: from its
     * thread cache, which then keeps the rest of what it took for the run).
     */
    @SuppressWarnings("unchecked") // an array of a generic class
    SegmentSlots(Rcu rcu, String name, boolean debug) {
        this.debug = debug;
        // the quarantine is a debug setting: a non-debug arena ignores it
        arena = RcuArena.builder(rcu).name(name).chunkSize(CHUNK_SIZE).debug(debug).quarantine(QUARANTINE_BLOCKS)
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
     * freeing {@code freeBudget} bytes. Memory carved for a size class stays with it, and a class carves a new slab
     * only when none of its blocks is free (after reclaiming what has passed its grace period): all of them are then in
     * use, pending, in the debug quarantine, or in some thread's magazine. Blocks that exist at once: the published and
     * in-hand segments; what was freed and is not yet past a grace period the writers waited for; and what is held out
     * of reuse besides, which differs by mode (below). Doubled for size-class rounding (at most 20%) and for slabs only
     * partly used, plus one partly used chunk-sized slab per size class. An arena that never reuses memory passes this
     * within a second of a run.
     *
     * <p>Debug ({@code arena}): the quarantine, {@link #QUARANTINE_BLOCKS} blocks of at most {@link #MAX_SMALL_SIZE}.
     *
     * <p>Non-debug ({@code arena-fast}), per thread that allocates or frees: a writer's frees wait in its cache until
     * it has collected 64 KiB (or 256 frees, or it refills a magazine), and only then are queued under a cookie, so
     * at a writer's brake up to {@link #COLLECTED_BYTES} of its earlier frees are not yet queued and wait for a
     * grace period after the next one; that counts as pending, per writer, inside the doubling. Magazines hold free
     * blocks only their own thread may allocate: at most {@link #MAGAZINE_BYTES} per cached size class, in each of
     * the {@link #CACHED_CLASSES} classes the torture's requests land in, for each writer and for the thread that
     * allocated the slots' first segments (it stays alive, so its magazines are never recovered). A magazine is
     * within that at every moment, so the sum of the per-class peaks is too: it is added once, outside the
     * doubling. The thread that frees the last segments after the run (see {@link #freeAll}) only adds to what is
     * pending, and carves nothing.
     */
    long reservedBound(int writers, long freeBudget) {
        long live = (SLOTS + writers) * MAX_LARGE_SIZE;
        long pending = writers * (freeBudget + MAX_LARGE_SIZE);
        if (debug) {
            long quarantine = QUARANTINE_BLOCKS * MAX_SMALL_SIZE;
            return 2 * (live + pending + quarantine) + SIZE_CLASSES * CHUNK_SIZE;
        }
        long collected = writers * COLLECTED_BYTES;
        long magazines = (writers + 1L) * CACHED_CLASSES * MAGAZINE_BYTES;
        return 2 * (live + pending + collected) + magazines + SIZE_CLASSES * CHUNK_SIZE;
    }

    /** Whether writers go through per-thread caches ({@code arena-fast}): a non-debug arena. */
    boolean threadCaches() {
        return !debug;
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
