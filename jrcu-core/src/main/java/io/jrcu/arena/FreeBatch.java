package io.jrcu.arena;

/**
 * Frees one thread collected, queued as one entry under one cookie: the blocks' addresses. Addresses rather than
 * Slab references: a reference store into a long-lived array costs G1's post-write barrier, whose StoreLoad fence
 * (taken when the array is not young and the referent lies in another region) waits like the CAS for the block's
 * pending write; a long store needs no barrier.
 */
final class FreeBatch {
    /** A thread queues its frees once it has collected this many ... */
    static final int PENDING_MAX = 256;
    /** ... or this many bytes (so a thread that stops freeing strands little). */
    static final long PENDING_BYTES = 64 * 1024;

    final long[] addresses = new long[PENDING_MAX];
    int count;
    long bytes;

    void clear() {
        count = 0;
        bytes = 0;
    }
}
