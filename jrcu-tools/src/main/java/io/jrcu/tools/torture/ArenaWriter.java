package io.jrcu.tools.torture;

import io.jrcu.Rcu;
import io.jrcu.RcuArena;
import io.jrcu.RcuReference;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A torture writer for the {@code arena} mode: allocates a segment from the run's {@link RcuArena}, fills it with
 * the pattern of a new generation, publishes it in a random slot and frees the segment it replaced; the arena must
 * not poison or reuse that memory before a grace period.
 */
final class ArenaWriter implements Runnable {
    /*
     * Loop:
     *   s = arena.allocate(size)                 16 B .. 4 KiB, now and then larger than a chunk (SegmentSlots)
     *   fill s with the pattern of (this writer, ++update)
     *   old = slot[random].getAndSet(s)          volatile; pairs with the readers' acquire get()
     *   arena.free(old)                          the arena defers the reuse past a grace period
     *   every FREE_BUDGET bytes freed: rcu.synchronize()
     *
     * The arena's frees never block, so without the last line a writer could free faster than grace periods
     * complete (a thousand virtual readers can stretch one to milliseconds) and the memory pending would grow with
     * the run. Waiting for a grace period after each FREE_BUDGET bytes makes everything freed before it eligible,
     * which bounds bytesReserved (SegmentSlots.reservedBound); the writer samples the arena's stats every
     * STATS_EVERY updates for the peak. (With skip-reader-wait the wait ends at once: no brake, as intended.)
     */

    /** Bytes a writer frees between two grace periods it waits for. */
    static final long FREE_BUDGET = 512 * 1024;
    private static final int STATS_EVERY = 256;
    private static final int UPDATES = 0, LARGE = 1, GRACE_PERIODS = 2, COUNTERS = 3;

    private final Torture torture;
    private final Rcu rcu;
    private final SegmentSlots slots;
    private final int index;
    private final OwnerCounters counts = new OwnerCounters(COUNTERS);
    /** Plain: the owner's; read only after it was joined. */
    private long peakReserved;

    ArenaWriter(Torture torture, Rcu rcu, SegmentSlots slots, int index) {
        this.torture = torture;
        this.rcu = rcu;
        this.slots = slots;
        this.index = index;
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

    /** The largest {@code bytesReserved} this writer saw; exact once it was joined. */
    long peakReserved() {
        return peakReserved;
    }
}
