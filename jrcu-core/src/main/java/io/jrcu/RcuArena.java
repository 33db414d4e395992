package io.jrcu;

import io.jrcu.internal.Bridge;
import io.jrcu.internal.DeferRing;
import io.jrcu.internal.LibraryFlavor;
import io.jrcu.internal.VarHandles;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Off-heap memory whose free waits for readers: {@link #free} hands a segment back, and its memory is reused only
 * after a grace period of the arena's domain, so a reader that found the segment inside a read section may keep
 * reading it until its section ends. Frees never block; they go through a {@link DeferQueue} like any other
 * resource of the library.
 *
 * <pre>{@code
 * RcuArena arena = RcuArena.create(rcu);
 * RcuReference<MemorySegment> current = new RcuReference<>(arena.allocate(64));
 * // writer
 * MemorySegment next = arena.allocate(64);
 * next.set(ValueLayout.JAVA_LONG, 0, 42);
 * arena.free(current.getAndSet(next));   // reused only after every reader that could see it is done
 * // reader
 * try (ReadSection s = rcu.read()) {
 *     long v = current.get().get(ValueLayout.JAVA_LONG, 0);
 * }
 * }</pre>
 *
 * <p><b>Memory.</b> Segments are carved from large chunks of one {@link Arena#ofShared() shared arena}, so a
 * reader still holding a segment when the arena is {@linkplain #close closed} gets an {@link IllegalStateException}
 * from the FFM runtime, never a crash. Requests are rounded up to size classes (16-byte steps to 128 bytes, then
 * four per doubling, at most 20% waste); a class owns slabs of about 64 KiB carved from the chunks, and freed blocks
 * return to their class's free list, or to the freeing thread's cache, after their grace period. A request larger
 * than a chunk (or aligned to more than 4096 bytes) gets a dedicated allocation, released after its grace period.
 * Memory carved for a class stays with the class until the arena closes, so {@code bytesReserved} follows the
 * peak of each class's live plus pending bytes.
 *
 * <p><b>Thread caches.</b> As in jemalloc's tcache, each platform thread keeps a small cache per arena: per size
 * class a magazine of free blocks (at most 256 blocks and 32 KiB; classes above 8 KiB are not cached) that it
 * allocates from without a lock, and the frees it has made, which it puts in its own deferred queue (a
 * single-producer {@link DeferQueue}) as one batch under one grace-period cookie every 256 frees or 64 KiB, or when
 * it refills a magazine; once their grace period has passed they come back into its magazines (what does not fit
 * is kept for its next refills, and given to any thread that would otherwise carve new memory). So in a steady state
 * a block stays with one thread, and an allocate + free pair costs no lock and no shared write but the grace
 * period's. What a cache holds is never lost: any thread reclaims every cache's queue before it carves new memory
 * (the frees of threads that do not allocate or went idle), an ended thread's cache is recovered by the next new
 * thread that uses the arena (or before a new slab), {@link #flushThreadCache()} hands the caller's back at once, and
 * {@link #close()} covers frees still collected in any cache. A thread that frees and then stops using the arena
 * delays the reuse of at most 64 KiB of collected frees (and what its queue and its kept blocks hold until another
 * thread needs memory). Virtual threads and
 * {@linkplain Builder#debug debug} arenas take the shared path (a short per-class lock per allocation and a queue
 * entry per free), so that nothing is stranded in millions of caches and debug checks stay exact.
 *
 * <p><b>When freed memory is reused:</b> an allocation that needs blocks reclaims (without blocking) what has passed
 * its grace period before it carves new memory, and reclaims steadily while frees are pending, so what waits for
 * grace periods stays about one grace period's worth of frees. Grace periods make progress on their own (cookies are
 * taken with {@link Rcu#startPoll()} semantics), so nobody has to call {@code synchronize()}.
 *
 * <p><b>Misuse.</b> Freeing a segment this arena did not allocate (or a slice that does not start at an allocated
 * block) throws {@link IllegalArgumentException}; freeing a block twice before it is reused throws
 * {@link IllegalStateException}. With {@link Builder#debug(boolean) debug}, freed memory is filled with
 * {@link #POISON} once its grace period has passed, and kept out of reuse for {@link Builder#quarantine a further
 * number of frees}, so that late reads see poison and late double frees are still caught.
 *
 * <p><b>The domain closed first.</b> Close an arena before its domain. Once the domain is closing or closed, every
 * {@code allocate} and {@code free} throws one {@link IllegalStateException} naming the arena and the domain (as
 * the domain's own calls do; its callbacks may still use the arena while it closes) and changes nothing: a refused
 * free leaves its segment allocated, and a retry is refused the same way. A free that races the domain's close is
 * refused, or accepted and covered by the domain's final grace period. {@link #close()} still releases everything,
 * without waiting: no section of a closed domain is open.
 *
 * <p><b>Threads.</b> Every method may be called from any thread, and a segment may be freed by another thread than
 * the one that allocated it. Allocate and free are lock-free on a thread's cache and take short internal locks when
 * it is refilled or flushed (and on the shared path). Memory-consistency effects: writes to a segment before
 * {@code free} happen-before the writes of whoever is later handed the same memory by {@code allocate}.
 * {@link #close()} must not be called inside a read section of the domain (it waits for grace periods).
 */
public final class RcuArena implements AutoCloseable {
    /*
     * Overview.
     *
     * Layout: ArenaLayout (chunks -> page-aligned slabs of one size class -> blocks). Each block has a state byte in
     * its slab: FREE -> ALLOCATED (allocate, by the thread that owns the block: a magazine's owner, or the class
     * lock holder) -> PENDING (free: CAS, so exactly one of two racing frees wins; the loser sees the state and
     * throws) -> FREE (after the grace period, under the class lock, when the block is pushed on its class's free
     * list, or, by its owner, into a thread's magazine). The design is jemalloc's tcache (magazines of free blocks per
     * thread and class) over a slab allocator, with per-thread deferred queues of batched frees (liburcu's defer_rcu,
     * crossbeam-epoch's thread-local bags), so that in a steady state a block stays with one thread: allocated from
     * its magazine, freed into its batch, reclaimed from its queue back into its magazine — no lock and no shared
     * write but the grace period's.
     *
     *   allocate(size), platform thread:  c = class of size; tc = thread's cache (ThreadLocal; registers on first use)
     *                    magazine[c] empty -> refill: queue tc's collected frees; reclaim tc.queue (owner: blocks go
     *                    to tc's magazines and stash); still empty -> half a magazine from tc's stash; still empty ->
     *                    c.fill(half a magazine)
     *                    pop a block; state = ALLOCATED; tc.allocatedBytes += size
     *   free(seg):       find chunk (binary search) -> slab (page table) -> block; CAS ALLOCATED -> PENDING;
     *                    platform thread: tc.collecting += address; tc.freedBytes += size; 256 collected or
     *                                     64 KiB -> tc.queue.enqueue(batch) (single producer: one entry, one cookie);
     *                                     reclaim tc.queue (a costly grace period only once START_AT frees wait)
     *                    else:            c.freed++; deferred.enqueueLong(address)   (the shared queue)
     *   c.fill(max):     under c.lock: free list, else the current slab, else a new slab (chunkLock); before
     *                    that, and every RECLAIM_EVERY refills while frees are pending, deferred.reclaimSome (unlocked,
     *                    never waits; starts a grace period only if cheap or before a new slab; memb asks its domain
     *                    thread instead); before a new slab also every cache's queue and stash (reclaimOthers: the
     *                    frees of threads that do not allocate, went idle or ended, and what threads keep)
     *   tc.reclaimed(batch): [tc.queue's free function] by the owner: state -> FREE, into its magazines while they
     *                    have room, the rest into its stash (under tc.stashLock), and the batch is kept for reuse; by
     *                    anyone else (or the owner inside c.fill): onto the classes' free lists. (Through the classes'
     *                    free lists, two allocating threads trade blocks at every reuse: each write to a block then
     *                    moves its cache line between cores; measured 170 ns per allocate + free for two memb threads,
     *                    49 ns with the stash.)
     *   reclaimed(addresses, n): [the shared queue's free function, after their grace periods, no DeferQueue lock
     *                    held] find each block again; debug: fill with POISON, then quarantine; push on its class's
     *                    free list, state -> FREE, taking a class lock once per run of blocks of one class
     *   virtual threads, debug arenas, classes above 8 KiB: the shared path (c.fill(1) per allocation)
     *
     * A cache is touched only by its owner, except: any thread may reclaim its queue (DeferQueue's consumer side is
     * thread-safe; a non-owner's free function never touches the magazines) and drain its stash (under stashLock,
     * before the class locks); stats() reads its three byte counters
     * (opaque, written opaque by the owner); and once the owner has ended (isAlive() false, which happens-after all
     * its actions) the thread that registers next recovers it under the registry lock (the ledger's monitor):
     * collected frees are queued (that thread is then the queue's single producer), magazine and stash blocks
     * returned to the free lists (still FREE); the cache leaves the registry, its counters folded into the ledger,
     * once its queue is empty. A ThreadLocal value must not reference the arena (the thread's map holds it strongly),
     * so a cache holds only its queue, the chunk table and the ledger.
     *
     * Ordering: the block's contents and its state are handed from free() to the reclaimer by the DeferQueue (release
     * of `published` in enqueue, acquire in reclaim), from the reclaimer to the next fill by the class lock (or, for
     * the owner's stash, by stashLock to its next refill or to a drainer, and from the drainer on by the class lock),
     * and from fill to the allocating thread by program order (it owns the magazine). The state byte is written with
     * release stores and read with the CAS in free(); a free of a block the caller was never handed (misuse) may read a
     * stale state, and then throws, which is the right answer either way. `chunks` is a copy-on-write array published
     * by a volatile store under chunkLock; a chunk's page table entries are written under chunkLock before the slab's
     * first block is handed out by its class lock, and a free of that block happens after the allocate that returned
     * it.
     *
     * Counters: per class, `allocated` (shared path, atomic add), `freed` (shared path, atomic add) and `reclaimed`
     * (under the class lock, release); per cache, allocatedBytes, freedBytes and reclaimedBytes (into its magazines
     * and stash; a drained stash block is not counted again).
     * stats() reads reclaimed before freed before allocated, so that no difference goes negative: in-use = allocated -
     * freed, pending = freed - reclaimed.
     *
     * Close: `closed` is set first (allocate and free refuse from then on); the deferred queue is closed (it waits
     * for the grace periods of what is queued); if any cache was registered one more grace period covers the frees
     * collected or queued in caches (their queues are never drained: the memory goes with the arena); then the
     * shared arena is closed under chunkLock.
     *
     * The domain closed: allocate and free check the domain's state (checkDomainOpen) before they touch a block, so
     * a refused call changes nothing. The domain's final grace period starts after it is marked closing, and every
     * section is either seen by its scan or sees `closing` on entry and never reads: once the domain is closed no
     * section is open or opens. So a free that passed the check but whose cookie can no longer be taken (flush, the
     * shared enqueue: the domain refuses it) stays accepted and pending, and close() releases it; on a closed domain
     * close() waits for no further grace period (awaitGracePeriodOrClose: for QSBR one would wait for threads that
     * stayed online).
     */

    /** The byte that {@link Builder#debug(boolean) debug} arenas fill freed memory with after its grace period. */
    public static final byte POISON = (byte) 0xA5;

    static final byte FREE = 0;
    static final byte ALLOCATED = 1;
    static final byte PENDING = 2;
    /**
     * Entries one reclaim by an allocation takes from the deferred queue at most: everything eligible in practice
     * (a backlog left by a slow start must drain at once, or the queue stays that long and the working set large),
     * while bounding the time of one allocation.
     */
    private static final int RECLAIM_BATCH = 65536;
    /**
     * A thread whose own queue holds this many frees starts their grace period itself even when starting one is
     * costly (memb's membarrier: an IPI to every CPU running the process, 40-60 µs in this VM), instead of waiting
     * for the domain thread's lazy tick: on a busy machine that thread waits for the scheduler (measured: one grace
     * period per 2 ms instead of 1, and phases twice as slow), so the frees wait longer and the working set they
     * come back into grows. 16,384 frees of 64 bytes are 1 MiB; one membarrier per 16,384 frees is about 4 ns each.
     */
    private static final int START_AT = 16384;
    /** A class reclaims at least every this many refills of a thread's magazine (when frees are pending). */
    private static final int RECLAIM_EVERY = 4;
    /** Default debug quarantine: freed blocks kept out of reuse after their grace period. */
    private static final int DEFAULT_QUARANTINE = 1024;
    /** A thread's magazine of one class holds at most this many bytes of free blocks ... */
    private static final long MAGAZINE_BYTES = 32 * 1024;
    /** ... and at most this many blocks; a refill takes half of it. */
    private static final int MAGAZINE_MAX = 256;
    /** Classes whose magazine would hold fewer blocks than this (blocks above 8 KiB) are not cached per thread. */
    private static final int MAGAZINE_MIN = 4;
    /** A thread queues its frees once it has collected this many ... */
    private static final int PENDING_MAX = 256;
    /** ... or this many bytes (so a thread that stops freeing strands little). */
    private static final long PENDING_BYTES = 64 * 1024;
    /** Collected batches a thread keeps for reuse once their grace periods have passed (about 2 KiB each). */
    private static final int SPARE_BATCHES = 16;
    /** {@link #RECLAIM_BATCH} in batches of a thread's queue. */
    private static final int RECLAIM_BATCHES = RECLAIM_BATCH / PENDING_MAX;

    private static final VarHandle STATE = MethodHandles.arrayElementVarHandle(byte[].class);
    private static final VarHandle ALLOCATED_COUNT = VarHandles.field(MethodHandles.lookup(), SizeClass.class,
            "allocated", long.class);
    private static final VarHandle FREED_COUNT = VarHandles.field(MethodHandles.lookup(), SizeClass.class, "freed",
            long.class);
    private static final VarHandle RECLAIMED_COUNT = VarHandles.field(MethodHandles.lookup(), SizeClass.class,
            "reclaimed", long.class);
    private static final VarHandle CACHE_ALLOCATED = VarHandles.field(MethodHandles.lookup(), ThreadCache.class,
            "allocatedBytes", long.class);
    private static final VarHandle CACHE_FREED = VarHandles.field(MethodHandles.lookup(), ThreadCache.class,
            "freedBytes", long.class);
    private static final VarHandle CACHE_RECLAIMED = VarHandles.field(MethodHandles.lookup(), ThreadCache.class,
            "reclaimedBytes", long.class);
    private static final VarHandle STASHED = VarHandles.field(MethodHandles.lookup(), ThreadCache.class,
            "stashedBlocks", long.class);
    private static final VarHandle QUEUED_FREES = VarHandles.field(MethodHandles.lookup(), ThreadCache.class,
            "queuedFrees", long.class);
    private static final VarHandle RECOVERED = VarHandles.field(MethodHandles.lookup(), ThreadCache.class, "recovered",
            boolean.class);

    private final LibraryFlavor domain;
    private final String name;
    private final long chunkSize;
    private final boolean debug;
    private final int quarantineCapacity;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment.Scope scope = arena.scope();
    private final SizeClass[] classes;
    /** Addresses of freed blocks (no object per free, so the segment allocate returned need not escape). */
    private final DeferRing<Void> deferred;
    /** The counters and the registry of thread caches, apart from the arena so that the Cleaner can read them. */
    private final Ledger ledger;
    /**
     * The calling platform thread's cache (magazines and collected frees); null with debug checks. Its values must
     * not reference the arena (a thread's map holds them strongly: the arena could never be collected).
     */
    private final ThreadLocal<ThreadCache> threadCache;
    private final ReentrantLock chunkLock = new ReentrantLock();
    /** The chunks, for lookups by address (apart from the arena: thread caches' free functions use it). */
    private final ChunkTable table;
    private final ConcurrentHashMap<Long, Dedicated> dedicated = new ConcurrentHashMap<>();
    /** Debug only: poisoned blocks waiting out their quarantine, oldest first; guarded by itself. */
    private final ArrayDeque<Long> quarantine;
    private final Object closeLock = new Object();
    private volatile boolean closed;

    private RcuArena(Builder b) {
        this.domain = Bridge.flavorOf(b.rcu);
        this.name = b.name;
        this.chunkSize = b.chunkSize;
        this.debug = b.debug;
        this.quarantineCapacity = b.debug ? b.quarantine : 0;
        this.quarantine = b.debug ? new ArrayDeque<>() : null;
        int count = ArenaLayout.classCount(chunkSize);
        this.classes = new SizeClass[count];
        for (int i = 0; i < count; i++) {
            classes[i] = new SizeClass(i);
        }
        this.ledger = new Ledger(name, classes);
        this.table = new ChunkTable(chunkSize);
        this.threadCache = b.debug ? null : new ThreadLocal<>();
        // not reported when dropped: the arena's own Cleaner reports, with bytes
        this.deferred = DeferRing.ofLongs(b.rcu, this::reclaimed, unreported("RcuArena '" + name + "'", false));
        DeferRing.CLEANER.register(this, ledger);
    }

    /** A deferred queue's settings: unbounded, no automatic reclaim, not reported when dropped. */
    private static DeferRing.Settings unreported(String name, boolean singleProducer) {
        return new DeferRing.Settings(name, Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, singleProducer,
                false);
    }

    /**
     * An arena with default settings (1 MiB chunks, no debug checks) whose frees wait for {@code rcu}'s readers.
     *
     * @param rcu the domain whose grace periods every free waits for; the arena does not close it
     * @return a new open arena, owned by the caller, who closes it (that releases its native memory)
     * @throws NullPointerException if {@code rcu} is null
     */
    public static RcuArena create(Rcu rcu) {
        return builder(rcu).build();
    }

    /**
     * A builder for an arena whose frees wait for grace periods of {@code rcu}.
     *
     * @param rcu the domain whose grace periods every free waits for; the arena does not close it
     * @return a new builder with the default settings
     * @throws NullPointerException if {@code rcu} is null
     */
    public static Builder builder(Rcu rcu) {
        return new Builder(rcu);
    }

    // ------------------------------------------------------------------ allocate

    /**
     * A segment of {@code byteSize} bytes aligned to 8 bytes (blocks of 16 bytes and more are 16-byte aligned). Its
     * contents are unspecified (not zeroed). Blocking only on a short internal lock; never waits for a grace period.
     *
     * @param byteSize the segment's size in bytes, zero or more
     * @return a segment of exactly {@code byteSize} bytes; its memory is reused only after it is {@linkplain #free
     *         freed} and a grace period has passed, and released when the arena closes
     * @throws IllegalArgumentException if {@code byteSize < 0}
     * @throws IllegalStateException    if the arena or its domain is closed
     */
    public MemorySegment allocate(long byteSize) {
        return allocate(byteSize, 8);
    }

    /**
     * A segment of {@code byteSize} bytes aligned to {@code byteAlignment}, as {@link Arena#allocate(long, long)};
     * its contents are unspecified (not zeroed).
     *
     * @param byteSize      the segment's size in bytes, zero or more
     * @param byteAlignment the alignment of the segment's address in bytes, a power of two
     * @return a segment of exactly {@code byteSize} bytes; its memory is reused only after it is {@linkplain #free
     *         freed} and a grace period has passed, and released when the arena closes
     * @throws IllegalArgumentException if {@code byteSize < 0} or {@code byteAlignment} is not a positive power of two
     * @throws IllegalStateException    if the arena or its domain is closed
     */
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        if (byteSize < 0) {
            throw new IllegalArgumentException("byteSize must not be negative: " + byteSize);
        }
        if (byteAlignment <= 0 || Long.bitCount(byteAlignment) != 1) {
            throw new IllegalArgumentException("byteAlignment must be a positive power of two: " + byteAlignment);
        }
        checkOpen("allocate");
        checkDomainOpen("allocate");
        long size = Math.max(byteSize, 1);
        if (size <= chunkSize && byteAlignment <= ArenaLayout.PAGE) {
            int c = ArenaLayout.classIndex(size);
            while (c < classes.length && ArenaLayout.classAlignment(c) < byteAlignment) {
                c++;   // a larger class whose blocks are aligned enough (the power-of-two classes always are)
            }
            if (c < classes.length) {
                SizeClass sc = classes[c];
                if (sc.magazineCapacity > 0) {
                    ThreadCache tc = cache();
                    if (tc != null) {
                        return allocateCached(tc, sc, byteSize);
                    }
                }
                return sc.allocateShared(this, byteSize);
            }
        }
        return allocateDedicated(byteSize, byteAlignment);
    }

    /** The fast path: a block from the calling thread's magazine of {@code sc}; no lock, no atomic instruction. */
    private MemorySegment allocateCached(ThreadCache tc, SizeClass sc, long byteSize) {
        int c = sc.index;
        int n = tc.counts[c];
        if (n == 0) {
            n = refill(tc, sc);
        }
        n--;
        Slab slab = tc.slabs[c][n];
        int block = tc.blocks[c][n];
        tc.counts[c] = n;
        STATE.setRelease(slab.states, block, ALLOCATED);  // release; read by the CAS in free()
        CACHE_ALLOCATED.setOpaque(tc, (long) CACHE_ALLOCATED.get(tc) + sc.blockSize);  // opaque; read by stats()
        return slab.block(block, byteSize);
    }

    /**
     * Refills the calling thread's empty magazine of {@code sc}: first from the thread's own frees that have passed
     * their grace period (its collected frees are queued first, so that their grace period starts now), then from its
     * stash, else with half its capacity (at least one block) from the class. Returns the magazine's count.
     */
    private int refill(ThreadCache tc, SizeClass sc) {
        if (tc.collecting.count > 0) {
            flush(tc);
        }
        reclaimOwn(tc);
        int c = sc.index;
        if (tc.counts[c] > 0) {
            return tc.counts[c];
        }
        int stashed = tc.takeStashed(sc);
        if (stashed > 0) {
            return stashed;
        }
        tc.ensureMagazine(sc);
        // fill writes into the magazine while its reclaims may run tc's own free function: that one must then
        // use the free lists (which fill takes from), not the magazine fill is writing
        tc.filling = true;
        int n;
        try {
            n = sc.fill(this, tc.slabs[c], tc.blocks[c], Math.max(1, sc.magazineCapacity / 2));
        } finally {
            tc.filling = false;
        }
        tc.counts[c] = n;
        return n;
    }

    /**
     * The owner reclaims what has passed its grace period from its own queue, never waiting: the blocks go to its
     * magazines (the rest to its stash). A grace period is started for them if that is cheap, or
     * (memb's membarrier) once {@value #START_AT} frees wait; until then the domain thread's lazy tick starts them.
     */
    private void reclaimOwn(ThreadCache tc) {
        if (tc.queue.pending() > 0) {
            tc.queue.reclaimSome(RECLAIM_BATCHES, tc.queuedFrees() >= START_AT || domain.gracePeriodStartIsCheap());
        }
    }

    /**
     * Before carving a new slab: reclaims, as a non-owner, what has passed its grace period in every thread cache's
     * queue (the blocks go to the classes' free lists), so frees of threads that do not allocate, have gone idle or
     * have ended are reused. Never waits; may start a grace period.
     */
    private void reclaimOthers() {
        for (ThreadCache tc : ledger.caches) {   // volatile load; pairs with the store in register()
            if (!tc.recoveredOpaque() && !tc.owner.isAlive()) {
                recoverEnded(tc);   // (else only the next new thread would: a fixed pool may never start one)
            }
            if (tc.queue.pending() > 0) {
                tc.queue.reclaimSome(RECLAIM_BATCHES, true);
            }
            tc.drainStash(classes);   // its owner's reclaimed blocks: reused before new memory is carved
        }
    }

    /** Recovers the cache of an ended thread once, under the registry lock (see register). */
    private void recoverEnded(ThreadCache tc) {
        synchronized (ledger) {
            if (!tc.recovered) {
                handBack(tc);
                tc.setRecovered();
            }
        }
    }

    private MemorySegment allocateDedicated(long byteSize, long byteAlignment) {
        Arena own = Arena.ofShared();
        MemorySegment segment;
        try {
            segment = own.allocate(byteSize, byteAlignment);
        } catch (RuntimeException | OutOfMemoryError e) {
            own.close();
            throw e;
        }
        long bytes = Math.max(byteSize, 1);
        dedicated.put(segment.address(), new Dedicated(own, bytes));
        ledger.dedicatedReserved.addAndGet(bytes);
        ledger.dedicatedInUse.addAndGet(bytes);
        if (closed) {   // raced close(), which may have released everything already: undo
            Dedicated d = dedicated.remove(segment.address());
            if (d != null) {
                ledger.dedicatedInUse.addAndGet(-bytes);
                ledger.dedicatedReserved.addAndGet(-bytes);
                d.arena.close();
            }
            throw closedException("allocate");
        }
        return segment;
    }

    // ------------------------------------------------------------------ free

    /**
     * Hands {@code segment} back: its memory is reused only after a grace period of the arena's domain (every read
     * section that could have found it has ended). Never blocks and never waits for a grace period; may be called
     * inside a read section.
     *
     * @param segment a segment returned by {@link #allocate} of this arena (or a slice of it that starts at its first
     *                byte), not yet freed
     * @throws IllegalArgumentException if this arena did not allocate {@code segment}
     * @throws IllegalStateException    if {@code segment} was already freed (and not yet reused), or the arena or its
     *                                  domain is closed (the segment then stays allocated)
     */
    public void free(MemorySegment segment) {
        Objects.requireNonNull(segment, "segment");
        checkOpen("free");
        checkDomainOpen("free");   // before the block is marked: a refused free changes nothing
        long address = segment.address();
        if (segment.scope().equals(scope)) {
            Slab slab = slabOf(address);
            if (slab == null) {
                throw notAllocatedHere(segment, "it lies in no block of the arena");
            }
            int block = freeBlock(slab, segment, address);
            SizeClass sc = slab.sizeClass;
            if (sc.magazineCapacity > 0) {
                ThreadCache tc = cache();
                if (tc != null) {
                    deferCached(tc, address, sc.blockSize);
                    return;
                }
            }
            FREED_COUNT.getAndAdd(sc, 1L);  // atomic: frees of one class race; read by stats()
        } else {
            freeDedicated(segment, address);
        }
        try {
            deferred.enqueueLong(address);   // stamps the cookie; reclaimed(address) runs after its grace period
        } catch (IllegalStateException domainClosed) {
            if (domain.isOpen()) {
                throw domainClosed;
            }
            // the domain closed since checkDomainOpen: the free stays accepted (the domain's final grace period
            // covers it) and its memory stays pending until close() releases it with the rest
        }
    }

    /**
     * Collects a free in the calling thread's cache; every {@value #PENDING_MAX} frees (or
     * {@value #PENDING_BYTES} bytes) go to the thread's own deferred queue as one batch under one cookie, and the
     * thread reclaims what of its earlier frees has passed its grace period.
     */
    private void deferCached(ThreadCache tc, long address, long blockSize) {
        FreeBatch b = tc.collecting;
        int n = b.count;
        b.addresses[n++] = address;   // a long, not the Slab: no reference store (GC write barrier) per free
        b.count = n;
        long bytes = b.bytes + blockSize;
        b.bytes = bytes;
        CACHE_FREED.setOpaque(tc, (long) CACHE_FREED.get(tc) + blockSize);  // opaque; read by stats()
        if (n == PENDING_MAX || bytes >= PENDING_BYTES) {
            flush(tc);
            reclaimOwn(tc);
        }
    }

    /**
     * Queues the batch of frees {@code tc} collected in its own queue (single producer: no lock), under one cookie
     * taken now (later than each free: safe), and starts a new batch. Called by the owner, or, under the registry
     * lock, by whoever recovers the cache of an ended thread.
     */
    private void flush(ThreadCache tc) {
        FreeBatch b = tc.collecting;
        tc.addQueuedFrees(b.count);   // before the enqueue: a reclaim may subtract them as soon as it is queued
        try {
            tc.queue.enqueue(b);
        } catch (IllegalStateException closedMeanwhile) {
            tc.addQueuedFrees(-b.count);
            if (!closed && domain.isOpen()) {
                throw closedMeanwhile;
            }
            // raced close(), which releases all memory after a grace period begun after it set `closed`, or the
            // close of the domain, whose final grace period covers these frees: close() releases their blocks
            b.clear();
            return;
        }
        tc.collecting = tc.spareBatch();
    }

    /**
     * The index of the block of {@code slab} that {@code segment} (at {@code address}) starts, marked PENDING; throws
     * if the segment is not a block this arena handed out, or the block is not allocated (a double free).
     */
    private int freeBlock(Slab slab, MemorySegment segment, long address) {
        SizeClass sc = slab.sizeClass;
        long relative = address - slab.base;
        long index = sc.blockIndex(relative);
        if (index * sc.blockSize != relative || index >= slab.blocks) {
            throw notAllocatedHere(segment, "it does not start at a block (class of " + sc.blockSize + " bytes)");
        }
        if (segment.byteSize() > sc.blockSize) {
            throw notAllocatedHere(segment, "it is larger than the block it starts at (" + sc.blockSize + " bytes)");
        }
        int i = (int) index;
        // CAS, so that of two racing frees exactly one wins; release: the block's state before it is queued
        if (!STATE.compareAndSet(slab.states, i, ALLOCATED, PENDING)) {
            byte state = (byte) STATE.getAcquire(slab.states, i); // for the message only; pairs with the
                                                                  // release stores in allocate and pushLocked
            throw new IllegalStateException("RcuArena '" + name + "': segment at 0x" + Long.toHexString(address)
                    + " (block of " + sc.blockSize + " bytes) is " + (state == PENDING
                    ? "already freed and waiting for its grace period (double free)"
                    : "not allocated: it was freed and not reused (double free), or never handed out"));
        }
        return i;
    }

    private void freeDedicated(MemorySegment segment, long address) {
        Dedicated d = dedicated.get(address);
        if (d == null || !segment.scope().equals(d.arena.scope())) {
            throw notAllocatedHere(segment, "it belongs to another arena");
        }
        if (segment.byteSize() > d.bytes) {
            throw notAllocatedHere(segment, "it is larger than the allocation it starts at (" + d.bytes + " bytes)");
        }
        if (!d.freed.compareAndSet(false, true)) {  // exactly one of racing frees wins
            throw new IllegalStateException("RcuArena '" + name + "': dedicated segment at 0x"
                    + Long.toHexString(address) + " (" + d.bytes + " bytes) is already freed (double free)");
        }
        ledger.dedicatedInUse.addAndGet(-d.bytes);
        ledger.dedicatedPending.addAndGet(d.bytes);
    }

    private IllegalArgumentException notAllocatedHere(MemorySegment segment, String why) {
        return new IllegalArgumentException("RcuArena '" + name + "' did not allocate the segment at 0x"
                + Long.toHexString(segment.address()) + " (" + segment.byteSize() + " bytes): " + why);
    }

    /**
     * The DeferQueue's free function: the grace periods of the blocks at {@code addresses[0..count)} have passed.
     * Consecutive blocks of one class (the common case) go to its free list under one acquisition of its lock.
     */
    private void reclaimed(long[] addresses, int count) {
        SizeClass locked = null;
        Slab last = null;
        try {
            for (int i = 0; i < count; i++) {
                if (ledger.closed) {
                    return;   // frees that raced close(): close() has released all memory already
                }
                long address = addresses[i];
                Slab slab = table.slabOf(address, last);
                last = slab;
                if (slab == null) {   // not in a chunk: a dedicated allocation
                    releaseDedicated(address);
                    continue;
                }
                if (debug) {
                    long out = poisonAndQuarantine(slab, address);
                    if (out == 0) {
                        continue;
                    }
                    address = out;
                    slab = slabOf(out);
                }
                SizeClass sc = slab.sizeClass;
                locked = SizeClass.lockRun(locked, sc);
                sc.pushLocked(slab, (int) sc.blockIndex(address - slab.base));
            }
        } finally {
            if (locked != null) {
                locked.lock.unlock();
            }
        }
    }

    private void releaseDedicated(long address) {
        Dedicated d = dedicated.remove(address);
        if (d == null) {
            return;       // close() released it meanwhile
        }
        ledger.dedicatedPending.addAndGet(-d.bytes);
        ledger.dedicatedReserved.addAndGet(-d.bytes);
        d.arena.close();   // no reader can hold it any more: its grace period has passed
    }

    /**
     * Debug: fills the block with POISON and quarantines it; returns the address of the block that leaves the
     * quarantine (to be reused), or 0.
     */
    private long poisonAndQuarantine(Slab slab, long address) {
        try {
            slab.chunk.segment.asSlice(address - slab.chunk.base, slab.sizeClass.blockSize).fill(POISON);
        } catch (IllegalStateException closedMeanwhile) {
            return 0;   // close() released the chunks between the check and here (a free that raced it)
        }
        synchronized (quarantine) {
            quarantine.addLast(address);
            return quarantine.size() > quarantineCapacity ? quarantine.pollFirst() : 0;
        }
    }

    /** Puts the block at {@code address} of {@code slab} on its class's free list. */
    private static void release(Slab slab, long address) {
        SizeClass sc = slab.sizeClass;
        sc.push(slab, (int) sc.blockIndex(address - slab.base));
    }

    // ------------------------------------------------------------------ thread caches

    /** The calling thread's cache, registered on first use; null for virtual threads and debug arenas. */
    private ThreadCache cache() {
        ThreadLocal<ThreadCache> local = threadCache;
        if (local == null) {
            return null;
        }
        Thread t = Thread.currentThread();
        if (t.isVirtual()) {
            return null;   // millions of them, each briefly: a cache each would strand memory in most
        }
        ThreadCache tc = local.get();
        return tc != null ? tc : register(t);
    }

    /**
     * Registers a cache for {@code t}. Caches of threads that have ended are recovered first (their collected frees
     * queued, their magazines returned to the free lists; their queues are then reclaimed by reclaimOthers), and
     * dropped from the registry once their queues are empty.
     */
    private ThreadCache register(Thread t) {
        ThreadCache tc = new ThreadCache(t, domain.rcu(), name, table, classes.length, ledger);
        synchronized (ledger) {   // the registry's lock; taken before class locks
            ThreadCache[] old = ledger.caches;
            ThreadCache[] next = new ThreadCache[old.length + 1];
            int n = 0;
            for (ThreadCache c : old) {
                // isAlive() false: the thread's last actions happen-before this (JLS 17.4.4), its cache is ours
                if (!c.owner.isAlive()) {
                    if (!c.recovered) {
                        handBack(c);
                        c.setRecovered();
                    }
                    if (c.queue.pending() == 0) {
                        ledger.retire(c);
                        continue;
                    }
                }
                next[n++] = c;
            }
            next[n++] = tc;
            ledger.caches = Arrays.copyOf(next, n);   // volatile store; read by stats() and reclaimOthers()
        }
        threadCache.set(tc);
        return tc;
    }

    /**
     * Hands back what the cache holds: its collected frees go to its queue (their grace period starts now; any
     * thread reclaims them before carving new memory), its free blocks to their classes' free lists. Only by the
     * owner, or by the registry lock's holder after the owner ended.
     */
    private void handBack(ThreadCache tc) {
        if (tc.collecting.count > 0 && !closed) {
            flush(tc);
        }
        for (int c = 0; c < tc.counts.length; c++) {
            int n = tc.counts[c];
            if (n == 0) {
                continue;
            }
            classes[c].returnAll(tc.slabs[c], tc.blocks[c], n);
            tc.counts[c] = 0;
        }
        tc.drainStash(classes);
    }

    /**
     * Hands the calling thread's cache back to the arena: the frees it has collected (up to 256 frees or 64 KiB since
     * it last queued them) start their grace period now — any thread reclaims them before it carves new memory — and
     * the free blocks it keeps for its next allocations (its magazines, up to 32 KiB per size class, and its own
     * reclaimed frees beyond that) go back to the shared free lists. A thread that is about to stop using the arena for
     * a long time calls it so that nothing it freed waits for its next allocation; an ended thread's cache is recovered
     * by the next new thread that uses the arena, and {@link #close()} covers everything. Cheap when there is nothing
     * to hand back; never blocks for a grace period. Once the domain is closed, the collected frees stay in the
     * cache, and {@link #close()} releases them.
     *
     * @throws IllegalStateException if the arena is closed
     */
    public void flushThreadCache() {
        checkOpen("flushThreadCache");
        ThreadLocal<ThreadCache> local = threadCache;
        ThreadCache tc = local == null ? null : local.get();
        if (tc != null) {
            handBack(tc);
        }
    }

    /** Frees in the calling thread's own queue, not yet reclaimed (0 without a cache): START_AT's count. Tests. */
    long queuedFrees() {
        ThreadLocal<ThreadCache> local = threadCache;
        ThreadCache tc = local == null ? null : local.get();
        return tc == null ? 0 : tc.queuedFrees();
    }

    /** Frees the calling thread has collected in its cache and not yet queued (0 without a cache). Tests. */
    int collectedFrees() {
        ThreadLocal<ThreadCache> local = threadCache;
        ThreadCache tc = local == null ? null : local.get();
        return tc == null ? 0 : tc.collecting.count;
    }

    // ------------------------------------------------------------------ lookup and carving

    /** The slab holding {@code address}, or null. */
    private Slab slabOf(long address) {
        return table.slabOf(address);
    }

    /** A new slab for {@code sc}, from the first chunk with room, else a new chunk. */
    private Slab carveSlab(SizeClass sc) {
        long bytes = Math.min(ArenaLayout.slabBytes(sc.index), chunkSize);  // small chunks: a slab is the chunk
        chunkLock.lock();
        try {
            checkOpen("allocate");
            Chunk chunk = null;
            for (Chunk c : table.chunks) {
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
            chunkLock.unlock();
        }
    }

    private Chunk newChunk() {
        MemorySegment segment = arena.allocate(chunkSize, ArenaLayout.PAGE);
        Chunk chunk = new Chunk(segment, (int) (chunkSize >>> ArenaLayout.PAGE_SHIFT));
        Chunk[] old = table.chunks;
        Chunk[] next = Arrays.copyOf(old, old.length + 1);
        int at = old.length;
        while (at > 0 && next[at - 1].base > chunk.base) {
            next[at] = next[at - 1];
            at--;
        }
        next[at] = chunk;
        table.chunks = next;   // volatile store; pairs with the volatile load in ChunkTable.slabOf
        ledger.chunkBytes.addAndGet(chunkSize);
        return chunk;
    }

    // ------------------------------------------------------------------ stats and close

    /**
     * The arena's memory now. Exact when no allocate or free runs concurrently; see {@link ArenaStats}.
     *
     * @return a new record of the arena's byte counts
     */
    public ArenaStats stats() {
        return ledger.stats();
    }

    /**
     * Waits for the grace periods of every outstanding free, then releases all native memory (closing the shared
     * arena: a segment still held, allocated or not, then throws {@link IllegalStateException} on access).
     * Idempotent; concurrent callers all return after the release. On a closed domain it waits for nothing: the
     * domain's final grace period has covered every section, and none opens after it.
     *
     * @throws IllegalStateException inside a read section of the domain, or (bulletProof) while holding a token section
     *                               of it the caller opened (it would wait for itself); nothing is released then
     */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed && !arena.scope().isAlive()) {
                return;
            }
            domain.checkCanBlock("RcuArena.close()");
            closed = true;        // allocate and free refuse from here on
            deferred.close();     // waits for the grace periods; every queued block is reclaimed
            if (ledger.caches.length > 0) {
                // frees still collected in threads' caches (never queued): a grace period begun after `closed` was
                // set covers every free that happened before close(); a closed domain's final one covers them all
                domain.awaitGracePeriodOrClose();
            }
            if (quarantine != null) {
                synchronized (quarantine) {
                    for (Long a; (a = quarantine.pollFirst()) != null; ) {
                        release(slabOf(a), a);
                    }
                }
            }
            for (Dedicated d : dedicated.values()) {
                d.arena.close();
            }
            dedicated.clear();
            ledger.dedicatedInUse.set(0);
            ledger.dedicatedReserved.set(0);
            chunkLock.lock();     // carveSlab checks `closed` under it: no chunk is allocated after this
            try {
                arena.close();
            } finally {
                chunkLock.unlock();
            }
            ledger.chunkBytes.set(0);
            ledger.closed = true;
        }
    }

    private void checkOpen(String operation) {
        if (closed) {
            throw closedException(operation);
        }
    }

    private IllegalStateException closedException(String operation) {
        return new IllegalStateException(operation + " on RcuArena '" + name + "', which is closed");
    }

    /**
     * Refuses {@code operation} once the domain refuses new work (closing or closed; its own threads go on while it
     * closes). One volatile load on every allocate and free.
     */
    private void checkDomainOpen(String operation) {
        // volatile load of the domain's lifecycle; partner: the CAS to CLOSING in its close()
        if (!domain.isOpen() && !domain.isDomainThread(Thread.currentThread())) {
            throw new IllegalStateException(operation + " on RcuArena '" + name + "', whose domain " + domain.name()
                    + " is " + (domain.isClosed() ? "closed" : "closing") + " (close the arena before its domain)");
        }
    }

    @Override
    public String toString() {
        ArenaStats s = stats();
        return "RcuArena[" + name + ", reserved " + s.bytesReserved() + ", in use " + s.bytesInUse()
                + ", pending free " + s.bytesPendingFree() + (closed ? ", closed" : "") + "]";
    }

    // ------------------------------------------------------------------ parts

    /** The chunks of an arena, sorted by base address, for lock-free lookups of the slab holding an address. */
    private static final class ChunkTable {
        private final long chunkSize;
        /** Replaced (copy-on-write) under the arena's chunkLock; volatile for lock-free lookups. */
        volatile Chunk[] chunks = new Chunk[0];

        ChunkTable(long chunkSize) {
            this.chunkSize = chunkSize;
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
    }

    private static final class Chunk {
        final MemorySegment segment;
        final long base;
        /** The slab covering each page; null for pages not carved. Written under chunkLock. */
        final Slab[] pages;
        /** Bytes carved from the start; under chunkLock. */
        long carved;

        Chunk(MemorySegment segment, int pageCount) {
            this.segment = segment;
            this.base = segment.address();
            this.pages = new Slab[pageCount];
        }
    }

    private static final class Slab {
        final Chunk chunk;
        final long base;
        final SizeClass sizeClass;
        final int blocks;
        /** Bytes of its blocks (the slab's extent, for the lookup shortcut in reclaimed()). */
        final long bytes;
        /** FREE / ALLOCATED / PENDING per block, through STATE. */
        final byte[] states;

        Slab(Chunk chunk, long base, SizeClass sizeClass, int blocks) {
            this.chunk = chunk;
            this.base = base;
            this.sizeClass = sizeClass;
            this.blocks = blocks;
            this.bytes = blocks * sizeClass.blockSize;
            this.states = new byte[blocks];
        }

        MemorySegment block(int index, long byteSize) {
            return chunk.segment.asSlice(base - chunk.base + index * sizeClass.blockSize, byteSize);
        }
    }

    /** A LIFO stack of FREE blocks (slab, index) that grows as needed; guarded by its holder's lock. */
    private static final class BlockStack {
        private Slab[] slabs = new Slab[16];
        private int[] blocks = new int[16];
        private int count;

        int count() {
            return count;
        }

        void push(Slab slab, int block) {
            if (count == slabs.length) {
                slabs = Arrays.copyOf(slabs, count * 2);
                blocks = Arrays.copyOf(blocks, count * 2);
            }
            slabs[count] = slab;
            blocks[count++] = block;
        }

        /** Pushes {@code n} blocks, {@code fromSlabs[i]}/{@code fromBlocks[i]}, in order (the last is warmest). */
        void pushAll(Slab[] fromSlabs, int[] fromBlocks, int n) {
            if (count + n > slabs.length) {
                int length = Math.max(count + n, slabs.length * 2);
                slabs = Arrays.copyOf(slabs, length);
                blocks = Arrays.copyOf(blocks, length);
            }
            System.arraycopy(fromSlabs, 0, slabs, count, n);
            System.arraycopy(fromBlocks, 0, blocks, count, n);
            count += n;
        }

        /** Moves every block of {@code other} onto this stack, keeping their order. */
        void pushAll(BlockStack other) {
            pushAll(other.slabs, other.blocks, other.count);
        }

        /** Moves up to {@code max} blocks, the warmest first, to {@code toSlabs}/{@code toBlocks} from {@code at}. */
        int popInto(Slab[] toSlabs, int[] toBlocks, int at, int max) {
            int n = 0;
            while (n < max && count > 0) {
                count--;
                toSlabs[at + n] = slabs[count];
                toBlocks[at + n++] = blocks[count];
                slabs[count] = null;
            }
            return n;
        }
    }

    /** One size class: a LIFO free list (reuse the warmest block first) and the slab being carved. */
    private static final class SizeClass {
        final int index;
        final long blockSize;
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
        @SuppressWarnings("unused") // through ALLOCATED_COUNT
        private volatile long allocated;
        @SuppressWarnings("unused") // through FREED_COUNT
        private volatile long freed;
        @SuppressWarnings("unused") // through RECLAIMED_COUNT
        private volatile long reclaimed;

        SizeClass(int index) {
            this.index = index;
            this.blockSize = ArenaLayout.classSize(index);
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
            STATE.setRelease(slab[0].states, block[0], ALLOCATED);  // release; read by the CAS in free()
            ALLOCATED_COUNT.getAndAdd(this, 1L);   // atomic: shared allocations of one class race; read by stats()
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
                            current = arena.carveSlab(this);
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
            STATE.setRelease(slab.states, block, FREE);  // release; read by the CAS in free()
            RECLAIMED_COUNT.setRelease(this, (long) RECLAIMED_COUNT.get(this) + 1); // read by stats()
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
            return (long) ALLOCATED_COUNT.getAcquire(this);  // pairs with the atomic add in allocateShared
        }

        long freedBlocks() {
            return (long) FREED_COUNT.getAcquire(this);      // pairs with the atomic add in free()
        }

        long reclaimedBlocks() {
            return (long) RECLAIMED_COUNT.getAcquire(this);  // pairs with the release store in pushLocked
        }
    }

    /**
     * Frees one thread collected, queued as one entry under one cookie: the blocks' addresses. (Addresses rather than
     * Slab references: a reference store into a long-lived array costs G1's post-write barrier, whose StoreLoad fence
     * — taken when the array is not young and the referent lies in another region — waits like the CAS for the
     * block's pending write. With Slab references, forks of the busy-reader benchmark ran at 40 or at 60 ns per
     * allocate + free; with addresses 6 forks in a row ran at 34–40 ns. Part of such spreads is the host's, see
     * the closing notes; the fence per free is certain.)
     */
    private static final class FreeBatch {
        final long[] addresses = new long[PENDING_MAX];
        int count;
        long bytes;

        void clear() {
            count = 0;
            bytes = 0;
        }
    }

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
    private static final class ThreadCache {
        final Thread owner;
        private final ChunkTable table;
        private final Ledger ledger;
        /** Per class (created on first use): a LIFO stack of FREE blocks this thread owns. */
        final Slab[][] slabs;
        final int[][] blocks;
        final int[] counts;
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
        /** Frees in this thread's queue (in its batches): added by flush, subtracted by reclaimed (any thread). */
        @SuppressWarnings("unused") // through QUEUED_FREES
        private long queuedFrees;
        /** Blocks in the stash: written under stashLock (opaque), read without it as a hint. */
        @SuppressWarnings("unused") // through STASHED
        private long stashedBlocks;
        /** This thread's frees, a batch under one cookie per entry; the owner is its single producer. */
        final DeferRing<FreeBatch> queue;
        /** The owner has ended and its cache was recovered: written under the registry lock. */
        boolean recovered;
        /** The owner is filling a magazine from its class (its own free function must not touch the magazines). */
        boolean filling;
        /**
         * Bytes this thread allocated / freed through the cache, and reclaimed from its queue into its magazines or
         * stash;
         * written opaque by the owner, read by stats().
         */
        @SuppressWarnings("unused") // through CACHE_ALLOCATED
        private long allocatedBytes;
        @SuppressWarnings("unused") // through CACHE_FREED
        private long freedBytes;
        @SuppressWarnings("unused") // through CACHE_RECLAIMED
        private long reclaimedBytes;

        ThreadCache(Thread owner, Rcu rcu, String arenaName, ChunkTable table, int classCount, Ledger ledger) {
            this.owner = owner;
            this.table = table;
            this.ledger = ledger;
            this.slabs = new Slab[classCount][];
            this.blocks = new int[classCount][];
            this.counts = new int[classCount];
            this.stash = new BlockStack[classCount];
            // single producer: the owner (or its recoverer); not reported when dropped: the arena's Cleaner reports
            this.queue = DeferRing.of(rcu, this::reclaimed,
                    unreported("RcuArena '" + arenaName + "' frees of " + owner.getName(), true));
        }

        void setRecovered() {
            RECOVERED.setOpaque(this, true);   // opaque: read unlocked only as a hint (recoveredOpaque); the
                                               // registry lock orders it for every reader that acts on it
        }

        /** A hint read without the registry lock; recoverEnded checks again under it. */
        boolean recoveredOpaque() {
            return (boolean) RECOVERED.getOpaque(this);   // opaque: a stale false only costs taking the lock
        }

        void ensureMagazine(SizeClass sc) {
            if (slabs[sc.index] == null) {
                slabs[sc.index] = new Slab[sc.magazineCapacity];
                blocks[sc.index] = new int[sc.magazineCapacity];
            }
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
                        STATE.setRelease(slab.states, block, FREE);  // release; read by the CAS in free()
                        toCache += sc.blockSize;
                        if (counts[c] < sc.magazineCapacity) {
                            ensureMagazine(sc);
                            slabs[c][counts[c]] = slab;
                            blocks[c][counts[c]++] = block;
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
                    STASHED.setOpaque(this, (long) STASHED.get(this) + stashed);  // opaque; a hint for drainers
                    stashLock.unlock();
                }
                if (locked != null) {
                    locked.lock.unlock();
                }
                if (toCache > 0) {
                    CACHE_RECLAIMED.setOpaque(this, (long) CACHE_RECLAIMED.get(this) + toCache); // opaque;
                                                                                                  // read by stats()
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
            if ((long) STASHED.getOpaque(this) == 0) {   // opaque: the owner's own writes, or a drainer's (then a
                return 0;                                //  stale non-zero only costs the lock)
            }
            int c = sc.index;
            stashLock.lock();
            try {
                BlockStack bs = stash[c];
                if (bs == null || bs.count() == 0) {
                    return 0;
                }
                ensureMagazine(sc);
                int n = bs.popInto(slabs[c], blocks[c], 0, Math.max(1, sc.magazineCapacity / 2));
                counts[c] = n;
                STASHED.setOpaque(this, (long) STASHED.get(this) - n);  // opaque; a hint for drainers
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
            if ((long) STASHED.getOpaque(this) == 0) {   // opaque hint; written under stashLock
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
                STASHED.setOpaque(this, 0L);  // opaque; a hint for drainers and the owner
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
            QUEUED_FREES.getAndAdd(this, n);  // atomic: the owner adds, any reclaimer subtracts; once per batch
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

        long allocatedBytes() {
            return (long) CACHE_ALLOCATED.getOpaque(this);  // pairs with the owner's opaque store
        }

        long freedBytes() {
            return (long) CACHE_FREED.getOpaque(this);      // pairs with the owner's opaque store
        }

        long reclaimedBytes() {
            return (long) CACHE_RECLAIMED.getOpaque(this);  // pairs with the owner's opaque store
        }
    }

    /** A request larger than a chunk: its own shared arena, closed after the grace period of its free. */
    private record Dedicated(Arena arena, long bytes, AtomicBoolean freed) {
        Dedicated(Arena arena, long bytes) {
            this(arena, bytes, new AtomicBoolean());
        }
    }

    /**
     * The counters, apart from the arena so that the Cleaner's action can report an arena dropped without close():
     * its native memory is never released (a shared arena is closed only explicitly).
     */
    private static final class Ledger implements Runnable {
        private final String name;
        private final SizeClass[] classes;
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

    /** Builder for {@link RcuArena}, from {@link RcuArena#builder}. Not thread-safe. */
    public static final class Builder {
        private final Rcu rcu;
        private String name = "rcu-arena";
        private long chunkSize = ArenaLayout.DEFAULT_CHUNK;
        private boolean debug;
        private int quarantine = DEFAULT_QUARANTINE;

        private Builder(Rcu rcu) {
            this.rcu = Objects.requireNonNull(rcu, "rcu");
        }

        /**
         * A name for messages. Default {@code rcu-arena}.
         *
         * @param name the arena's name in log messages, exceptions and {@code toString()}
         * @return this builder
         * @throws NullPointerException if {@code name} is null
         */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Bytes obtained from the system at a time (a power of two from 4 KiB to 1 GiB; default 1 MiB). Requests
         * larger than a chunk get a dedicated allocation.
         *
         * @param bytes the chunk size in bytes
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is not a power of two from 4 KiB to 1 GiB
         */
        public Builder chunkSize(long bytes) {
            if (bytes < ArenaLayout.MIN_CHUNK || bytes > ArenaLayout.MAX_CHUNK || Long.bitCount(bytes) != 1) {
                throw new IllegalArgumentException("chunkSize must be a power of two from " + ArenaLayout.MIN_CHUNK
                        + " to " + ArenaLayout.MAX_CHUNK + ": " + bytes);
            }
            this.chunkSize = bytes;
            return this;
        }

        /**
         * Debug checks: freed memory is filled with {@link #POISON} once its grace period has passed, and kept out of
         * reuse for {@link #quarantine} further frees, so that a late read sees poison and a late double free is
         * still caught. Default: off.
         *
         * @param on whether the arena poisons and quarantines freed memory
         * @return this builder
         */
        public Builder debug(boolean on) {
            this.debug = on;
            return this;
        }

        /**
         * With {@link #debug(boolean) debug}: freed blocks kept out of reuse after their grace period (1024).
         *
         * @param blocks how many freed blocks the quarantine holds, zero or more; ignored without debug checks
         * @return this builder
         * @throws IllegalArgumentException if {@code blocks} is negative
         */
        public Builder quarantine(int blocks) {
            if (blocks < 0) {
                throw new IllegalArgumentException("quarantine must not be negative: " + blocks);
            }
            this.quarantine = blocks;
            return this;
        }

        /**
         * The arena.
         *
         * @return a new open arena with this builder's settings; the caller closes it
         */
        public RcuArena build() {
            return new RcuArena(this);
        }
    }
}
