package io.jrcu.arena;

/**
 * The off-heap layout of an {@link RcuArena}: every size and offset rule in one place.
 *
 * <pre>
 *   chunk (chunkSize bytes, a power of two, 4096-aligned, from the arena's Arena.ofShared())
 *   +---------------------+---------------------+-----//-----+-------------------+
 *   | slab of class a     | slab of class b     |    ...     | uncarved          |
 *   +---------------------+---------------------+-----//-----+-------------------+
 *   ^ base                ^ every slab starts on a PAGE (4096) boundary
 *
 *   slab of class c: blocksPerSlab(c) blocks of classSize(c) bytes, back to back, then tail slack up to the next
 *   page; block i starts at slab + i * classSize(c)
 *   +-------+-------+-------+-- ... --+-------+--------+
 *   | blk 0 | blk 1 | blk 2 |         | blk n | slack  |
 *   +-------+-------+-------+-- ... --+-------+--------+
 * </pre>
 *
 * <p>Size classes: 16-byte steps up to 128 bytes, then four classes per doubling (160, 192, 224, 256, 320, ...),
 * as jemalloc does: a request wastes at most 20% of its block (12.5% on average past 128 bytes), against 50% for
 * power-of-two classes, while the class of a size is computed in a few instructions. Classes go up to the chunk
 * size; larger requests get a dedicated allocation. A block's alignment is the largest power of two dividing its
 * class size (capped at {@link #PAGE}), because slabs start on page boundaries.
 */
final class ArenaLayout {
    /** Slabs start on page boundaries; the page table of a chunk has one entry per page. */
    static final int PAGE = 4096;
    static final int PAGE_SHIFT = 12;
    /** A slab holds at least this many bytes of blocks (or one block when the class is larger). */
    static final long SLAB_TARGET = 64 * 1024;
    /** Smallest block, and the step of the classes up to {@link #LINEAR_LIMIT}. */
    static final long QUANTUM = 16;
    /** Classes up to here are multiples of {@link #QUANTUM}; above, four per doubling. */
    static final long LINEAR_LIMIT = 128;
    private static final int LINEAR_CLASSES = (int) (LINEAR_LIMIT / QUANTUM);   // 16..128: indexes 0..7
    /** Default chunk size. */
    static final long DEFAULT_CHUNK = 1L << 20;
    /** Smallest chunk size accepted (one page). */
    static final long MIN_CHUNK = PAGE;
    /** Largest chunk size accepted (the page table of a chunk is an array indexed by int). */
    static final long MAX_CHUNK = 1L << 30;

    private ArenaLayout() {
    }

    /** The index of the smallest class that holds {@code size} bytes ({@code 0 < size}). */
    static int classIndex(long size) {
        if (size <= LINEAR_LIMIT) {
            return (int) ((size + QUANTUM - 1) / QUANTUM) - 1;
        }
        int p = 63 - Long.numberOfLeadingZeros(size - 1);        // 2^p < size <= 2^(p+1), p >= 7
        long step = 1L << (p - 2);
        int k = (int) ((size - (1L << p) + step - 1) >>> (p - 2)); // 1..4
        return LINEAR_CLASSES + (p - 7) * 4 + (k - 1);
    }

    /** The block size of class {@code index}. */
    static long classSize(int index) {
        if (index < LINEAR_CLASSES) {
            return (index + 1) * QUANTUM;
        }
        int above = index - LINEAR_CLASSES;
        int p = 7 + above / 4;
        int k = above % 4 + 1;
        return (1L << p) + ((long) k << (p - 2));
    }

    /** Number of classes up to and including {@code chunkSize} (a power of two, so it is a class size). */
    static int classCount(long chunkSize) {
        return classIndex(chunkSize) + 1;
    }

    /** The alignment every block of class {@code index} has. */
    static long classAlignment(int index) {
        return Math.min(PAGE, Long.lowestOneBit(classSize(index)));
    }

    /** Blocks per slab of class {@code index}. */
    static int blocksPerSlab(int index) {
        long size = classSize(index);
        return (int) Math.max(1, SLAB_TARGET / size);
    }

    /** Bytes a slab of class {@code index} occupies in its chunk: its blocks rounded up to whole pages. */
    static long slabBytes(int index) {
        return roundUpToPage(blocksPerSlab(index) * classSize(index));
    }

    /**
     * Fixed-point reciprocal for {@link #divide}: floor(2^48 / size) + 1. Exact for the offsets a slab has: an
     * offset below 2^30 (chunks are at most 1 GiB) times the rounding error (below 1) stays below 2^30, far less
     * than the 2^48 / size gap between consecutive quotients for sizes up to 2^17; larger sizes have one block per
     * slab, and their offsets (0, or outside the slab) are checked by the caller's multiply-back.
     */
    static long reciprocal(long size) {
        return (1L << 48) / size + 1;
    }

    /** {@code offset / size} given {@code reciprocal(size)}, for 0 <= offset < 2^30 (see {@link #reciprocal}). */
    static long divide(long offset, long reciprocal) {
        return Math.multiplyHigh(offset, reciprocal << 16);
    }

    static long roundUpToPage(long bytes) {
        return (bytes + PAGE - 1) & -PAGE;
    }
}
