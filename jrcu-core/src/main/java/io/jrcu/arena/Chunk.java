package io.jrcu.arena;

import java.lang.foreign.MemorySegment;

/**
 * One chunk of an arena's shared {@link java.lang.foreign.Arena}: {@link ArenaLayout#PAGE}-aligned, carved from
 * its start into slabs, with a page table naming the slab that covers each page. Written under the
 * {@link ChunkTable}'s lock; the page table is read without it by lookups of blocks that were handed out after their
 * slab's entries were written.
 */
final class Chunk {
    final MemorySegment segment;
    final long base;
    /** The slab covering each page; null for pages not carved. Written under the table's lock. */
    final Slab[] pages;
    /** Bytes carved from the start; under the table's lock. */
    long carved;

    Chunk(MemorySegment segment, int pageCount) {
        this.segment = segment;
        this.base = segment.address();
        this.pages = new Slab[pageCount];
    }
}
