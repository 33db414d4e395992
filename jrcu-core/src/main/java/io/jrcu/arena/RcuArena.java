package io.jrcu.arena;

import io.jrcu.DeferQueue;
import io.jrcu.Rcu;
import io.jrcu.internal.Bridge;
import io.jrcu.internal.DeferRing;
import io.jrcu.internal.LibraryFlavor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;

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
 * <p><b>A {@link SegmentAllocator}.</b> {@link #allocateFrom(String) allocateFrom(String)}, the array and value
 * forms of {@code allocateFrom}, {@link #allocate(java.lang.foreign.MemoryLayout) allocate(layout)} and every FFM
 * API that takes an allocator (a downcall that returns a struct by value, for one) allocate from the arena. Every
 * segment they return is the caller's, exactly as one from {@link #allocate(long, long)}: the caller frees each with
 * {@link #free}, passing the segment as returned (a segment never freed stays allocated until the arena closes).
 * One allocation is one segment: {@code allocateFrom} copies into the segment it allocates and returns that one.
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
public final class RcuArena implements SegmentAllocator, AutoCloseable {
    /*
     * Overview.
     *
     * The design is jemalloc's tcache (magazines of free blocks per thread and class, ThreadCache) over a slab
     * allocator (SizeClass, BlockStack; slabs carved from chunks by ChunkTable, laid out as ArenaLayout says), with
     * per-thread deferred queues of batched frees (liburcu's defer_rcu, crossbeam-epoch's thread-local bags) and one
     * shared deferred queue of block addresses, both DeferRings. A block's state (Slab) goes FREE -> ALLOCATED ->
     * PENDING -> FREE.
     *
     *   allocate(size), platform thread:  c = class of size; tc = thread's cache (ThreadLocal; registers on first
     *                    use); tc.allocate (ThreadCache: magazine, else refill)
     *   free(seg):       find chunk (binary search) -> slab (page table) -> block; CAS ALLOCATED -> PENDING;
     *                    platform thread: tc.free (collected, queued in batches under one cookie)
     *                    else:            c.freed++; deferred.enqueueLong(address)   (the shared queue)
     *   c.fill(max):     (SizeClass) the free list, else the current slab, else a new slab; reclaims `deferred`
     *                    first (never waits; memb asks its domain thread instead of starting a grace period), and
     *                    before a new slab every cache's queue and stash (reclaimOthers: the frees of threads that do
     *                    not allocate, went idle or ended, and what threads keep)
     *   reclaimed(addresses, n): [the shared queue's free function, after their grace periods, no queue lock held]
     *                    find each block again; debug: fill with POISON, then quarantine; push on its class's free
     *                    list, state -> FREE, taking a class lock once per run of blocks of one class
     *   virtual threads, debug arenas, classes above 8 KiB: the shared path (c.fill(1) per allocation)
     *
     * Ordering: the block's contents and its state are handed from free() to the reclaimer by the deferred queue
     * (release of `published` in enqueue, acquire in reclaim), from the reclaimer to the next fill by the class lock
     * (or through a thread's stash, see ThreadCache), and from fill to the allocating thread by program order (it
     * owns the magazine). Chunk publication: ChunkTable. Counters: Ledger.
     *
     * Close: `closed` is set first (allocate and free refuse from then on); the deferred queue is closed (it waits
     * for the grace periods of what is queued); if any cache was registered one more grace period covers the frees
     * collected or queued in caches (their queues are never drained: the memory goes with the arena); then the
     * shared arena is closed under the chunk table's lock.
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

    /** Default debug quarantine: freed blocks kept out of reuse after their grace period. */
    private static final int DEFAULT_QUARANTINE = 1024;

    final LibraryFlavor domain;
    final String name;
    private final long chunkSize;
    private final boolean debug;
    private final int quarantineCapacity;
    private final SizeClass[] classes;
    /** Addresses of freed blocks (no object per free, so the segment allocate returned need not escape). */
    final DeferRing<Void> deferred;
    /** The counters and the registry of thread caches, apart from the arena so that the Cleaner can read them. */
    private final Ledger ledger;
    /**
     * The calling platform thread's cache (magazines and collected frees); null with debug checks. Its values must
     * not reference the arena (a thread's map holds them strongly: the arena could never be collected).
     */
    private final ThreadLocal<ThreadCache> threadCache;
    /** The same caches by thread id, the fast paths' lookup ({@link CacheSlots}); empty with debug checks. */
    private final ThreadCache[] cacheSlots = CacheSlots.create();
    /** The chunks, for lookups by address and carving (apart from the arena: thread caches' free functions use it). */
    final ChunkTable table;
    private final MemorySegment.Scope scope;
    private final Dedicated dedicated;
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
        this.table = new ChunkTable(chunkSize, ledger);
        this.scope = table.arena.scope();
        this.dedicated = new Dedicated(ledger);
        this.threadCache = b.debug ? null : new ThreadLocal<>();
        // not reported when dropped: the arena's own Cleaner reports, with bytes
        this.deferred = DeferRing.ofLongs(b.rcu, this::reclaimed, unreported("RcuArena '" + name + "'", false));
        DeferRing.CLEANER.register(this, ledger);
    }

    /** A deferred queue's settings: unbounded, no automatic reclaim, not reported when dropped. */
    static DeferRing.Settings unreported(String name, boolean singleProducer) {
        return new DeferRing.Settings(name, Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, singleProducer,
                false, 1);
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
    @Override
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
    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        // The common case stays small in compiled code, so that a caller's compilation inlines it and the segment
        // it returns need not be allocated on the heap; anything else is a call.
        if (byteSize >= 0 && byteSize <= chunkSize && byteAlignment > 0 && byteAlignment <= ArenaLayout.PAGE
                && (byteAlignment & (byteAlignment - 1)) == 0) {
            checkOpen("allocate");
            checkDomainOpen("allocate");
            SizeClass sc = classes[ArenaLayout.classIndex(Math.max(byteSize, 1))];
            if (sc.alignment >= byteAlignment && sc.magazineCapacity > 0) {
                ThreadCache tc = cache();
                if (tc != null) {
                    return tc.allocate(this, sc, byteSize);
                }
            }
        }
        return allocateUncached(byteSize, byteAlignment);
    }

    /** allocate, when the calling thread's cache cannot serve it: a shared or dedicated block, or a misuse. */
    private MemorySegment allocateUncached(long byteSize, long byteAlignment) {
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
            while (c < classes.length && classes[c].alignment < byteAlignment) {
                c++;   // a larger class whose blocks are aligned enough (the power-of-two classes always are)
            }
            if (c < classes.length) {
                SizeClass sc = classes[c];
                if (sc.magazineCapacity > 0) {
                    ThreadCache tc = cache();
                    if (tc != null) {
                        return tc.allocate(this, sc, byteSize);
                    }
                }
                return sc.allocateShared(this, byteSize);
            }
        }
        return dedicated.allocate(byteSize, byteAlignment, this);
    }

    /**
     * Before carving a new slab: reclaims, as a non-owner, what has passed its grace period in every thread cache's
     * queue (the blocks go to the classes' free lists), so frees of threads that do not allocate, have gone idle or
     * have ended are reused. Never waits; may start a grace period.
     */
    void reclaimOthers() {
        for (ThreadCache tc : ledger.caches) {   // volatile load; pairs with the store in register()
            if (!tc.recoveredOpaque() && !tc.owner.isAlive()) {
                recoverEnded(tc);   // (else only the next new thread would: a fixed pool may never start one)
            }
            if (tc.queue.pending() > 0) {
                tc.queue.reclaimSome(ThreadCache.RECLAIM_BATCHES, true);
            }
            tc.drainStash(classes);   // its owner's reclaimed blocks: reused before new memory is carved
        }
    }

    /** Recovers the cache of an ended thread once, under the registry lock (see register). */
    private void recoverEnded(ThreadCache tc) {
        synchronized (ledger) {
            if (!tc.recovered) {
                tc.handBack(this);
                tc.setRecovered();
            }
        }
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
        // The common case (a block of this thread's cache) stays small in compiled code, as allocate's does
        long address = segment.address();
        if (segment.scope().equals(scope)) {
            Slab slab = slabOf(address);
            if (slab != null) {
                int block = freeBlock(slab, segment, address);
                SizeClass sc = slab.sizeClass;
                ThreadCache tc;
                if (sc.magazineCapacity > 0 && (tc = cache()) != null) {
                    tc.free(this, address, sc.blockSize);
                } else {
                    freeShared(sc, address);
                }
                return;
            }
            throw notAllocatedHere(segment, "it lies in no block of the arena");
        }
        freeDedicated(segment, address);
    }

    /** free of a block no thread cache takes: the shared queue. */
    private void freeShared(SizeClass sc, long address) {
        sc.addFreed();
        enqueueShared(address);
    }

    /** free of a segment that is not a block of a chunk: a dedicated allocation of this arena, or a misuse. */
    private void freeDedicated(MemorySegment segment, long address) {
        dedicated.free(segment, address, this);
        enqueueShared(address);
    }

    private void enqueueShared(long address) {
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
     * The segment of the allocated block that starts at {@code address}, as {@link #allocate} handed it out but
     * {@linkplain java.lang.foreign.MemorySegment#byteSize() sized} to the whole block (the request rounded up to its
     * size class): for structures that keep blocks' addresses off-heap and free them by address. Blocks only: not a
     * dedicated allocation (a request larger than a chunk, or aligned to more than 4096 bytes). Lock-free (a search of
     * the chunks); allocates the segment.
     *
     * @param address the address of an allocated block of this arena
     * @return the block, whose {@link #free} hands it back
     * @throws IllegalArgumentException if no allocated block of this arena starts at {@code address}
     * @throws IllegalStateException    if the arena is closed
     */
    public MemorySegment blockAt(long address) {
        checkOpen("blockAt");
        Slab slab = slabOf(address);
        if (slab != null) {
            SizeClass sc = slab.sizeClass;
            long relative = address - slab.base;
            long index = sc.blockIndex(relative);
            // acquire; pairs with the release stores of the block's state (the allocation that handed it out)
            if (index * sc.blockSize == relative && index < slab.blocks
                    && slab.laState((int) index) == Slab.ALLOCATED) {
                return slab.block((int) index, sc.blockSize);
            }
        }
        throw new IllegalArgumentException("RcuArena '" + name + "': no allocated block starts at 0x"
                + Long.toHexString(address));
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
        if (!slab.casState(i, Slab.ALLOCATED, Slab.PENDING)) {
            throw notAllocated(slab, i, address);
        }
        return i;
    }

    /** The double free's exception: block {@code i} of {@code slab} is not ALLOCATED. */
    private IllegalStateException notAllocated(Slab slab, int i, long address) {
        byte state = slab.laState(i);   // for the message only; pairs with the release stores in allocate and
                                        // pushLocked
        return new IllegalStateException("RcuArena '" + name + "': segment at 0x" + Long.toHexString(address)
                + " (block of " + slab.sizeClass.blockSize + " bytes) is " + (state == Slab.PENDING
                ? "already freed and waiting for its grace period (double free)"
                : "not allocated: it was freed and not reused (double free), or never handed out"));
    }

    IllegalArgumentException notAllocatedHere(MemorySegment segment, String why) {
        return new IllegalArgumentException("RcuArena '" + name + "' did not allocate the segment at 0x"
                + Long.toHexString(segment.address()) + " (" + segment.byteSize() + " bytes): " + why);
    }

    /**
     * The shared queue's free function: the grace periods of the blocks at {@code addresses[0..count)} have passed.
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
                    dedicated.release(address);
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
        Thread t = Thread.currentThread();
        ThreadCache tc = CacheSlots.get(cacheSlots, t);
        return tc != null ? tc : cacheFromThreadLocal(t);
    }

    /** The calling thread's cache as {@link #cache()} finds it, or null if it has none: no registration. */
    private ThreadCache existingCache() {
        ThreadCache tc = CacheSlots.get(cacheSlots, Thread.currentThread());
        ThreadLocal<ThreadCache> local = threadCache;
        return tc != null || local == null ? tc : local.get();
    }

    /** {@link #cache()} when the caller's slot does not hold its cache (first use, or a slot another thread holds). */
    private ThreadCache cacheFromThreadLocal(Thread t) {
        ThreadLocal<ThreadCache> local = threadCache;
        if (local == null || t.isVirtual()) {
            return null;   // virtual: millions of them, each briefly; a cache each would strand memory in most
        }
        ThreadCache tc = local.get();
        if (tc == null) {
            return register(t);
        }
        CacheSlots.offer(cacheSlots, tc);   // the slot may have been freed since
        return tc;
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
                        c.handBack(this);
                        c.setRecovered();
                    }
                    if (c.queue.pending() == 0) {
                        ledger.retire(c);
                        CacheSlots.remove(cacheSlots, c);
                        continue;
                    }
                }
                next[n++] = c;
            }
            next[n++] = tc;
            ledger.caches = Arrays.copyOf(next, n);   // volatile store; read by stats() and reclaimOthers()
        }
        threadCache.set(tc);
        CacheSlots.offer(cacheSlots, tc);
        return tc;
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
        ThreadCache tc = existingCache();
        if (tc != null) {
            tc.handBack(this);
        }
    }

    /** Frees in the calling thread's own queue, not yet reclaimed (0 without a cache): START_AT's count. Tests. */
    long queuedFrees() {
        ThreadCache tc = existingCache();
        return tc == null ? 0 : tc.queuedFrees();
    }

    /** The owner of the cache in the slot of {@code t} ({@link CacheSlots}), or null. Tests. */
    Thread cacheSlotOwner(Thread t) {
        return CacheSlots.ownerAt(cacheSlots, t);
    }

    /** Frees the calling thread has collected in its cache and not yet queued (0 without a cache). Tests. */
    int collectedFrees() {
        ThreadCache tc = existingCache();
        return tc == null ? 0 : tc.collecting.count;
    }

    // ------------------------------------------------------------------ lookup and carving

    /** The slab holding {@code address}, or null. */
    private Slab slabOf(long address) {
        return table.slabOf(address);
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
            if (closed && !scope.isAlive()) {
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
            dedicated.closeAll();
            table.close();        // under the lock carve takes: no chunk is allocated after this
            ledger.closed = true;
        }
    }

    /** Whether close() has begun: allocate and free refuse. */
    boolean isClosed() {
        return closed;
    }

    void checkOpen(String operation) {
        if (closed) {
            throw closedException(operation);
        }
    }

    IllegalStateException closedException(String operation) {
        return new IllegalStateException(operation + " on RcuArena '" + name + "', which is closed");
    }

    /**
     * Refuses {@code operation} once the domain refuses new work (closing or closed; its own threads go on while it
     * closes). One volatile load on every allocate and free.
     */
    private void checkDomainOpen(String operation) {
        // volatile load of the domain's lifecycle; partner: the CAS to CLOSING in its close()
        if (!domain.isOpen() && !domain.isDomainThread(Thread.currentThread())) {
            throw domainNotOpen(operation);
        }
    }

    private IllegalStateException domainNotOpen(String operation) {
        return new IllegalStateException(operation + " on RcuArena '" + name + "', whose domain " + domain.name()
                + " is " + (domain.isClosed() ? "closed" : "closing") + " (close the arena before its domain)");
    }

    @Override
    public String toString() {
        ArenaStats s = stats();
        return "RcuArena[" + name + ", reserved " + s.bytesReserved() + ", in use " + s.bytesInUse()
                + ", pending free " + s.bytesPendingFree() + (closed ? ", closed" : "") + "]";
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

