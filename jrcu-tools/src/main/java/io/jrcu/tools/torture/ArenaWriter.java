package io.jrcu.tools.torture;

import io.jrcu.Rcu;
import io.jrcu.RcuReference;
import io.jrcu.arena.RcuArena;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A torture writer for the {@code arena} and {@code arena-fast} modes: allocates a segment from the run's
 * {@link RcuArena}, fills it with the pattern of a new generation, publishes it in a random slot and frees the segment
 * it replaced; the arena must not poison or reuse that memory before a grace period.
 */
final class ArenaWriter implements Runnable {
    /*
     * Loop:
     *   s = arena.allocate(size)                 16 B .. 4 KiB, now and then larger than a chunk (SegmentSlots)
     *   fill s with the pattern of (this writer, ++update)
     *   old = slot[random].getAndSet(s)          volatile; pairs with the readers' acquire get()
     *   arena.free(old)                          the arena defers the reuse past a grace period
     *   every FREE_BUDGET bytes freed: rcu.synchronize()
     *   arena-fast, writer 0, every FLUSH_EVERY updates: arena.flushThreadCache()
     *
     * The arena's frees never block, so without the last line a writer could free faster than grace periods
     * complete (a thousand virtual readers can stretch one to milliseconds) and the memory pending would grow with
     * the run. Waiting for a grace period after each FREE_BUDGET bytes makes everything freed before it eligible,
     * which bounds bytesReserved (SegmentSlots.reservedBound); the writer samples the arena's stats every
     * STATS_EVERY updates for the peak. (With skip-reader-wait the wait ends at once: no brake, as intended.)
     * In arena-fast the arena has per-thread caches: a free is first collected in the writer's cache and queued
     * (under a cookie) with the next 64 KiB of frees, so what was collected at a brake waits for a later grace
     * period; reservedBound counts it, and the free blocks the writer's magazines keep.
     *
     * flushThreadCache: the arena recovers a cache when its thread ends, or hands it back when its thread asks.
     * Writer 0 asks every FLUSH_EVERY updates (its collected frees are queued at once, its magazines go back to the
     * shared free lists and refill on the next allocations), so a run exercises a cache handed back mid-batch next to
     * one (with several writers) that never is; FLUSH_EVERY is a few refills of the busiest classes.
     */

    /** Bytes a writer frees between two grace periods it waits for. */
    static final long FREE_BUDGET = 512 * 1024;
    private static final int STATS_EVERY = 256;
    /** arena-fast: writer 0 hands its thread cache back every this many updates. */
    static final int FLUSH_EVERY = 1000;
    private static final int UPDATES = 0, LARGE = 1, GRACE_PERIODS = 2, CACHE_FLUSHES = 3, COUNTERS = 4;

    private final Torture torture;
    private final Rcu rcu;
    private final SegmentSlots slots;
    private final int index;
    /** arena-fast, writer 0: calls flushThreadCache() every FLUSH_EVERY updates. */
    private final boolean flushesCache;
    private final OwnerCounters counts = new OwnerCounters(COUNTERS);
    /** Plain: the owner's; read only after it was joined. */
    private long peakReserved;

    ArenaWriter(Torture torture, Rcu rcu, SegmentSlots slots, int index) {
        this.torture = torture;
        this.rcu = rcu;
        this.slots = slots;
        this.index = index;
        this.flushesCache = slots.threadCaches() && index == 0;
    }

    @Override
    public void run() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        RcuArena arena = slots.arena();
        long sequence = 0;
        long freedSinceGracePeriod = 0;
        while (!torture.stopping()) {
            long size = SegmentSlots.nextSize(random);
            MemorySegment fresh = arena.allocate(size);
            SegmentPattern.fill(fresh, SegmentPattern.generation(index, ++sequence));
            RcuReference<MemorySegment> slot = slots.slot(random.nextInt(slots.count()));
            MemorySegment old = slot.getAndSet(fresh); // volatile; pairs with the readers' acquire get()
            arena.free(old);
            counts.increment(UPDATES);
            if (size > SegmentSlots.CHUNK_SIZE) {
                counts.increment(LARGE);
            }
            freedSinceGracePeriod += old.byteSize();
            if (freedSinceGracePeriod >= FREE_BUDGET) {
                rcu.synchronize();
                counts.increment(GRACE_PERIODS);
                freedSinceGracePeriod = 0;
            }
            if (flushesCache && sequence % FLUSH_EVERY == 0) {
                arena.flushThreadCache();
                counts.increment(CACHE_FLUSHES);
            }
            if (sequence % STATS_EVERY == 0) {
                peakReserved = Math.max(peakReserved, arena.stats().bytesReserved());
            }
        }
        peakReserved = Math.max(peakReserved, arena.stats().bytesReserved());
    }

    /** Segments published so far. */
    long updates() {
        return counts.get(UPDATES);
    }

    /** Segments larger than a chunk published so far. */
    long largeUpdates() {
        return counts.get(LARGE);
    }

    /** Grace periods this writer waited for (its brake). */
    long gracePeriods() {
        return counts.get(GRACE_PERIODS);
    }

    /** Times this writer handed its thread cache back (arena-fast, writer 0). */
    long cacheFlushes() {
        return counts.get(CACHE_FLUSHES);
    }

    /** The largest {@code bytesReserved} this writer saw; exact once it was joined. */
    long peakReserved() {
        return peakReserved;
    }
}
