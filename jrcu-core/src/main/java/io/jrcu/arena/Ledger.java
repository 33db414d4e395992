package io.jrcu.arena;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The counters, apart from the arena so that the Cleaner's action can report an arena dropped without close():
 * its native memory is never released (a shared arena is closed only explicitly).
 */
final class Ledger implements Runnable {
    /*
     * Counters: per class, `allocated` (shared path, atomic add), `freed` (shared path, atomic add) and `reclaimed`
     * (under the class lock, release); per cache, allocatedBytes, freedBytes and reclaimedBytes (into its magazines
     * and stash; a drained stash block is not counted again). stats() reads reclaimed before freed before allocated,
     * so that no difference goes negative: in-use = allocated - freed, pending = freed - reclaimed.
     *
     * The registry of thread caches (`caches`) is copy-on-write under this ledger's monitor (the registry lock), and
     * published by a volatile store for stats() and the reclaims of other threads' queues.
     */

    private final String name;
    final SizeClass[] classes;
    final AtomicLong chunkBytes = new AtomicLong();
    final AtomicLong dedicatedReserved = new AtomicLong();
    final AtomicLong dedicatedInUse = new AtomicLong();
    final AtomicLong dedicatedPending = new AtomicLong();
    /** The registered thread caches; copy-on-write under this ledger's monitor, volatile for stats(). */
    volatile ThreadCache[] caches = new ThreadCache[0];
    /** Bytes allocated / freed through the caches of ended threads (their counters, folded in). */
    final AtomicLong retiredAllocated = new AtomicLong();
    final AtomicLong retiredFreed = new AtomicLong();
    final AtomicLong retiredReclaimed = new AtomicLong();
    volatile boolean closed;

    Ledger(String name, SizeClass[] classes) {
        this.name = name;
        this.classes = classes;
    }

    ArenaStats stats() {
        if (closed) {
            return new ArenaStats(0, 0, 0, 0);
        }
        synchronized (this) {   // the registry lock: a cache retired meanwhile is counted exactly once
            return statsOfRegistry();
        }
    }

    private ArenaStats statsOfRegistry() {
        // each count is read before those it follows (reclaimed before freed before allocated), so that a block's
        // later stages are never counted without its earlier ones: no term goes negative
        ThreadCache[] cs = caches;   // volatile load; pairs with the store in register()
        long reclaimed = retiredReclaimed.get();
        for (ThreadCache tc : cs) {
            reclaimed += tc.reclaimedBytes();
        }
        for (SizeClass sc : classes) {
            reclaimed += sc.reclaimedBlocks() * sc.blockSize;
        }
        long freed = retiredFreed.get();
        long allocated = retiredAllocated.get();
        for (ThreadCache tc : cs) {
            freed += tc.freedBytes();
        }
        for (SizeClass sc : classes) {
            freed += sc.freedBlocks() * sc.blockSize;
        }
        for (ThreadCache tc : cs) {
            allocated += tc.allocatedBytes();
        }
        for (SizeClass sc : classes) {
            allocated += sc.allocatedBlocks() * sc.blockSize;
        }
        long inUse = dedicatedInUse.get() + Math.max(0, allocated - freed);
        long pending = dedicatedPending.get() + Math.max(0, freed - reclaimed);
        long reserved = chunkBytes.get() + dedicatedReserved.get();
        return new ArenaStats(reserved, inUse, pending, Math.max(0, reserved - inUse - pending));
    }

    /** Folds the counters of an ended thread's recovered cache in and drops it (under this ledger's monitor). */
    void retire(ThreadCache tc) {
        retiredAllocated.addAndGet(tc.allocatedBytes());
        retiredFreed.addAndGet(tc.freedBytes());
        retiredReclaimed.addAndGet(tc.reclaimedBytes());
    }

    @Override
    public void run() {
        if (!closed) {
            ArenaStats s = stats();
            System.getLogger("io.jrcu").log(System.Logger.Level.WARNING, "jrcu: RcuArena '" + name
                    + "' was garbage-collected without close(): " + s.bytesReserved()
                    + " bytes of native memory are never released (" + s.bytesInUse() + " in use, "
                    + s.bytesPendingFree() + " pending free)");
        }
    }
}
