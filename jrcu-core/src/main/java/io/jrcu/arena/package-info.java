/**
 * Off-heap memory whose free waits for readers: {@link io.jrcu.arena.RcuArena} and its
 * {@link io.jrcu.arena.ArenaStats}. Start with {@link io.jrcu.arena.RcuArena#create(io.jrcu.Rcu)}.
 *
 * <p>Internally, the arena is a facade over its parts, each a package-private class with its own overview:
 * {@code ThreadCache} (a thread's magazines, stash and queue of batched frees), {@code CacheSlots} (the caches by
 * thread id, for the fast paths), {@code SizeClass} and
 * {@code BlockStack} (a class's free list and slabs), {@code ChunkTable}, {@code Chunk} and {@code Slab} (carving and
 * address lookup, a block's state byte), {@code ArenaLayout} (the off-heap layout descriptor), {@code Ledger} (the
 * counters) and {@code Dedicated} (allocations larger than a chunk). Deferred frees go through
 * {@code io.jrcu.internal.DeferRing}. Non-plain accesses follow the access-mode naming table of the {@code io.jrcu}
 * package documentation.
 */
package io.jrcu.arena;
