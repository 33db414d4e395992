package io.jrcu.arena;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The chunks of an arena, sorted by base address, for lock-free lookups of the slab holding an address; and the
 * carving of new slabs from them.
 */
final class ChunkTable {
    /*
     * Layout: ArenaLayout (chunks -> page-aligned slabs of one size class -> blocks). Chunks come from one shared
     * Arena; a slab is carved from the first chunk with room, else from a new chunk.
     *
     * Ordering: `chunks` is a copy-on-write array published by a volatile store under `lock`; a chunk's page table
     * entries are written under `lock` before the slab's first block is handed out by its class lock, and a free of
     * that block happens after the allocate that returned it. The shared arena is closed under `lock`, and carve
     * checks the owner's `closed` under it: no chunk is allocated after the close.
     */

    private final long chunkSize;
    private final Ledger ledger;
    /** The arena the chunks come from; closed by {@link #close}. */
    final Arena arena = Arena.ofShared();
    private final ReentrantLock lock = new ReentrantLock();
    /** Replaced (copy-on-write) under {@code lock}; volatile for lock-free lookups. */
    private volatile Chunk[] chunks = new Chunk[0];

    ChunkTable(long chunkSize, Ledger ledger) {
        this.chunkSize = chunkSize;
        this.ledger = ledger;
    }

    /** The slab holding {@code address}, or null: a binary search of the chunks, then a page table. */
    Slab slabOf(long address) {
        Chunk[] cs = chunks;   // volatile; pairs with the volatile store in newChunk
        int lo = 0;
        int hi = cs.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Chunk c = cs[mid];
            if (address < c.base) {
                hi = mid - 1;
            } else if (address >= c.base + chunkSize) {
                lo = mid + 1;
            } else {
                return c.pages[(int) ((address - c.base) >>> ArenaLayout.PAGE_SHIFT)];
            }
        }
        return null;
    }

    /** slabOf, trying {@code last} first (consecutive frees often share a slab). */
    Slab slabOf(long address, Slab last) {
        return last != null && address - last.base >= 0 && address - last.base < last.bytes
                ? last : slabOf(address);
    }

    /**
     * A new slab for {@code sc}, from the first chunk with room, else a new chunk.
     *
     * @throws IllegalStateException if {@code owner} is closed (checked under the lock its close takes)
     */
    Slab carve(SizeClass sc, RcuArena owner) {
        long bytes = Math.min(ArenaLayout.slabBytes(sc.index), chunkSize);  // small chunks: a slab is the chunk
        lock.lock();
        try {
            owner.checkOpen("allocate");
            Chunk chunk = null;
            for (Chunk c : chunks) {
                if (chunkSize - c.carved >= bytes) {
                    chunk = c;
                    break;
                }
            }
            if (chunk == null) {
                chunk = newChunk();
            }
            long offset = chunk.carved;
            chunk.carved += bytes;
            // the page slack after blocksPerSlab blocks may hold more blocks: use it
            Slab slab = new Slab(chunk, chunk.base + offset, sc, (int) (bytes / sc.blockSize));
            int first = (int) (offset >>> ArenaLayout.PAGE_SHIFT);
            int last = (int) ((offset + bytes) >>> ArenaLayout.PAGE_SHIFT);
            Arrays.fill(chunk.pages, first, last, slab);  // before the slab's first block is handed out (class lock)
            return slab;
        } finally {
            lock.unlock();
        }
    }

    private Chunk newChunk() {
        MemorySegment segment = arena.allocate(chunkSize, ArenaLayout.PAGE);
        Chunk chunk = new Chunk(segment, (int) (chunkSize >>> ArenaLayout.PAGE_SHIFT));
        Chunk[] old = chunks;
        Chunk[] next = Arrays.copyOf(old, old.length + 1);
        int at = old.length;
        while (at > 0 && next[at - 1].base > chunk.base) {
            next[at] = next[at - 1];
            at--;
        }
        next[at] = chunk;
        chunks = next;   // volatile store; pairs with the volatile load in slabOf
        ledger.chunkBytes.addAndGet(chunkSize);
        return chunk;
    }

    /** Releases every chunk (closes the shared arena) under the lock carve takes. */
    void close() {
        lock.lock();
        try {
            arena.close();
        } finally {
            lock.unlock();
        }
        ledger.chunkBytes.set(0);
    }
}
