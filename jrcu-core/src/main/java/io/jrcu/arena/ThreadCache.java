package io.jrcu.arena;

import io.jrcu.Rcu;
import io.jrcu.internal.DeferRing;
import io.jrcu.internal.LibraryFlavor;
import io.jrcu.internal.VarHandles;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One platform thread's cache for one arena: magazines of FREE blocks per class, a stash of its own reclaimed
 * blocks beyond them, the frees it has collected, and its own single-producer deferred queue of those frees.
 * Written only by its owner (or, once the owner has ended, by whoever recovers it under the registry lock),
 * except that any thread may reclaim its queue, whose free function then puts the blocks on the classes' free
 * lists instead of the owner's magazines, and may drain its stash (under stashLock). stats() reads its byte
 * counters from other threads (opaque). Unpadded: each cache and its arrays are allocated by its own thread (in
 * its own TLAB), and the counters are read rarely. References nothing of the arena but its chunk table and ledger
 * (see threadCache).
 */
final class ThreadCache {
    /*
     * In a steady state a block stays with one thread: allocated from its magazine, freed into its batch, reclaimed
     * from its queue back into its magazine, with no lock and no shared write but the grace period's.
     *
     *   allocate:  magazine[c] empty -> refill: queue the collected frees; reclaim the own queue (owner: blocks go
     *              to the magazines and the stash); still empty -> half a magazine from the stash; still empty ->
     *              c.fill(half a magazine); pop a block; state = ALLOCATED; allocatedBytes += size
     *   free:      collecting += address; freedBytes += size; 256 collected or 64 KiB -> queue.enqueue(batch)
     *              (single producer: one entry, one cookie); reclaim the own queue (a costly grace period only once
     *              START_AT frees wait)
     *   reclaimed(batch): [the queue's free function] by the owner: state -> FREE, into its magazines while they
     *              have room, the rest into its stash (under stashLock), and the batch is kept for reuse; by anyone
     *              else (or the owner inside c.fill): onto the classes' free lists. (Through the classes' free lists,
     *              two allocating threads would trade blocks at every reuse, each write to a block moving its cache
     *              line between cores: the stash keeps them with the thread that freed them.)
     *
     * A cache is touched only by its owner, except: any thread may reclaim its queue (the queue's consumer side is
     * thread-safe; a non-owner's free function never touches the magazines) and drain its stash (under stashLock,
     * before the class locks); stats() reads its three byte counters (opaque, written opaque by the owner); and once
     * the owner has ended (isAlive() false, which happens-after all its actions) the thread that registers next
     * recovers it under the registry lock (the ledger's monitor): collected frees are queued (that thread is then the
     * queue's single producer), magazine and stash blocks returned to the free lists (still FREE); the cache leaves
     * the registry, its counters folded into the ledger, once its queue is empty. A ThreadLocal value must not
     * reference the arena (the thread's map holds it strongly), so a cache holds only its queue, the chunk table and
     * the ledger; the arena is a parameter of the methods that need it.
     *
     * Ordering: a block's contents and state are handed from free() to the reclaimer by the queue (release of
     * `published` in enqueue, acquire in reclaim), and from the owner's stash by stashLock to its next refill or to a
     * drainer.
     */

    /**
     * A thread whose own queue holds this many frees starts their grace period itself even when starting one is
     * costly (memb's membarrier: an interrupt of every CPU running the process), instead of waiting for the domain
     * thread's lazy tick, which on a busy machine waits for the scheduler: the frees would wait longer and the
     * working set they come back into would grow. 16,384 frees of 64 bytes are 1 MiB; one membarrier per 16,384
     * frees costs a few nanoseconds per free.
     */
    private static final int START_AT = 16384;
    /**
     * Collected batches a thread keeps for reuse once their grace periods have passed (about 2 KiB each): twice as
     * many as wait before a thread starts a costly grace period itself (START_AT frees), so that a thread freeing
     * steadily reuses its batches instead of allocating new ones; spares exist only as far as a thread needed them.
     */
    private static final int SPARE_BATCHES = 2 * START_AT / FreeBatch.PENDING_MAX;
    /** {@link SizeClass#RECLAIM_BATCH} in batches of a thread's queue. */
    static final int RECLAIM_BATCHES = SizeClass.RECLAIM_BATCH / FreeBatch.PENDING_MAX;

    final Thread owner;
    private final ChunkTable table;
    private final Ledger ledger;
    /** Per class: a LIFO stack of FREE blocks this thread owns ({@link Magazine#NONE} until the class's first use). */
    private final Magazine[] magazines;
    /** Blocks freed by this thread and not yet queued (PENDING). */
    FreeBatch collecting = new FreeBatch();
    /** Batches back from the queue, for reuse: touched only by the owner (or the recoverer, after it ended). */
    private final FreeBatch[] spareBatches = new FreeBatch[SPARE_BATCHES];
    private int spareCount;
    /**
     * Per class (created on first use): FREE blocks of this thread's own reclaimed frees beyond what its magazine
     * holds, kept for its next refills so that a block stays with the thread that freed it (through the class's
     * free list, blocks of two threads cross cores at every reuse). Guarded by stashLock: the owner pushes and
     * takes; a thread about to carve a new slab, or handing the cache back, detaches it under the lock and puts its
     * blocks on the classes' free lists after releasing it.
     */
    private final BlockStack[] stash;
    private final ReentrantLock stashLock = new ReentrantLock();
    private static final VarHandle QUEUED_FREES = VarHandles.field(MethodHandles.lookup(), "queuedFrees", long.class);
    /** Frees in this thread's queue (in its batches): added by flush, subtracted by reclaimed (any thread). */
    private long queuedFrees;
    private static final VarHandle STASHED_BLOCKS = VarHandles.field(MethodHandles.lookup(), "stashedBlocks",
            long.class);
    /** Blocks in the stash: written under stashLock (opaque), read without it as a hint. */
    private long stashedBlocks;
    /** This thread's frees, a batch under one cookie per entry; the owner is its single producer. */
    final DeferRing<FreeBatch> queue;
    private static final VarHandle RECOVERED = VarHandles.field(MethodHandles.lookup(), "recovered", boolean.class);
    /** The owner has ended and its cache was recovered: written under the registry lock. */
    boolean recovered;
    /** The owner is filling a magazine from its class (its own free function must not touch the magazines). */
    boolean filling;
    private static final VarHandle ALLOCATED_BYTES = VarHandles.field(MethodHandles.lookup(), "allocatedBytes",
            long.class);
    private static final VarHandle FREED_BYTES = VarHandles.field(MethodHandles.lookup(), "freedBytes", long.class);
    private static final VarHandle RECLAIMED_BYTES = VarHandles.field(MethodHandles.lookup(), "reclaimedBytes",
            long.class);
    /**
     * Bytes this thread allocated / freed through the cache, and reclaimed from its queue into its magazines or
     * stash; written opaque by the owner, read by stats().
     */
    private long allocatedBytes;
    private long freedBytes;
    private long reclaimedBytes;

    ThreadCache(Thread owner, Rcu rcu, String arenaName, ChunkTable table, int classCount, Ledger ledger) {
        this.owner = owner;
        this.table = table;
        this.ledger = ledger;
        this.magazines = new Magazine[classCount];
        Arrays.fill(magazines, Magazine.NONE);
        this.stash = new BlockStack[classCount];
        // single producer: the owner (or its recoverer); not reported when dropped: the arena's Cleaner reports
        this.queue = DeferRing.of(rcu, this::reclaimed,
                RcuArena.unreported("RcuArena '" + arenaName + "' frees of " + owner.getName(), true));
    }

    void setRecovered() {
        RECOVERED.setOpaque(this, true);   // opaque: read unlocked only as a hint (recoveredOpaque); the
                                           // registry lock orders it for every reader that acts on it
    }

    /** A hint read without the registry lock; recoverEnded checks again under it. */
    boolean recoveredOpaque() {
        return (boolean) RECOVERED.getOpaque(this);   // opaque: a stale false only costs taking the lock
    }

    /**
     * The fast path: a block from this thread's magazine of {@code sc}; no lock, no atomic instruction. Owner only;
     * {@code arena} is this cache's arena (a refill may fill from its class).
     */
    MemorySegment allocate(RcuArena arena, SizeClass sc, long byteSize) {
        Magazine m = magazines[sc.index];
        int n = m.count;
        if (n == 0) {
            m = refill(arena, sc);
            n = m.count;
        }
        n--;
        Slab slab = m.slabs[n];
        int block = m.blocks[n];
        m.count = n;
        slab.srState(block, Slab.ALLOCATED);  // release; read by the CAS in free()
        soAllocatedBytes(allocatedBytes + sc.blockSize);  // opaque; read by stats()
        return slab.block(block, byteSize);
    }

    /**
     * Refills this thread's empty magazine of {@code sc}: first from the thread's own frees that have passed their
     * grace period (its collected frees are queued first, so that their grace period starts now), then from its
     * stash, else with half its capacity (at least one block) from the class. Returns the magazine, not empty.
     */
    private Magazine refill(RcuArena arena, SizeClass sc) {
        if (collecting.count > 0) {
            flush(arena);
        }
        reclaimOwn(arena.domain);
        if (magazines[sc.index].count > 0 || takeStashed(sc) > 0) {
            return magazines[sc.index];
        }
        Magazine m = ensureMagazine(sc);
        // fill writes into the magazine while its reclaims may run this cache's own free function: that one must
        // then use the free lists (which fill takes from), not the magazine fill is writing
        filling = true;
        try {
            m.count = sc.fill(arena, m.slabs, m.blocks, Math.max(1, sc.magazineCapacity / 2));
        } finally {
            filling = false;
        }
        return m;
    }

    /**
     * The owner reclaims what has passed its grace period from its own queue, never waiting: the blocks go to its
     * magazines (the rest to its stash). A grace period is started for them if that is cheap, or (memb's
     * membarrier) once {@value #START_AT} frees wait; until then the domain thread's lazy tick starts them.
     */
    private void reclaimOwn(LibraryFlavor domain) {
        if (queue.pending() > 0) {
            queue.reclaimSome(RECLAIM_BATCHES, queuedFrees() >= START_AT || domain.gracePeriodStartIsCheap());
        }
    }

    /**
     * Collects a free (a block marked PENDING) in this cache; every {@value FreeBatch#PENDING_MAX} frees (or
     * {@value FreeBatch#PENDING_BYTES} bytes) go to the thread's own deferred queue as one batch under one cookie,
     * and the thread reclaims what of its earlier frees has passed its grace period. Owner only.
     */
    void free(RcuArena arena, long address, long blockSize) {
        FreeBatch b = collecting;
        int n = b.count;
        b.addresses[n++] = address;   // a long, not the Slab: no reference store (GC write barrier) per free
        b.count = n;
        long bytes = b.bytes + blockSize;
        b.bytes = bytes;
        soFreedBytes(freedBytes + blockSize);  // opaque; read by stats()
        if (n == FreeBatch.PENDING_MAX || bytes >= FreeBatch.PENDING_BYTES) {
            flush(arena);
            reclaimOwn(arena.domain);
        }
    }

    /**
     * Queues the batch of frees this cache collected in its own queue (single producer: no lock), under one cookie
     * taken now (later than each free: safe), and starts a new batch. Called by the owner, or, under the registry
     * lock, by whoever recovers the cache of an ended thread.
     */
    private void flush(RcuArena arena) {
        FreeBatch b = collecting;
        addQueuedFrees(b.count);   // before the enqueue: a reclaim may subtract them as soon as it is queued
        try {
            queue.enqueue(b);
        } catch (IllegalStateException closedMeanwhile) {
            addQueuedFrees(-b.count);
            if (!arena.isClosed() && arena.domain.isOpen()) {
                throw closedMeanwhile;
            }
            // raced close(), which releases all memory after a grace period begun after it set `closed`, or the
            // close of the domain, whose final grace period covers these frees: close() releases their blocks
            b.clear();
            return;
        }
        collecting = spareBatch();
    }

    /**
     * Hands back what the cache holds: its collected frees go to its queue (their grace period starts now; any
     * thread reclaims them before carving new memory), its free blocks to their classes' free lists. Only by the
     * owner, or by the registry lock's holder after the owner ended.
     */
    void handBack(RcuArena arena) {
        if (collecting.count > 0 && !arena.isClosed()) {
            flush(arena);
        }
        SizeClass[] classes = ledger.classes;
        for (int c = 0; c < magazines.length; c++) {
            Magazine m = magazines[c];
            if (m.count == 0) {
                continue;
            }
            classes[c].returnAll(m.slabs, m.blocks, m.count);
            m.count = 0;
        }
        drainStash(classes);
    }

    /** The magazine of {@code sc}, made on the class's first use. Owner only. */
    private Magazine ensureMagazine(SizeClass sc) {
        Magazine m = magazines[sc.index];
        if (m == Magazine.NONE) {
            m = new Magazine(sc.magazineCapacity);
            magazines[sc.index] = m;
        }
        return m;
    }

    /**
     * The queue's free function: the grace periods of the blocks of {@code batch} have passed. Run by the owner
     * (reclaimOwn, after a flush or in a refill) the blocks go to its magazines while they have room, the rest
     * to its stash, and the batch is kept for reuse; run by any other thread (reclaimOthers), or by the owner
     * while it fills a magazine from its class (reclaimOthers inside fill), they go to the classes' free lists,
     * a class lock taken once per run of blocks of one class.
     */
    private void reclaimed(FreeBatch batch) {
        addQueuedFrees(-batch.count);
        boolean ownerRuns = owner == Thread.currentThread();
        boolean own = ownerRuns && !filling;
        SizeClass locked = null;
        boolean stashLocked = false;
        long toCache = 0;
        long stashed = 0;
        Slab slab = null;
        try {
            for (int i = 0, count = batch.count; i < count; i++) {
                if (ledger.closed) {
                    return;   // frees that raced close(): close() has released all memory already
                }
                long address = batch.addresses[i];
                slab = table.slabOf(address, slab);
                SizeClass sc = slab.sizeClass;
                int block = (int) sc.blockIndex(address - slab.base);
                int c = sc.index;
                if (own) {
                    slab.srState(block, Slab.FREE);  // release; read by the CAS in free()
                    toCache += sc.blockSize;
                    Magazine m = magazines[c];
                    if (m.count < sc.magazineCapacity) {
                        m = ensureMagazine(sc);
                        m.slabs[m.count] = slab;
                        m.blocks[m.count++] = block;
                    } else {
                        if (!stashLocked) {
                            stashLock.lock();
                            stashLocked = true;
                        }
                        stashOf(c).push(slab, block);
                        stashed++;
                    }
                    continue;
                }
                locked = SizeClass.lockRun(locked, sc);
                sc.pushLocked(slab, block);
            }
        } finally {
            if (stashLocked) {
                // opaque; a hint for drainers
                soStashedBlocks(stashedBlocks + stashed);
                stashLock.unlock();
            }
            if (locked != null) {
                locked.lock.unlock();
            }
            if (toCache > 0) {
                soReclaimedBytes(reclaimedBytes + toCache);   // opaque; read by stats()
            }
            if (ownerRuns) {
                recycle(batch);   // (run by another thread, the batch is left to the garbage collector)
            }
        }
    }

    /** Class {@code c}'s stash, created on first use; with stashLock held. */
    private BlockStack stashOf(int c) {
        BlockStack bs = stash[c];
        if (bs == null) {
            bs = new BlockStack();
            stash[c] = bs;
        }
        return bs;
    }

    /**
     * The owner's refill from its stash: up to half a magazine of {@code sc} (which is empty). Returns how many.
     */
    int takeStashed(SizeClass sc) {
        if (loStashedBlocks() == 0) {   // opaque: the owner's own writes, or a drainer's (then a
            return 0;                                //  stale non-zero only costs the lock)
        }
        int c = sc.index;
        stashLock.lock();
        try {
            BlockStack bs = stash[c];
            if (bs == null || bs.count() == 0) {
                return 0;
            }
            Magazine m = ensureMagazine(sc);
            int n = bs.popInto(m.slabs, m.blocks, 0, Math.max(1, sc.magazineCapacity / 2));
            m.count = n;
            soStashedBlocks(stashedBlocks - n);  // opaque; a hint for drainers
            return n;
        } finally {
            stashLock.unlock();
        }
    }

    /**
     * Moves every stashed block to its class's free list (any thread: one about to carve a new slab, or whoever
     * hands the cache back). The blocks are FREE and already counted as reclaimed.
     */
    void drainStash(SizeClass[] classes) {
        if (loStashedBlocks() == 0) {   // opaque hint; written under stashLock
            return;
        }
        BlockStack[] detached = new BlockStack[stash.length];
        stashLock.lock();   // held only to detach: the owner's reclaims never wait behind a class lock
        try {
            for (int c = 0; c < stash.length; c++) {
                BlockStack bs = stash[c];
                if (bs != null && bs.count() > 0) {
                    detached[c] = bs;
                    stash[c] = null;
                }
            }
            soStashedBlocks(0L);  // opaque; a hint for drainers and the owner
        } finally {
            stashLock.unlock();
        }
        for (int c = 0; c < detached.length; c++) {
            if (detached[c] != null) {
                classes[c].returnAll(detached[c]);
            }
        }
    }

    /** Frees in this thread's queue, for the START_AT threshold. */
    long queuedFrees() {
        return (long) QUEUED_FREES.getOpaque(this);  // opaque: a threshold; partner: the atomic adds below
    }

    void addQueuedFrees(long n) {
        faaQueuedFrees(n);  // atomic: the owner adds, any reclaimer subtracts; once per batch
    }

    /** An empty batch: a spare if one is kept, else a new one. Owner only (or the recoverer). */
    FreeBatch spareBatch() {
        int n = spareCount;
        if (n == 0) {
            return new FreeBatch();
        }
        FreeBatch b = spareBatches[--n];
        spareBatches[n] = null;
        spareCount = n;
        return b;
    }

    /** Keeps a batch whose blocks have been reclaimed, if there is room. Owner only. */
    private void recycle(FreeBatch batch) {
        if (spareCount < SPARE_BATCHES) {
            batch.clear();
            spareBatches[spareCount++] = batch;
        }
    }
    // ------------------------------------------------------------------ accessors (package-info's table)

    /** Opaque store of the owner's counter (plain read by the owner, its only writer); read by allocatedBytes(). */
    private void soAllocatedBytes(long v) {
        ALLOCATED_BYTES.setOpaque(this, v);
    }

    /** Opaque store of the owner's counter; read by freedBytes(). */
    private void soFreedBytes(long v) {
        FREED_BYTES.setOpaque(this, v);
    }

    /** Opaque store of the reclaiming thread's counter (the owner, or a recoverer under the registry lock). */
    private void soReclaimedBytes(long v) {
        RECLAIMED_BYTES.setOpaque(this, v);
    }

    /** Opaque store of the stash's size, a hint for drainers; partner: loStashedBlocks. */
    private void soStashedBlocks(long v) {
        STASHED_BLOCKS.setOpaque(this, v);
    }

    /** Opaque load of the stash's size; partner: soStashedBlocks (a stale value only costs a look under the lock). */
    private long loStashedBlocks() {
        return (long) STASHED_BLOCKS.getOpaque(this);
    }

    /** Atomic add to the queued frees: the owner adds, any reclaimer subtracts; partner: queuedFrees(). */
    private void faaQueuedFrees(long n) {
        QUEUED_FREES.getAndAdd(this, n);
    }


    long allocatedBytes() {
        return (long) ALLOCATED_BYTES.getOpaque(this);  // pairs with the owner's opaque store
    }

    long freedBytes() {
        return (long) FREED_BYTES.getOpaque(this);      // pairs with the owner's opaque store
    }

    long reclaimedBytes() {
        return (long) RECLAIMED_BYTES.getOpaque(this);  // pairs with the owner's opaque store
    }

    /**
     * One class's LIFO stack of FREE blocks a thread owns: the block at {@code count - 1} is the next one handed out.
     * Owner only (or the recoverer, after it ended).
     */
    static final class Magazine {
        /** The magazine of every class a thread has not used yet: always empty, never written (no room). */
        static final Magazine NONE = new Magazine(0);

        final Slab[] slabs;
        final int[] blocks;
        int count;

        Magazine(int capacity) {
            this.slabs = new Slab[capacity];
            this.blocks = new int[capacity];
        }
    }
}
