package io.jrcu.arena;

/**
 * A snapshot of an {@link RcuArena}'s memory, from {@link RcuArena#stats()}. When no allocate or free runs
 * concurrently, {@code bytesReserved == bytesInUse + bytesPendingFree + bytesFree}; under concurrency the counters
 * are read one by one and may disagree by a few operations in flight.
 *
 * @param bytesReserved    native memory obtained from the system: chunks and dedicated large allocations
 * @param bytesInUse       bytes of allocated blocks (each counted at its size class, or its own size if dedicated)
 * @param bytesPendingFree bytes freed and not yet reclaimed: collected in a thread's cache or queued, waiting for a
 *                         grace period or for the next reclaim after it (or, with
 *                         {@link RcuArena.Builder#debug debug}, in quarantine)
 * @param bytesFree        reserved bytes ready for reuse: free blocks (on the free lists, or kept by threads in
 *                         their magazines and stashes) and chunk space not yet carved into blocks
 */
public record ArenaStats(long bytesReserved, long bytesInUse, long bytesPendingFree, long bytesFree) {
}
