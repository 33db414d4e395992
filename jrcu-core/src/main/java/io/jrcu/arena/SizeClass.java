package io.jrcu.arena;

import io.jrcu.internal.VarHandles;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.ReentrantLock;

/** One size class: a LIFO free list (reuse the warmest block first) and the slab being carved. */
final class SizeClass {
    /*
     * A class's free list and current slab are guarded by `lock`. fill() reuses freed memory before it carves new
     * memory, and reclaims steadily (every RECLAIM_EVERY refills while frees are pending), so that what waits for
     * grace periods stays about one grace period's worth of frees; its reclaims run outside `lock` and never wait.
     *
     * Counters of the shared path and the reclaimer: `allocated` and `freed` by atomic add, `reclaimed` written under
     * `lock` (release); stats() reads them with acquire loads (allocatedBlocks, freedBlocks, reclaimedBlocks).
     * Ordering: a block's contents and state are handed from the reclaimer to the next fill by `lock`, and from fill
     * to the allocating thread by program order (it owns the magazine).
     */

    /**
     * Entries one reclaim by an allocation takes from the deferred queue at most: everything eligible in practice
     * (a backlog left by a slow start must drain at once, or the queue stays that long and the working set large),
     * while bounding the time of one allocation.
     */
    static final int RECLAIM_BATCH = 65536;
    /** A class reclaims at least every this many refills of a thread's magazine (when frees are pending). */
    private static final int RECLAIM_EVERY = 4;
    /** A thread's magazine of one class holds at most this many bytes of free blocks ... */
    private static final long MAGAZINE_BYTES = 32 * 1024;
    /** ... and at most this many blocks; a refill takes half of it. */
    private static final int MAGAZINE_MAX = 256;
    /** Classes whose magazine would hold fewer blocks than this (blocks above 8 KiB) are not cached per thread. */
    private static final int MAGAZINE_MIN = 4;

    final int index;
    final long blockSize;
    /** The alignment every block of this class has ({@link ArenaLayout#classAlignment}). */
    final long alignment;
    /** Blocks a thread's magazine of this class holds at most; 0: not cached per thread. */
    final int magazineCapacity;
    private final long reciprocal;
    final ReentrantLock lock = new ReentrantLock();
    // under lock
    private final BlockStack free = new BlockStack();
    private Slab current;
    /** Refills served since this class last reclaimed; under lock. */
    private int refillsSinceReclaim;
    private int nextInCurrent;
    // counters of the shared path and the reclaimer: allocated and freed by atomic add, reclaimed written under
    // lock (release); read by stats()
    private static final VarHandle ALLOCATED = VarHandles.field(MethodHandles.lookup(), "allocated", long.class);
    @SuppressWarnings("unused") // through ALLOCATED
    private volatile long allocated;
    private static final VarHandle FREED = VarHandles.field(MethodHandles.lookup(), "freed", long.class);
    @SuppressWarnings("unused") // through FREED
    private volatile long freed;
    private static final VarHandle RECLAIMED = VarHandles.field(MethodHandles.lookup(), "reclaimed", long.class);
    /** Written under lock by release stores; read by reclaimedBlocks() with an acquire load. */
    private long reclaimed;

    SizeClass(int index) {
        this.index = index;
        this.blockSize = ArenaLayout.classSize(index);
        this.alignment = ArenaLayout.classAlignment(index);
        int capacity = (int) Math.min(MAGAZINE_MAX, MAGAZINE_BYTES / blockSize);
        this.magazineCapacity = capacity >= MAGAZINE_MIN ? capacity : 0;
        this.reciprocal = ArenaLayout.reciprocal(blockSize);
    }

    /** {@code relative / blockSize} for an offset inside a slab, by multiplication (free is on the fast path). */
    long blockIndex(long relative) {
        return ArenaLayout.divide(relative, reciprocal);
    }

    /** An allocation for a thread without a cache (virtual threads, debug arenas, classes above 8 KiB). */
    MemorySegment allocateShared(RcuArena arena, long byteSize) {
        Slab[] slab = new Slab[1];
        int[] block = new int[1];
        fill(arena, slab, block, 1);
        slab[0].srState(block[0], Slab.ALLOCATED);  // release; read by the CAS in free()
        faaAllocated(1L);   // atomic: shared allocations of one class race; read by stats()
        return slab[0].block(block[0], byteSize);
    }

    /**
     * Takes between 1 and {@code max} FREE blocks for the caller (who then owns them) into {@code slabs} and
     * {@code blocks}, never waiting for a grace period. Freed memory is reused before new memory is carved, and
     * reclaimed steadily rather than only when nothing is left, so that what waits for grace periods stays about
     * a grace period's worth of frees (a working set that stays in the caches):
     * <ol start="0">
     *   <li>if frees are pending and the free list cannot serve a full refill, or every
     *       {@value #RECLAIM_EVERY}th refill: reclaim first; else take from the free list;</li>
     *   <li>the free list, else the current slab; if neither has a block: reclaim again, this time starting the
     *       grace period if need be (it is that or a new slab);</li>
     *   <li>the free list, else a new slab.</li>
     * </ol>
     * Returns how many blocks it took.
     */
    int fill(RcuArena arena, Slab[] slabs, int[] blocks, int max) {
        for (int attempt = 0; ; attempt++) {
            int n = 0;
            boolean reclaimFirst = false;
            boolean slabLeft;
            lock.lock();
            try {
                if (attempt == 0 && (free.count() < max || ++refillsSinceReclaim >= RECLAIM_EVERY)
                        && arena.deferred.pending() > 0) {
                    reclaimFirst = true;
                    refillsSinceReclaim = 0;
                } else {
                    n = free.popInto(slabs, blocks, 0, max);
                }
                slabLeft = current != null && nextInCurrent < current.blocks;
                if (n == 0 && !reclaimFirst && (slabLeft || attempt > 1)) {
                    if (!slabLeft) {
                        current = arena.table.carve(this, arena);
                        nextInCurrent = 0;
                    }
                    while (n < max && nextInCurrent < current.blocks) {
                        slabs[n] = current;
                        blocks[n++] = nextInCurrent++;
                    }
                }
            } finally {
                lock.unlock();
            }
            if (n > 0) {
                return n;
            }
            if (attempt < 2 && (arena.deferred.pending() > 0 || (attempt > 0 && !slabLeft))) {
                // reuse what has passed its grace period, never waiting. A grace period is started for it when
                // that is cheap, or when the alternative is a new slab; memb's (a membarrier) is otherwise
                // started by the domain thread, asked now rather than on its lazy tick
                boolean beforeNewSlab = attempt > 0 && !slabLeft;
                boolean mayStart = beforeNewSlab || arena.domain.gracePeriodStartIsCheap();
                if (arena.deferred.reclaimSome(RECLAIM_BATCH, mayStart) == 0 && !mayStart) {
                    arena.deferred.requestOldest();
                }
                if (beforeNewSlab) {
                    arena.reclaimOthers();
                }
            }
        }
    }

    /**
     * For a batch that visits classes in runs: holds {@code next}'s lock, releasing {@code held}'s if it is
     * another class (null: none held). Returns the class whose lock is now held.
     */
    static SizeClass lockRun(SizeClass held, SizeClass next) {
        if (next != held) {
            if (held != null) {
                held.lock.unlock();
            }
            next.lock.lock();
        }
        return next;
    }

    void push(Slab slab, int block) {
        lock.lock();
        try {
            pushLocked(slab, block);
        } finally {
            lock.unlock();
        }
    }

    /** push with {@code lock} held by the caller: a block whose grace period has passed becomes FREE. */
    void pushLocked(Slab slab, int block) {
        free.push(slab, block);
        slab.srState(block, Slab.FREE);  // release; read by the CAS in free()
        srReclaimed(reclaimed + 1); // release (written under lock); partner: reclaimedBlocks()
    }

    /** Puts {@code n} FREE blocks on the free list (a magazine handed back), taking the lock. */
    void returnAll(Slab[] slabs, int[] blocks, int n) {
        lock.lock();
        try {
            free.pushAll(slabs, blocks, n);
        } finally {
            lock.unlock();
        }
    }

    /** Puts every block of a detached stash (FREE) on the free list, taking the lock. */
    void returnAll(BlockStack stash) {
        lock.lock();
        try {
            free.pushAll(stash);
        } finally {
            lock.unlock();
        }
    }

    long allocatedBlocks() {
        return (long) ALLOCATED.getAcquire(this);  // pairs with the atomic add in allocateShared
    }

    long freedBlocks() {
        return (long) FREED.getAcquire(this);      // pairs with the atomic add in addFreed
    }

    long reclaimedBlocks() {
        return (long) RECLAIMED.getAcquire(this);  // pairs with the release store in pushLocked
    }

    /** A free on the shared path: one more block of this class freed. */
    void addFreed() {
        faaFreed(1L);  // atomic: frees of one class race; read by freedBlocks()
    }

    // ------------------------------------------------------------------ accessors (package-info's table)

    /** Atomic add; partner: the acquire load in allocatedBlocks(). */
    private void faaAllocated(long n) {
        ALLOCATED.getAndAdd(this, n);
    }

    /** Atomic add; partner: the acquire load in freedBlocks(). */
    private void faaFreed(long n) {
        FREED.getAndAdd(this, n);
    }

    /** Release store (under lock, so a plain read of the old value); partner: the acquire load in reclaimedBlocks(). */
    private void srReclaimed(long v) {
        RECLAIMED.setRelease(this, v);
    }
}
